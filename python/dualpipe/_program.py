"""Level-3 programs: lowered, compiled from a spec, saved and loaded."""

import os
from typing import List, Union

from . import _core
from ._costs import Costs, check_bool, check_int, cost_text
from ._errors import VerifyError
from ._report import Report
from ._shape import Shaped

PathLike = Union[str, "os.PathLike[str]"]


class Program(Shaped):
    """Per-rank programs with explicit communication (level 3). A compiled
    or loaded Program also carries its model and is a runnable program file
    (docs/program-format.md)."""

    def __init__(self, core: "_core.Program", base_dir: str = "") -> None:
        self._core = core
        self._base_dir = base_dir

    @property
    def has_model(self) -> bool:
        """Whether the program has a model (compiled or loaded) and can be
        saved and trained."""
        return self._core.has_model

    @property
    def base_dir(self) -> str:
        """The directory TorchScript paths are relative to (the file's)."""
        return self._base_dir

    def __repr__(self) -> str:
        return f"Program({self._sizes()}, has_model={self.has_model})"

    def to_json(self) -> str:
        """The program file's text; ValueError without a model."""
        return self._core.to_json()

    def save(self, path: PathLike) -> None:
        """Writes the program file that ``dualpipe-run`` reads."""
        text = self.to_json()
        with open(os.fspath(path), "w", encoding="utf-8") as out:
            out.write(text)

    @staticmethod
    def load(path: PathLike) -> "Program":
        """Reads and validates a program file; ValueError names the file
        and the JSON path of the culprit."""
        if not isinstance(path, (str, os.PathLike)):
            raise TypeError(f"path: expected a file path, got "
                            f"{type(path).__name__}")
        path = os.fspath(path)
        text = _read(path, "path")
        return Program.from_json(text, os.path.dirname(os.path.abspath(path)),
                                 name=path)

    @staticmethod
    def from_json(text: str, base_dir: str = ".", name: str = "<string>",
                  ) -> "Program":
        """A program from the text of a program file."""
        try:
            core = _core.Program.from_json(text)
        except ValueError as error:
            raise ValueError(f"{name}: {error}") from None
        return Program(core, base_dir)

    def verify(self, matching: str = "by-key") -> None:
        """Raises VerifyError listing every broken rule (matching, tokens,
        deadlock) under ``by-key`` or ``in-order`` (NCCL) matching."""
        if not isinstance(matching, str):
            raise TypeError(f"matching: expected str, got "
                            f"{type(matching).__name__}")
        findings = self._core.verify(matching)
        if findings:
            raise VerifyError("the program does not verify", findings)

    def to_torch_csv(self) -> str:
        """PyTorch's CSV with communication (``--pipe-to-torch-csv=comms``).
        """
        return self._core.torch_csv()

    def report(self, costs: Costs = None) -> Report:
        """Simulates the program: the stages' compute costs from the
        program file (f, b, w; every stage 1, 2, 1 without a model), then
        ``costs`` (the keys of ``--cost``). Byte columns count 1 per
        activation and stage unless ``costs`` sets act, param and msg."""
        return self._report(costs)


def _read(path: str, argument: str) -> str:
    """The text of ``path``, or ValueError naming ``argument`` and why."""
    try:
        with open(path, encoding="utf-8") as source:
            return source.read()
    except OSError as error:
        raise ValueError(f"{argument}: cannot read {path}: "
                         f"{error.strerror}") from None


_PASS_OPTIONS = {
    "kind": str, "ranks": int, "microbatches": int, "virtual_stages": int,
    "overlap": bool, "forward_only": bool, "cost": str,
    "max_activations": int, "max_activation_bytes": str,
    "search_evaluations": int, "policy": str, "lookahead": int,
    "matching": str,
}


def _option_text(overrides: dict) -> str:
    parts: List[str] = []
    for name, value in overrides.items():
        expected = _PASS_OPTIONS.get(name)
        if expected is None:
            raise TypeError(f"compile() got an unknown option {name!r} "
                            f"(known: {', '.join(_PASS_OPTIONS)})")
        if expected is bool:
            value = "true" if check_bool(value, name) else "false"
        elif expected is int:
            value = str(check_int(value, name))
        elif name == "cost":
            value = cost_text(value, name)
        elif not isinstance(value, str):
            raise TypeError(f"{name}: expected str, got "
                            f"{type(value).__name__}")
        if any(c in value for c in " {}"):
            raise ValueError(f"{name}: {value!r} may not hold spaces or "
                             f"braces")
        parts.append(f"{name.replace('_', '-')}={value}")
    return " ".join(parts)


def compile(spec: PathLike, **overrides: object) -> Program:  # noqa: A001
    """Compiles a ``pipe`` spec (MLIR text, or the path of a file holding
    it) with ``--pipe-lower`` and returns the verified Program. The
    overrides are pipe-lower's options in Python spelling (``kind``,
    ``ranks``, ``microbatches``, ``virtual_stages``, ``overlap``,
    ``forward_only``, ``cost``, ``max_activations``,
    ``max_activation_bytes``, ``search_evaluations``, ``policy``,
    ``lookahead``, ``matching``). Diagnostics come as ValueError. Loads
    MLIR on first use."""
    if not isinstance(spec, (str, os.PathLike)):
        raise TypeError(f"spec: expected MLIR text or a file path, got "
                        f"{type(spec).__name__}")
    options = _option_text(overrides)
    text = os.fspath(spec)
    name, base_dir = "<string>", os.getcwd()
    if isinstance(spec, os.PathLike) or ("\n" not in text
                                         and os.path.isfile(text)):
        name, base_dir = text, os.path.dirname(os.path.abspath(text))
        text = _read(name, "spec")
    from . import _compiler
    return Program.from_json(_compiler.compile(text, name, options),
                             base_dir, name)
