"""dualpipe.compile and Program against dualpipe-opt | dualpipe-translate."""

import json
import os
import subprocess
import sys

import pytest

import dualpipe
from conftest import MLP_SPEC, cli


def cli_program(options: str) -> dict:
    lowered = cli("dualpipe-opt", MLP_SPEC, f"--pipe-lower={options}")
    return json.loads(cli("dualpipe-translate", "--pipe-to-program",
                          stdin=lowered))


def test_compile_equals_the_cli(mlp_program):
    assert json.loads(mlp_program.to_json()) == cli_program(
        "ranks=4 microbatches=8")
    assert (mlp_program.kind, mlp_program.ranks, mlp_program.stages,
            mlp_program.microbatches) == ("dualpipe", 4, 4, 8)
    assert mlp_program.has_model and mlp_program.placement == "dual"


def test_compile_options_and_text():
    with open(MLP_SPEC, encoding="utf-8") as spec:
        text = spec.read()
    program = dualpipe.compile(text, kind="1f1b", ranks=2, microbatches=4,
                               policy="in-order", cost={"f": 1})
    assert json.loads(program.to_json()) == cli_program(
        "kind=1f1b ranks=2 microbatches=4 policy=in-order cost=f=1")
    program.verify(matching="in-order")


def test_save_load_round_trip(mlp_program, tmp_path):
    path = tmp_path / "mlp.json"
    mlp_program.save(path)
    loaded = dualpipe.Program.load(path)
    assert loaded.to_json() == mlp_program.to_json()
    assert loaded.base_dir == str(tmp_path)
    assert loaded.report("f=1,b=2,w=1").makespan == \
        dualpipe.schedule("dualpipe", 4, 8).simulate("f=1,b=2,w=1").makespan


def test_report_uses_the_stage_costs(mlp_program):
    # 16 mlp layers of f=1, b=2, w=1 in 4 stages: every stage f=4, b=8, w=4.
    uniform = dualpipe.schedule("dualpipe", 4, 8).simulate("f=4,b=8,w=4")
    report = mlp_program.report()
    assert (report.makespan, report.bubble_ratio) == (uniform.makespan,
                                                      uniform.bubble_ratio)
    assert mlp_program.svg().startswith("<svg") or "<svg" in \
        mlp_program.svg()[:200]
    assert json.loads(mlp_program.chrome_trace())["traceEvents"]


def test_import_loads_neither_torch_nor_mlir():
    code = ("import sys, dualpipe; dualpipe.schedule('1f1b', 2, 4); "
            "print('torch' in sys.modules, 'dualpipe._compiler' in "
            "sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True,
                         text=True, check=True, env=os.environ).stdout
    assert out.split() == ["False", "False"]
    maps = subprocess.run(
        [sys.executable, "-c", "import dualpipe; "
         "print(open('/proc/self/maps').read())"], capture_output=True,
        text=True, check=True, env=os.environ).stdout
    assert "libMLIR" not in maps and "libtorch" not in maps


def test_lowered_program_without_a_model_cannot_be_saved(tmp_path):
    program = dualpipe.schedule("1f1b", 2, 4).lower()
    with pytest.raises(ValueError, match="no model"):
        program.save(tmp_path / "p.json")


def test_load_errors(tmp_path):
    with pytest.raises(ValueError, match="cannot read"):
        dualpipe.Program.load(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "dualpipe-program", "version": 9}')
    with pytest.raises(ValueError, match=f"^{bad}: .*version"):
        dualpipe.Program.load(bad)
    bad.write_text("{")
    with pytest.raises(ValueError, match="not valid JSON"):
        dualpipe.Program.load(bad)
    with pytest.raises(TypeError, match="^path"):
        dualpipe.Program.load(3)


def test_compile_errors(tmp_path):
    with pytest.raises(ValueError, match="does not parse"):
        dualpipe.compile("pipe.model @m {")
    with pytest.raises(ValueError, match="does not lower:\n.*even number"):
        dualpipe.compile(MLP_SPEC, ranks=3)
    with pytest.raises(ValueError, match="names no model"):
        dualpipe.compile("module {}", kind="1f1b", ranks=2, microbatches=2)
    with pytest.raises(ValueError, match="cannot read"):
        dualpipe.compile(tmp_path / "missing.mlir")
    with pytest.raises(TypeError, match="unknown option 'rank'"):
        dualpipe.compile(MLP_SPEC, rank=4)
    with pytest.raises(TypeError, match="^ranks"):
        dualpipe.compile(MLP_SPEC, ranks="4")
    with pytest.raises(TypeError, match="^spec"):
        dualpipe.compile(None)
    with pytest.raises(ValueError, match="^kind: 'a b'"):
        dualpipe.compile(MLP_SPEC, kind="a b")
    with pytest.raises(ValueError, match="matching: expected"):
        dualpipe.compile(MLP_SPEC).verify(matching="nccl")
