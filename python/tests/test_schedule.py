"""dualpipe.schedule and Schedule against dualpipe-opt/dualpipe-translate."""

import json

import pytest

import dualpipe
from conftest import cli, cli_report, generated, lowered

# Every kind with sizes it accepts (dualpipe: even ranks and micro-batches).
KINDS = [("dualpipe", 8, 20, ""), ("dualpipev", 4, 8, ""),
         ("1f1b", 4, 8, ""), ("interleaved-1f1b", 4, 8, " virtual-stages=3"),
         ("zb-h1", 4, 8, ""), ("zbv", 4, 8, ""), ("gpipe", 4, 6, ""),
         ("auto", 4, 8, "")]


def test_kinds_lists_every_kind():
    assert dualpipe.kinds() == [k for k, _, _, _ in KINDS]


@pytest.mark.parametrize("kind,ranks,microbatches,extra", KINDS)
def test_csv_equals_the_cli(kind, ranks, microbatches, extra):
    options = f"kind={kind} ranks={ranks} microbatches={microbatches}{extra}"
    expected = cli("dualpipe-translate", "--pipe-to-torch-csv",
                   stdin=generated(options))
    s = dualpipe.schedule(kind, ranks, microbatches,
                          virtual_stages=3 if extra else 2)
    assert s.to_torch_csv() == expected
    assert s.actions() == [row.split(",") for row in
                           expected.splitlines()]
    assert (s.ranks, s.microbatches) == (ranks, microbatches)


@pytest.mark.parametrize("kind,ranks,microbatches,extra", KINDS)
def test_report_equals_the_cli(kind, ranks, microbatches, extra):
    options = f"kind={kind} ranks={ranks} microbatches={microbatches}{extra}"
    costs = {"f": 1, "b": 2, "w": 1, "fb": 2.5}
    expected = cli_report(options, "f=1,b=2,w=1,fb=2.5")
    report = dualpipe.schedule(kind, ranks, microbatches,
                               virtual_stages=3 if extra else 2,
                               ).simulate(costs)
    assert report.makespan == expected["makespan"]
    assert report.bubble_ratio == expected["bubble_ratio"]
    assert [r.busy for r in report.ranks] == [r["busy"] for r in
                                              expected["ranks"]]
    assert report == dualpipe.Report.from_json(json.dumps(expected))


def test_acceptance_numbers():
    r = dualpipe.schedule("dualpipe", 8, 20).simulate({"f": 1, "b": 2,
                                                       "w": 1})
    expected = cli_report("kind=dualpipe ranks=8 microbatches=20",
                          "f=1,b=2,w=1")
    assert (r.makespan, r.bubble_ratio) == (expected["makespan"],
                                            expected["bubble_ratio"])
    text = cli("dualpipe-translate", "--pipe-to-report", "--cost=f=1,b=2,w=1",
               stdin=lowered("kind=dualpipe ranks=8 microbatches=20"))
    assert str(r) == text


def test_pictures_equal_the_cli():
    s = dualpipe.schedule("zbv", 4, 8)
    program = lowered("kind=zbv ranks=4 microbatches=8")
    assert s.svg("f=1,b=2,w=1") == cli("dualpipe-translate", "--pipe-to-svg",
                                       "--cost=f=1,b=2,w=1", stdin=program)
    assert s.chrome_trace() == cli("dualpipe-translate",
                                   "--pipe-to-chrome-trace", stdin=program)


def test_options_reach_the_generator():
    expected = cli("dualpipe-translate", "--pipe-to-torch-csv",
                   stdin=generated("kind=dualpipe ranks=4 microbatches=8 "
                                   "overlap=false forward-only=true"))
    s = dualpipe.schedule("dualpipe", 4, 8, overlap=False, forward_only=True)
    assert s.to_torch_csv() == expected
    searched = cli("dualpipe-translate", "--pipe-to-torch-csv",
                   stdin=generated("kind=auto ranks=4 microbatches=8 "
                                   "cost=f=1,b=3,w=1 max-activations=6 "
                                   "search-evaluations=16"))
    assert dualpipe.schedule("auto", 4, 8, cost={"f": 1, "b": 3, "w": 1},
                             max_activations=6, search_evaluations=16,
                             ).to_torch_csv() == searched


def test_torch_csv_round_trip():
    s = dualpipe.schedule("dualpipev", 4, 8)
    back = dualpipe.Schedule.from_torch_csv(s.to_torch_csv())
    assert back.actions() == s.actions()
    assert back.kind is None and back.placement == "v"


def test_lower_policies():
    s = dualpipe.schedule("dualpipe", 4, 8)
    for policy in ("eager", "reference", "in-order"):
        program = s.lower(policy=policy)
        assert program.ranks == 4 and not program.has_model
        program.verify(matching="in-order" if policy == "in-order"
                       else "by-key")
    expected = cli("dualpipe-translate", "--pipe-to-torch-csv=comms",
                   stdin=lowered("kind=dualpipe ranks=4 microbatches=8"))
    assert s.lower().to_torch_csv() == expected
    assert s.lower().report("f=1,b=2,w=1") == s.simulate("f=1,b=2,w=1")


def test_verify_accepts_a_generated_schedule():
    assert dualpipe.schedule("1f1b", 2, 4).verify() is None


def test_unknown_kind_is_a_value_error():
    with pytest.raises(ValueError, match="kind: unknown schedule kind 'x'"):
        dualpipe.schedule("x", 4, 8)


def test_invalid_sizes_are_value_errors():
    with pytest.raises(ValueError, match="even number of ranks, got 3"):
        dualpipe.schedule("dualpipe", 3, 8)
    with pytest.raises(ValueError, match="max_activations"):
        dualpipe.schedule("auto", 4, 8, max_activations=-1)
    with pytest.raises(ValueError, match="max_activation_bytes"):
        dualpipe.schedule("auto", 4, 8, max_activation_bytes="lots")


@pytest.mark.parametrize("args,kwargs,name", [
    (("dualpipe", "8", 20), {}, "ranks"),
    (("dualpipe", 8, 2.0), {}, "microbatches"),
    ((1, 8, 20), {}, "kind"),
    (("dualpipe", 8, 20), {"overlap": 1}, "overlap"),
    (("dualpipe", 8, 20), {"forward_only": "no"}, "forward_only"),
    (("zbv", 4, 8), {"cost": [1, 2]}, "cost"),
])
def test_bad_argument_types_name_the_argument(args, kwargs, name):
    with pytest.raises(TypeError, match=f"^{name}"):
        dualpipe.schedule(*args, **kwargs)


def test_bad_costs():
    s = dualpipe.schedule("1f1b", 2, 4)
    with pytest.raises(ValueError, match="costs: "):
        s.simulate({"q": 1})
    with pytest.raises(ValueError, match="costs: .*fb"):
        s.simulate({"f": 1, "b": 2, "fb": 9})
    with pytest.raises(TypeError, match=r"costs\['f'\]"):
        s.simulate({"f": None})
    with pytest.raises(TypeError, match="costs"):
        s.svg(3)


def test_bad_csv_names_row_and_column():
    with pytest.raises(ValueError, match="row 2, column 1"):
        dualpipe.Schedule.from_torch_csv("0F0,0B0\nzz\n")
    with pytest.raises(TypeError, match="text"):
        dualpipe.Schedule.from_torch_csv(b"0F0")


def test_unverifiable_csv_is_a_verify_error():
    with pytest.raises(dualpipe.VerifyError) as error:
        dualpipe.Schedule.from_torch_csv("0B0,0F0\n")
    assert error.value.findings and "0" in error.value.findings[0]


def test_bad_lower_arguments():
    with pytest.raises(ValueError, match="policy: expected"):
        dualpipe.schedule("1f1b", 2, 4).lower(policy="lazy")
    with pytest.raises(ValueError, match="policy reference"):
        dualpipe.schedule("1f1b", 2, 4).lower(policy="reference")
    with pytest.raises(TypeError, match="policy"):
        dualpipe.schedule("1f1b", 2, 4).lower(policy=None)
    with pytest.raises(TypeError, match="lookahead"):
        dualpipe.schedule("1f1b", 2, 4).lower(lookahead="1")
