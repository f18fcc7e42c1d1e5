"""The simulated report, field for field ``--pipe-to-report
--report-format=json`` (docs/cost-model.md)."""

import json
from dataclasses import dataclass, field
from typing import List, Optional


@dataclass(frozen=True)
class RankReport:
    """One rank of a simulation."""

    rank: int
    busy: float
    idle: float
    utilization: float
    finish: float
    compute_ops: int
    peak_activations: int
    peak_activation_bytes: float
    param_bytes: float
    stages_held: int


@dataclass(frozen=True)
class Report:
    """A simulation: makespan, bubble, per-rank busy and idle time, peak
    memory. ``str(report)`` is the text of ``--pipe-to-report``."""

    kind: Optional[str]
    placement: str
    num_ranks: int
    stages: int
    microbatches: int
    makespan: float
    bubble_ratio: float
    max_bubble: float
    total_busy: float
    total_idle: float
    peak_activations: int
    peak_activation_bytes: float
    ranks: List[RankReport] = field(default_factory=list)
    text: str = field(default="", repr=False, compare=False)

    def __str__(self) -> str:
        return self.text

    @classmethod
    def from_json(cls, text: str, rendered: str = "") -> "Report":
        """A report from the core's JSON (and its rendered text)."""
        data = json.loads(text)
        ranks = [RankReport(**rank) for rank in data.pop("ranks")]
        return cls(ranks=ranks, text=rendered, **data)
