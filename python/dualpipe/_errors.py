"""The exceptions of dualpipe."""

import builtins


class RuntimeError(builtins.RuntimeError):  # noqa: A001 - the documented name
    """A training run failed: the runtime's message names the rank, the
    instruction and the cause, one line per rank, root causes first."""


class CheckError(RuntimeError):
    """``train(check=True)`` found a difference from the sequential run."""


class VerifyError(ValueError):
    """A schedule or program breaks a rule; ``findings`` lists every one."""

    def __init__(self, what: str, findings: "list[str]") -> None:
        super().__init__(what + ":\n" + "\n".join(findings))
        self.findings = list(findings)
