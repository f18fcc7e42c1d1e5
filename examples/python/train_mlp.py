#!/usr/bin/python3
"""Trains user-defined PyTorch MLP stages under DualPipe on 4 ranks.

examples/mlp.mlir is compiled for DualPipe on 4 ranks and 8 micro-batches;
each of its 4 stages is replaced by a user nn.Module (scripted with
torch.jit.script), the ranks run as threads of this process, and check=True
compares the first step with a sequential run. Run from the repository root
with the package on the path (see docs/python.md):

    PYTHONPATH=build/python /usr/bin/python3 examples/python/train_mlp.py
"""

import os
import sys

import torch

import dualpipe

SPEC = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir,
                    "mlp.mlir")
HIDDEN = 32  # the spec's activation width


class MlpStage(torch.nn.Module):
    """Two residual blocks: Linear, GELU, Linear, plus the input."""

    def __init__(self, hidden: int, ffn: int) -> None:
        super().__init__()
        self.blocks = torch.nn.ModuleList([
            torch.nn.Sequential(torch.nn.Linear(hidden, ffn),
                                torch.nn.GELU(),
                                torch.nn.Linear(ffn, hidden))
            for _ in range(2)])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for block in self.blocks:
            x = x + block(x)
        return x


def main() -> int:
    program = dualpipe.compile(SPEC, kind="dualpipe", ranks=4,
                               microbatches=8)
    torch.manual_seed(0)
    stages = [MlpStage(HIDDEN, 64) for _ in range(program.stages)]
    result = dualpipe.train(program, steps=20, modules=stages, check=True)
    print(f"dualpipe, {program.ranks} ranks, {program.stages} stages "
          f"(user modules), {program.microbatches} micro-batches")
    for step, loss in enumerate(result.losses, 1):
        print(f"step {step}: loss {loss:.8f}")
    print(result.check)
    print(f"summary: {result.summary}")
    first, last = result.losses[0], result.losses[-1]
    if not last < first:
        print(f"error: the loss did not fall ({first:.8f} -> {last:.8f})")
        return 1
    print(f"loss fell from {first:.8f} to {last:.8f} over "
          f"{len(result.losses)} steps")
    return 0


if __name__ == "__main__":
    sys.exit(main())
