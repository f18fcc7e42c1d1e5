"""Shared helpers: the CLIs of the same build, for the equality tests."""

import json
import os
import subprocess
from typing import List

import pytest

SOURCE_DIR = os.environ.get(
    "DUALPIPE_SOURCE_DIR",
    os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(
        __file__)))))
BIN_DIR = os.environ.get("DUALPIPE_BIN", os.path.join(SOURCE_DIR, "build",
                                                      "bin"))
MLP_SPEC = os.path.join(SOURCE_DIR, "examples", "mlp.mlir")
#: The tiny byte-level GPT of the runtime's tests (DualPipe on 2 ranks, 4
#: micro-batches, seq_len 8, vocabulary 256).
TINY_GPT = os.path.join(SOURCE_DIR, "test", "Runtime", "Inputs",
                        "tiny-gpt.mlir")


def cli(tool: str, *args: str, stdin: str = "") -> str:
    """Runs a tool of this build; its stdout, or the test fails with its
    stderr."""
    result = subprocess.run([os.path.join(BIN_DIR, tool), *args],
                            input=stdin, capture_output=True, text=True,
                            check=False)
    assert result.returncode == 0, f"{tool} {' '.join(args)}: {result.stderr}"
    return result.stdout


def lowered(options: str) -> str:
    """``echo | dualpipe-opt - --pipe-lower=options``."""
    return cli("dualpipe-opt", "-", f"--pipe-lower={options}", stdin="\n")


def generated(options: str) -> str:
    """``echo | dualpipe-opt - --pipe-generate-schedule=options``."""
    return cli("dualpipe-opt", "-", f"--pipe-generate-schedule={options}",
               stdin="\n")


def cli_report(options: str, cost: str) -> dict:
    """``--pipe-to-report --report-format=json`` of a lowered schedule."""
    return json.loads(cli("dualpipe-translate", "--pipe-to-report",
                          "--report-format=json", f"--cost={cost}",
                          stdin=lowered(options)))


def step_losses(output: str) -> List[str]:
    """The loss text of dualpipe-run's ``step K: loss L`` lines."""
    return [line.split("loss ")[1].split()[0] for line in output.splitlines()
            if line.startswith("step ")]


@pytest.fixture(scope="session")
def gpt_program():
    """TINY_GPT, compiled."""
    import dualpipe
    return dualpipe.compile(TINY_GPT)


@pytest.fixture(scope="session")
def mlp_program():
    """examples/mlp.mlir under DualPipe on 4 ranks, 8 micro-batches."""
    import dualpipe
    return dualpipe.compile(MLP_SPEC, ranks=4, microbatches=8)
