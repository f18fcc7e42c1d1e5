"""The planner: every schedule kind simulated for one model (dualpipe-plan).
"""

import json
from dataclasses import dataclass, field
from typing import List, Optional, Union

from . import _core
from ._costs import Costs, byte_text, check_int, cost_text


@dataclass(frozen=True)
class PlanRow:
    """One schedule kind as the planner simulated it. ``stage_bounds`` are
    where its stages begin and end in the model, in rank-sized chunks
    (``stages + 1`` bounds from 0 to the ranks): evenly spaced unless auto
    moved them."""

    kind: str
    stages: int
    stage_bounds: List[float]
    makespan: float
    bubble_ratio: float
    max_bubble: float
    peak_activations: int
    peak_activation_bytes: float
    param_copies: float
    max_param_bytes: float
    fits: bool
    over_budget: str


@dataclass(frozen=True)
class Skipped:
    """A kind whose constraints the sizes break."""

    kind: str
    reason: str


@dataclass(frozen=True)
class PlanResult:
    """The rows, the skipped kinds and the recommendation; ``str()`` is
    ``dualpipe-plan``'s table."""

    rows: List[PlanRow]
    skipped: List[Skipped]
    recommended: Optional[str]
    reason: str
    text: str = field(default="", repr=False, compare=False)

    def __str__(self) -> str:
        return self.text


def plan(ranks: int, microbatches: int, costs: Costs = None,
         max_activations: Optional[int] = None, *,
         max_activation_bytes: Union[None, int, float, str] = None,
         virtual_stages: int = 2) -> PlanResult:
    """Simulates every applicable kind for ``ranks`` x ``microbatches``
    with ``costs`` (per rank-sized chunk of the model, the keys of
    ``--cost``) and recommends the fastest one within the activation
    budget, as ``dualpipe-plan``."""
    args = (check_int(ranks, "ranks"), check_int(microbatches,
                                                 "microbatches"),
            check_int(virtual_stages, "virtual_stages"), cost_text(costs))
    if max_activations is not None:
        check_int(max_activations, "max_activations", minimum=0)
    budget = byte_text(max_activation_bytes, "max_activation_bytes")
    data = json.loads(_core.plan(*args, max_activations, budget, True))
    text = _core.plan(*args, max_activations, budget, False)
    return PlanResult(rows=[PlanRow(**row) for row in data["candidates"]],
                      skipped=[Skipped(**s) for s in data["skipped"]],
                      recommended=data["recommended"],
                      reason=data["reason"], text=text)
