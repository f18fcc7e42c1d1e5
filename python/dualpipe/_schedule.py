"""Level-2 schedules: generated, imported from PyTorch's CSV, lowered."""

from typing import TYPE_CHECKING, List, Optional, Union

from . import _core
from ._costs import Costs, byte_text, check_bool, check_int, cost_text
from ._errors import VerifyError
from ._report import Report
from ._shape import Shaped

if TYPE_CHECKING:
    from ._program import Program



class Schedule(Shaped):
    """A per-rank compute order (level 2), as ``dualpipe-opt
    --pipe-generate-schedule`` makes it."""

    def __init__(self, core: "_core.Schedule") -> None:
        self._core = core

    def __repr__(self) -> str:
        return f"Schedule({self._sizes()})"

    def to_torch_csv(self) -> str:
        """PyTorch's action CSV, equal to ``--pipe-to-torch-csv``."""
        return self._core.torch_csv()

    def actions(self) -> List[List[str]]:
        """One list per rank of actions in PyTorch's notation (``0F3``,
        ``7B13``, ``(0F7;7B13)OVERLAP_F_B``): the rows of the CSV."""
        return [row.split(",") if row else []
                for row in self.to_torch_csv().split("\n")[:-1]]

    @staticmethod
    def from_torch_csv(text: str) -> "Schedule":
        """Imports PyTorch's action CSV as ``--torch-csv-to-pipe`` does
        (verified); ValueError names the row and column of a bad cell."""
        if not isinstance(text, str):
            raise TypeError(f"text: expected the CSV as str, got "
                            f"{type(text).__name__}")
        schedule = Schedule(_core.Schedule.from_torch_csv(text))
        schedule.verify()
        return schedule

    def verify(self) -> None:
        """Raises VerifyError listing every broken rule (completeness,
        order, placement, deadlock), as ``--pipe-verify-schedule``."""
        findings = self._core.verify()
        if findings:
            raise VerifyError("the schedule does not verify", findings)

    def lower(self, policy: str = "eager", lookahead: int = -1,
              ) -> "Program":
        """Inserts and schedules the communication as ``--pipe-lower``
        (policy ``eager``, ``reference`` or ``in-order``) and returns the
        verified Program."""
        from ._program import Program
        if not isinstance(policy, str):
            raise TypeError(f"policy: expected str, got "
                            f"{type(policy).__name__}")
        check_int(lookahead, "lookahead")
        return Program(self._core.lower(policy, lookahead))

    def simulate(self, costs: Costs = None) -> Report:
        """Lowers as ``--pipe-lower`` does and simulates: the Report of
        ``--pipe-to-report --cost=...`` (costs: a dict such as
        ``{'f': 1, 'b': 2, 'w': 1}`` or the text ``'f=1,b=2,w=1'``)."""
        return self._report(costs)


def schedule(kind: str, ranks: int, microbatches: int, *,
             virtual_stages: int = 2, overlap: bool = True,
             forward_only: bool = False, cost: Costs = None,
             max_activations: Optional[int] = None,
             max_activation_bytes: Union[None, int, float, str] = None,
             search_evaluations: int = 256) -> Schedule:
    """Generates a schedule: ``kind`` is one of :func:`kinds`; the options
    are ``--pipe-generate-schedule``'s in Python spelling (``cost``,
    ``max_activations``, ``max_activation_bytes`` and
    ``search_evaluations`` are the search inputs of zb-h1, zbv and auto).
    An unknown kind or an invalid size raises ValueError."""
    if not isinstance(kind, str):
        raise TypeError(f"kind: expected str, got {type(kind).__name__}")
    args = _core.ScheduleArgs()
    args.kind = kind
    args.ranks = check_int(ranks, "ranks")
    args.microbatches = check_int(microbatches, "microbatches")
    args.virtual_stages = check_int(virtual_stages, "virtual_stages")
    args.overlap = check_bool(overlap, "overlap")
    args.forward_only = check_bool(forward_only, "forward_only")
    args.cost = cost_text(cost, "cost")
    if max_activations is not None:
        args.max_activations = check_int(max_activations, "max_activations",
                                         minimum=0) or None
    args.max_activation_bytes = byte_text(max_activation_bytes,
                                          "max_activation_bytes")
    args.search_evaluations = check_int(search_evaluations,
                                        "search_evaluations", minimum=0)
    return Schedule(_core.Schedule.generate(args))


def kinds() -> List[str]:
    """Every schedule kind, ``auto`` last."""
    return list(_core.kinds())
