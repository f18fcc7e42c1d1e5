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


def test_tensor_pair_is_the_callable_of_its_slices(mlp_program):
    data = Regression()
    inputs = torch.stack([data(0, m)[0] for m in range(8)])
    targets = torch.stack([data(0, m)[1] for m in range(8)])
    stacked = dualpipe.train(mlp_program, 2, data=(inputs, targets),
                             check=True)
    assert stacked.check.startswith("check: ok")
    same = dualpipe.train(mlp_program, 2, data=lambda s, m: data(0, m))
    assert stacked.losses == same.losses
    per_step = dualpipe.train(
        mlp_program, 2,
        data=(torch.stack([inputs, inputs * 2]),
              torch.stack([targets, targets])))
    assert per_step.losses[0] == stacked.losses[0]
    assert per_step.losses[1] != stacked.losses[1]


def test_tensor_pair_cross_entropy(mlp_program):
    inputs = torch.randn(8, ROWS, HIDDEN)
    targets = torch.arange(8 * ROWS).reshape(8, ROWS) % HIDDEN
    result = dualpipe.train(mlp_program, 1, data=(inputs, targets),
                            loss="cross_entropy", check=True)
    assert result.check.startswith("check: ok")


GOOD = torch.zeros(8, ROWS, HIDDEN)


@pytest.mark.parametrize("data,error,match", [
    (3, TypeError, "^data: expected a callable"),
    ((GOOD, GOOD, GOOD), TypeError, "^data: expected a callable"),
    (torch.zeros(100, dtype=torch.long), ValueError,
     "^data: a single tensor is a token stream"),
    ((GOOD, "y"), TypeError, r"^data\[1\]: expected a torch.Tensor"),
    ((torch.zeros(7, ROWS, HIDDEN), GOOD), ValueError,
     r"^data\[0\]: expected shape \[8, 4, 32\] .* got \[7, 4, 32\]"),
    ((GOOD.double(), GOOD), ValueError,
     r"^data\[0\]: expected dtype float32, got float64"),
    ((GOOD, torch.zeros(2, 8, ROWS, HIDDEN)), ValueError,
     "^data: inputs .* stack different dimensions"),
])
def test_bad_data_arguments(mlp_program, data, error, match):
    with pytest.raises(error, match=match):
        dualpipe.train(mlp_program, 2, data=data)


def test_cross_entropy_targets_must_be_class_ids(mlp_program):
    with pytest.raises(ValueError, match=r"^data\[1\]: expected shape"):
        dualpipe.train(mlp_program, 1, data=(GOOD, GOOD),
                       loss="cross_entropy")
    with pytest.raises(ValueError, match=r"^data\[1\]: expected dtype int64"):
        dualpipe.train(mlp_program, 1,
                       data=(GOOD, torch.zeros(8, ROWS)),
                       loss="cross_entropy")


def test_concurrent_runs_train_on_their_own_data(mlp_program):
    sources = [Regression(seed=0), Regression(seed=1)]
    alone = [dualpipe.train(mlp_program, 2, data=d).losses for d in sources]
    assert alone[0] != alone[1]
    results = [None, None]
    barrier = threading.Barrier(2)

    def run(i: int) -> None:
        barrier.wait()
        results[i] = dualpipe.train(mlp_program, 2,
                                    data=Regression(seed=i)).losses

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert results == alone
