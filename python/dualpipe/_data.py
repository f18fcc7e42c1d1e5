"""train()'s ``data`` argument: what it accepts, checked before a run."""

from typing import TYPE_CHECKING, Callable, List, Optional, Tuple, Union

from ._costs import check_int

if TYPE_CHECKING:
    import torch

#: (step, microbatch) -> (input, target), both counted from 0.
Batch = Callable[[int, int], Tuple[object, object]]


def _shapes(document: dict) -> Tuple[List[int], List[int], str]:
    """The input and target shape of one micro-batch, and the input dtype
    (torch's name), from a program document with its final loss."""
    message = document["message"]
    shape = list(message["shape"])
    if document["model"].get("loss", "mse") == "cross_entropy":
        return shape, shape[:-1], message["dtype"]
    return shape, shape, message["dtype"]


def _check_stack(tensor: object, argument: str, rows: List[int],
                 dtype: Optional[str], microbatches: int,
                 steps: int) -> int:
    """The number of leading dimensions (1: [microbatch, ...] or 2:
    [step, microbatch, ...]) of a stacked data tensor, or ValueError."""
    import torch
    if not isinstance(tensor, torch.Tensor):
        raise TypeError(f"{argument}: expected a torch.Tensor, got "
                        f"{type(tensor).__name__}")
    shape = list(tensor.shape)
    for lead, expected in ((1, [microbatches]), (2, [steps, microbatches])):
        if shape == expected + rows:
            break
    else:
        raise ValueError(
            f"{argument}: expected shape {[microbatches] + rows} (a "
            f"micro-batch each, every step) or {[steps, microbatches] + rows}"
            f" (per step), got {shape}")
    if dtype is not None and str(tensor.dtype) != f"torch.{dtype}":
        raise ValueError(f"{argument}: expected dtype {dtype}, got "
                         f"{str(tensor.dtype).replace('torch.', '')}")
    return lead


def _token_stream(tokens: "torch.Tensor", document: dict, argument: str,
                  alternatives: str = "") -> "torch.Tensor":
    """``tokens`` as a token stream for a language-model program, checked
    for what the runtime's TokenSource does not check (its type and rank);
    the runtime draws the windows as ``dualpipe-run --data`` does and checks
    the length and the vocabulary. ``alternatives`` ends the error of a
    program without token input with what it takes instead."""
    import torch
    if not isinstance(tokens, torch.Tensor):
        raise TypeError(f"{argument}: expected a 1-D integer torch.Tensor "
                        f"of token ids, got {type(tokens).__name__}")
    if document.get("input", {}).get("dtype") != "int64":
        raise ValueError(
            f"{argument}: a single tensor is a token stream, which needs a "
            f"language-model program (an embedding first layer)"
            f"{alternatives}")
    if tokens.dim() != 1:
        raise ValueError(f"{argument}: a token stream must be 1-D, got "
                         f"shape {list(tokens.shape)}")
    if tokens.dtype.is_floating_point or tokens.dtype.is_complex or \
            tokens.dtype == torch.bool:
        raise TypeError(f"{argument}: token ids must be an integer tensor, "
                        f"got {str(tokens.dtype).replace('torch.', '')}")
    return tokens


def validation(val_data: object, eval_every: Optional[int],
               document: dict) -> Tuple[Optional["torch.Tensor"], int]:
    """train()'s ``val_data`` (a token stream, checked as ``data``'s) and
    ``eval_every`` (a period of at least one step), which come together
    as ``dualpipe-run --val-data FILE --eval-every K`` do; ``(None, 0)``
    without them."""
    if val_data is None:
        if eval_every is not None:
            raise ValueError("eval_every: evaluation needs val_data, a "
                             "token stream to evaluate on")
        return None, 0
    if eval_every is None:
        raise ValueError("val_data: needs eval_every, the steps between "
                         "evaluations")
    check_int(eval_every, "eval_every", minimum=1)
    return _token_stream(val_data, document, "val_data"), eval_every


def batches(data: object, document: dict,
            steps: int) -> Union[None, Batch, "torch.Tensor"]:
    """The callable the runtime asks for each (step, micro-batch), from
    ``data``: None (the synthetic batch), a callable, or a pair
    ``(inputs, targets)`` of tensors stacked over the micro-batches
    (``[microbatches, *shape]``, the same batch every step) or over steps
    and micro-batches (``[steps, microbatches, *shape]``)."""
    import torch
    if data is None or callable(data):
        return data  # type: ignore[return-value]
    if isinstance(data, torch.Tensor):
        return _token_stream(
            data, document, "data",
            "; this program takes a pair (inputs, targets) of tensors or a "
            "callable (step, microbatch) -> (input, target)")
    if not isinstance(data, (tuple, list)) or len(data) != 2:
        raise TypeError(f"data: expected a callable (step, microbatch) -> "
                        f"(input, target) or a pair (inputs, targets) of "
                        f"tensors, got {type(data).__name__}")
    microbatches = int(document["schedule"]["microbatches"])
    input_shape, target_shape, dtype = _shapes(document)
    target_dtype = dtype if target_shape == input_shape else "int64"
    inputs, targets = data
    lead = _check_stack(inputs, "data[0]", input_shape, dtype, microbatches,
                        steps)
    if _check_stack(targets, "data[1]", target_shape, target_dtype,
                    microbatches, steps) != lead:
        raise ValueError(f"data: inputs {list(inputs.shape)} and targets "
                         f"{list(targets.shape)} stack different dimensions")
    if lead == 1:
        return lambda step, mb: (inputs[mb], targets[mb])
    return lambda step, mb: (inputs[step][mb], targets[step][mb])
