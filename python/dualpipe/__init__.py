"""dualpipe from Python: generate, lower, verify and simulate pipeline
schedules, compare them, compile specs and train with the C++ runtime in
this process. See docs/python.md.

``import dualpipe`` loads only the schedule core: torch is loaded by
:func:`train`, MLIR by :func:`compile`.
"""

from ._errors import CheckError, RuntimeError, VerifyError
from ._plan import PlanResult, PlanRow, Skipped, plan
from ._program import Program, compile
from ._report import RankReport, Report
from ._schedule import Schedule, kinds, schedule
from ._train import Evaluation, TrainResult, train

__all__ = [
    "CheckError", "Evaluation", "PlanResult", "PlanRow", "Program",
    "RankReport", "Report", "RuntimeError", "Schedule", "Skipped",
    "TrainResult", "VerifyError", "compile", "kinds", "plan", "schedule",
    "train",
]
