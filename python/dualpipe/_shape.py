"""What schedules and programs share: kind, sizes and the simulation."""

from typing import Optional

from ._costs import Costs, cost_text
from ._report import Report


class Shaped:
    """A schedule or program backed by a core object with kind, sizes and
    the simulator (costs: a dict such as ``{'f': 1, 'b': 2, 'w': 1}`` or
    the text of ``--cost``, ``'f=1,b=2,w=1'``)."""

    _core: object

    @property
    def kind(self) -> Optional[str]:
        """The schedule kind, or None for an imported schedule."""
        return self._core.kind or None

    @property
    def placement(self) -> str:
        """``standard``, ``interleaved``, ``v`` or ``dual``."""
        return self._core.placement

    @property
    def ranks(self) -> int:
        """Number of ranks."""
        return self._core.ranks

    @property
    def stages(self) -> int:
        """Number of pipeline stages."""
        return self._core.stages

    @property
    def microbatches(self) -> int:
        """Number of micro-batches."""
        return self._core.microbatches

    def _sizes(self) -> str:
        return (f"kind={self.kind!r}, ranks={self.ranks}, "
                f"stages={self.stages}, microbatches={self.microbatches}")

    def _report(self, costs: Costs) -> Report:
        text = cost_text(costs)
        return Report.from_json(self._core.report_json(text),
                                self._core.report_text(text))

    def svg(self, costs: Costs = None) -> str:
        """The simulated timeline as an SVG document (``--pipe-to-svg``)."""
        return self._core.svg(cost_text(costs))

    def chrome_trace(self, costs: Costs = None) -> str:
        """The simulated timeline as Chrome trace JSON
        (``--pipe-to-chrome-trace``)."""
        return self._core.chrome_trace(cost_text(costs))
