"""dualpipe.plan against dualpipe-plan."""

import json

import pytest

import dualpipe
from conftest import cli


def test_plan_equals_the_cli():
    expected = json.loads(cli("dualpipe-plan", "--ranks", "8",
                              "--microbatches", "20", "--cost",
                              "f=1,b=2,w=1", "--max-activations", "16",
                              "--json"))
    result = dualpipe.plan(8, 20, {"f": 1, "b": 2, "w": 1},
                           max_activations=16)
    assert [r.kind for r in result.rows] == [c["kind"] for c in
                                             expected["candidates"]]
    assert [r.makespan for r in result.rows] == [
        c["makespan"] for c in expected["candidates"]]
    assert [r.fits for r in result.rows] == [c["fits"] for c in
                                             expected["candidates"]]
    assert result.recommended == expected["recommended"]
    assert result.reason == expected["reason"]
    assert str(result) == cli("dualpipe-plan", "--ranks", "8",
                              "--microbatches", "20", "--cost", "f=1,b=2,w=1",
                              "--max-activations", "16")


def test_plan_gives_where_auto_moves_the_stage_boundaries():
    heavy_ends = "f@0=2,b@0=4,w@0=2,f@3=2,b@3=4,w@3=2"
    result = dualpipe.plan(4, 8, heavy_ends, max_activations=4)
    rows = {r.kind: r for r in result.rows}
    assert rows["zb-h1"].stage_bounds == [0.0, 1.0, 2.0, 3.0, 4.0]
    assert rows["zbv"].stage_bounds == [0.5 * s for s in range(9)]
    assert rows["auto"].stage_bounds == [0.0, 0.75, 2.0, 3.25, 4.0]
    assert "the model) to 0.75, 2, 3.25" in str(result)


def test_plan_lists_skipped_kinds():
    result = dualpipe.plan(3, 4, "f=1,b=2,w=1")
    assert "dualpipe" in [s.kind for s in result.skipped]
    assert all(s.reason for s in result.skipped)


def test_plan_errors():
    with pytest.raises(ValueError, match="ranks|rank"):
        dualpipe.plan(0, 4)
    with pytest.raises(TypeError, match="^microbatches"):
        dualpipe.plan(4, None)
    with pytest.raises(ValueError, match="^max_activations"):
        dualpipe.plan(4, 8, max_activations=-2)
    with pytest.raises(ValueError, match="^max_activation_bytes"):
        dualpipe.plan(4, 8, max_activation_bytes="much")
    with pytest.raises(ValueError, match="^costs"):
        dualpipe.plan(4, 8, {"f": -1})
