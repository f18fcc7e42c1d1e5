"""Training in this process with the C++ runtime (dualpipe-run's engine)."""

import json
import os
import tempfile
from dataclasses import dataclass, field
from typing import List, NamedTuple, Optional, Sequence, Tuple, Union

from ._costs import check_bool, check_int
from ._data import Batch, batches, validation
from ._errors import CheckError, RuntimeError
from ._program import PathLike, Program

_LOSSES = ("mse", "cross_entropy")
_BACKENDS = ("threads",)
_DEVICES = ("cpu", "cuda")


class Evaluation(NamedTuple):
    """One evaluation of ``train(val_data=..., eval_every=...)``: after
    ``step`` training steps (0: before the first), the validation loss in
    nats per token, the number ``dualpipe-run`` prints as ``eval step K:
    val loss L`` (the mean of the micro-batch losses)."""

    step: int
    loss: float


@dataclass(frozen=True)
class TrainResult:
    """What a run measured. ``losses[k]`` is step k+1's loss (the sum of its
    micro-batch losses, each divided by the micro-batch count: the
    full-batch mean), exactly the number ``dualpipe-run`` prints."""

    losses: List[float]
    microbatch_losses: List[List[float]]
    #: Wall time of each step as rank 0 saw it end, from the end of the
    #: previous step or evaluation (the first includes the ranks' start-up
    #: and, with check=True, the sequential reference).
    step_seconds: List[float]
    #: The slowest rank's step, mirror reduction and optimizer time,
    #: averaged over the steps (dualpipe-run's ms/step).
    seconds_per_step: float
    peak_live_activations: List[int]
    #: dualpipe-run's check line with check=True, else None.
    check: Optional[str]
    summary: str
    #: With val_data: evaluation 0 before the first step, then one after
    #: every eval_every steps and after the last step; else empty.
    eval_losses: List[Evaluation] = field(default_factory=list)


def _scripted_stages(program_json: dict, modules: Sequence[object],
                     directory: str) -> None:
    """Scripts module s, saves it, and makes it stage s's only layer (the
    runtime's torchscript kernel); the stage keeps its costs."""
    import torch
    stages = program_json["model"]["stages"]
    if isinstance(modules, torch.nn.Module) or not isinstance(
            modules, (list, tuple)):
        raise TypeError("modules: expected a list of torch.nn.Module, one "
                        "per stage")
    if len(modules) != len(stages):
        raise ValueError(f"modules: the program has {len(stages)} stages, "
                         f"got {len(modules)} modules")
    for s, module in enumerate(modules):
        if not isinstance(module, torch.nn.Module):
            raise TypeError(f"modules[{s}]: expected a torch.nn.Module, got "
                            f"{type(module).__name__}")
        try:
            scripted = torch.jit.script(module)
        except Exception as error:  # torch raises several kinds
            raise TypeError(f"modules[{s}]: torch.jit.script failed: "
                            f"{str(error).strip().splitlines()[0]}") from None
        path = os.path.join(directory, f"stage{s}.pt")
        scripted.save(path)
        cost = stages[s].get("cost", {"f": 1, "b": 2, "w": 1})
        stages[s]["layers"] = [{"kernel": "torchscript",
                                "attrs": {"path": path}, "cost": cost}]


def train(program: Union[Program, PathLike], steps: int = 1,
          modules: Optional[Sequence[object]] = None,
          data: Union[None, Batch, Tuple[object, object]] = None,
          loss: Optional[str] = None,
          backend: str = "threads",
          device: str = "cpu", check: bool = False,
          timeout: float = 60.0, val_data: Optional[object] = None,
          eval_every: Optional[int] = None) -> TrainResult:
    """Trains ``program`` (a compiled or loaded Program, or a program file's
    path) for ``steps`` steps, every rank a thread of this process, with
    the runtime ``dualpipe-run`` uses.

    ``modules``: one ``torch.nn.Module`` per stage (each maps the
    activation to the next, the last to the output the loss compares); they
    are scripted with ``torch.jit.script`` and replace the stages' layers.
    ``data``: a callable ``(step, microbatch) -> (input, target)``, both
    counted from 0, returning tensors: the input of the program's message
    shape and dtype, the target of that shape (mse) or int64 class ids of
    that shape without its last dimension (cross_entropy). It is called by
    each rank that needs a micro-batch (and by the check), from the ranks'
    threads with the GIL taken, so it must be deterministic in (step,
    microbatch). Or a pair ``(inputs, targets)`` of those tensors stacked
    over the micro-batches (the same batch every step) or over the steps
    and the micro-batches. Left out, every step trains on the runtime's
    synthetic batch. Each call's data is its own: train() may run in
    several threads at once.
    ``backend``: ``"threads"`` (every rank a thread of this process) only;
    for Gloo processes use ``dualpipe-run --spawn``.
    ``device``: ``"cpu"`` or ``"cuda"`` (ValueError where CUDA is absent).
    ``loss``: ``"mse"`` or ``"cross_entropy"`` instead of the program's.
    ``val_data`` and ``eval_every``: a 1-D integer tensor of token ids
    (as ``data``'s token stream) for a language-model program, and a
    period of at least one step; the run evaluates (forward only, in the
    schedule's forward-only order) before the first step, after every
    ``eval_every`` steps and after the last one, as ``dualpipe-run
    --val-data FILE --eval-every K``, into ``TrainResult.eval_losses``.
    ``check``: compares the first step with a sequential run (losses
    bitwise, gradients within 1e-13), and with ``val_data`` evaluation 0's
    losses too, and raises CheckError on a difference.
    A failing rank raises dualpipe.RuntimeError with the runtime's message
    (rank, instruction, cause); bad arguments ValueError or TypeError.
    The runtime sets torch's intra-op threads to 1 for determinism.
    """
    if not isinstance(program, Program):
        if not isinstance(program, (str, os.PathLike)):
            raise TypeError(f"program: expected a Program or a program file "
                            f"path, got {type(program).__name__}")
        program = Program.load(program)
    if not program.has_model:
        raise ValueError("program: it has no model (lowered from a bare "
                         "schedule); compile a spec or load a program file")
    check_int(steps, "steps", minimum=1)
    check_bool(check, "check")
    if not isinstance(backend, str):
        raise TypeError(f"backend: expected str, got "
                        f"{type(backend).__name__}")
    if backend not in _BACKENDS:
        raise ValueError(f"backend: expected one of {', '.join(_BACKENDS)} "
                         f"(train() runs the ranks as threads of this "
                         f"process), got {backend!r}; for gloo processes "
                         f"use dualpipe-run --spawn")
    if not isinstance(device, str):
        raise TypeError(f"device: expected str, got {type(device).__name__}")
    if device not in _DEVICES:
        raise ValueError(f"device: expected one of {', '.join(_DEVICES)}, "
                         f"got {device!r}")
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)):
        raise TypeError(f"timeout: expected seconds, got "
                        f"{type(timeout).__name__}")
    document = json.loads(program.to_json())
    if loss is not None:
        if loss not in _LOSSES:
            raise ValueError(f"loss: expected one of {', '.join(_LOSSES)}, "
                             f"got {loss!r}")
        document["model"]["loss"] = loss
        if loss == "cross_entropy" and "classes" not in document["model"]:
            document["model"]["classes"] = \
                document["model"]["microbatch"]["hidden"]
    source = batches(data, document, steps)
    val_tokens, period = validation(val_data, eval_every, document)

    import torch  # noqa: F401 - libtorch_python, which _runtime links
    from . import _runtime
    with tempfile.TemporaryDirectory(prefix="dualpipe-") as directory:
        if modules is not None:
            _scripted_stages(document, modules, directory)
        args = _runtime.TrainArgs()
        args.program_json = json.dumps(document)
        args.base_dir = program.base_dir or os.getcwd()
        args.steps = steps
        args.check = check
        args.timeout = float(timeout)
        args.device = device
        args.data = source
        args.val_data = val_tokens
        args.eval_every = period
        outcome = _runtime.train(args)
    if outcome.error:
        raise RuntimeError(outcome.error)
    if outcome.check_failures:
        raise CheckError("\n".join(outcome.check_failures +
                                   [outcome.check_line]))
    return TrainResult(losses=list(outcome.step_losses),
                       microbatch_losses=[list(step) for step in
                                          outcome.microbatch_losses],
                       step_seconds=list(outcome.step_seconds),
                       seconds_per_step=outcome.seconds_per_step,
                       peak_live_activations=list(outcome.peak_live),
                       check=outcome.check_line or None,
                       summary=outcome.summary,
                       eval_losses=[Evaluation(step, loss) for step, loss
                                    in outcome.eval_losses])
