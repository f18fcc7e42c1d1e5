"""examples/python: they run, pass their checks and say so."""

import os
import subprocess
import sys

from conftest import SOURCE_DIR

EXAMPLES = os.path.join(SOURCE_DIR, "examples", "python")


def run(script: str, *args: str) -> str:
    result = subprocess.run([sys.executable, os.path.join(EXAMPLES, script),
                             *args], capture_output=True, text=True,
                            check=False, env=os.environ)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_train_mlp_checks_and_its_loss_falls():
    out = run("train_mlp.py")
    assert "check: ok: 8 micro-batch losses bitwise equal" in out
    assert "loss fell from" in out
    assert out.count("step ") == 20


def test_plan_writes_the_svg(tmp_path):
    svg = tmp_path / "plan.svg"
    out = run("plan.py", str(svg))
    assert "recommended: auto" in out  # auto beats dualpipe on these costs
    assert svg.read_text().lstrip().startswith(("<?xml", "<svg"))
