"""Saves a TorchScript residual MLP block (hidden -> ffn -> hidden) for the
torchscript kernel tests. Run with /usr/bin/python3 (Debian's python3-torch).

    make-torchscript.py OUT.pt HIDDEN FFN SEED
"""
import sys

import torch


class Block(torch.nn.Module):
    def __init__(self, hidden: int, ffn: int):
        super().__init__()
        self.up = torch.nn.Linear(hidden, ffn)
        self.down = torch.nn.Linear(ffn, hidden)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.down(torch.tanh(self.up(x)))


out, hidden, ffn, seed = sys.argv[1], *map(int, sys.argv[2:5])
torch.manual_seed(seed)
torch.jit.script(Block(hidden, ffn)).save(out)
