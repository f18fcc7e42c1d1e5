"""dualpipe.train(data=...): the user's batches reach the runtime."""

import threading

import pytest

torch = pytest.importorskip("torch")

import dualpipe  # noqa: E402
from test_train import HIDDEN, blocks  # noqa: E402

ROWS = 4  # examples/mlp.mlir's microbatch_size


class Regression:
    """A fixed regression set, a different slice per (step, micro-batch);
    records every call."""

    def __init__(self, seed: int = 0) -> None:
        gen = torch.Generator().manual_seed(seed)
        self.x = torch.randn(64 * ROWS, HIDDEN, generator=gen)
        self.y = torch.sin(self.x)
        self.calls = set()
        self.lock = threading.Lock()

    def __call__(self, step: int, mb: int):
        with self.lock:
            self.calls.add((step, mb))
        start = ((step * 8 + mb) % 64) * ROWS
        return self.x[start:start + ROWS], self.y[start:start + ROWS]


def test_data_trains_checks_and_is_deterministic(mlp_program):
    data = Regression()
    result = dualpipe.train(mlp_program, 4, modules=blocks(4), data=data,
                            check=True)
    assert result.check.startswith("check: ok")
    assert data.calls == {(s, m) for s in range(4) for m in range(8)}
    again = dualpipe.train(mlp_program, 4, modules=blocks(4),
                           data=Regression())
    assert again.losses == result.losses
    other = dualpipe.train(mlp_program, 4, modules=blocks(4),
                           data=Regression(seed=1))
    assert other.losses != result.losses
    # Without data: the synthetic batch, a different loss.
    assert dualpipe.train(mlp_program, 1, modules=blocks(4)).losses[0] != \
        result.losses[0]


def test_cross_entropy_targets(mlp_program):
    def data(step, mb):
        x = torch.full((ROWS, HIDDEN), float(step + mb) / 10)
        return x, torch.arange(ROWS) % HIDDEN

    result = dualpipe.train(mlp_program, 2, data=data, loss="cross_entropy",
                            check=True)
    assert result.check.startswith("check: ok")


@pytest.mark.parametrize("data,match", [
    (lambda s, m: (torch.zeros(ROWS, HIDDEN + 1), torch.zeros(ROWS, HIDDEN)),
     r"data: step 0, micro-batch \d: the input has shape \[4, 33\]"),
    (lambda s, m: (torch.zeros(ROWS, HIDDEN, dtype=torch.float64),
                   torch.zeros(ROWS, HIDDEN)), "the input has shape"),
    (lambda s, m: (torch.zeros(ROWS, HIDDEN), torch.zeros(ROWS)),
     "the target has shape"),
    (lambda s, m: 1 / 0, r"data\(0, \d\) raised ZeroDivisionError"),
    (lambda s, m: [torch.zeros(ROWS, HIDDEN)] * 2,
     r"returned list, expected a tuple"),
    (lambda s, m: (None, None), "expected a tuple"),
])
def test_bad_batches_are_runtime_errors(mlp_program, data, match):
    with pytest.raises(dualpipe.RuntimeError, match=match):
        dualpipe.train(mlp_program, 1, data=data)


def test_class_ids_out_of_range(mlp_program):
    def data(step, mb):
        return torch.zeros(ROWS, HIDDEN), torch.full((ROWS,), HIDDEN)

    with pytest.raises(dualpipe.RuntimeError,
                       match=r"holds a class id outside \[0, 32\)"):
        dualpipe.train(mlp_program, 1, data=data, loss="cross_entropy")


def test_data_must_be_callable(mlp_program):
    with pytest.raises(TypeError, match="^data: expected a callable"):
        dualpipe.train(mlp_program, 1, data=torch.zeros(3))
