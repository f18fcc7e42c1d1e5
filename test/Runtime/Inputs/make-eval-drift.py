"""Saves a TorchScript residual layer whose evaluation drifts: under no-grad
it adds DRIFT times its bias times the number of no-grad calls it has made
(DRIFT 0: no drift, the control), so its
output depends on how many micro-batches this copy of the layer has seen.
Trained (grad enabled) it is a plain residual linear layer. A pipeline whose
stage copies each see part of the micro-batches (DualPipe's mirrors) then
evaluates differently from the sequential reference, which sees them all,
while its training step matches: the negative test of --check's evaluation
comparison. Run with /usr/bin/python3 (Debian's python3-torch).

    make-eval-drift.py OUT.pt HIDDEN SEED DRIFT
"""
import sys

import torch


class EvalDrift(torch.nn.Module):
    """x + Linear(x), plus drift * calls * bias when gradients are off."""

    calls: int
    drift: float

    def __init__(self, hidden: int, drift: float):
        super().__init__()
        self.proj = torch.nn.Linear(hidden, hidden)
        self.calls = 0
        self.drift = drift

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = x + self.proj(x)
        if torch.is_grad_enabled():
            return y
        self.calls += 1
        # The bias is not constant across features, so the lm_head's
        # LayerNorm does not cancel the drift.
        return y + self.drift * self.calls * self.proj.bias


out, hidden, seed, drift = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
torch.manual_seed(seed)
torch.jit.script(EvalDrift(hidden, drift)).save(out)
