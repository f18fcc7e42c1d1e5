"""dualpipe.train: the C++ runtime in this process."""

import json

import pytest

torch = pytest.importorskip("torch")  # Debian's python3-torch: a dependency

import dualpipe  # noqa: E402
from conftest import MLP_SPEC, cli, step_losses  # noqa: E402

HIDDEN = 32  # examples/mlp.mlir


class Block(torch.nn.Module):
    """A residual MLP block, the shape of the built-in mlp kernel."""

    def __init__(self, hidden: int = HIDDEN) -> None:
        super().__init__()
        self.up = torch.nn.Linear(hidden, 2 * hidden)
        self.down = torch.nn.Linear(2 * hidden, hidden)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.down(torch.tanh(self.up(x)))


def blocks(count: int, seed: int = 0) -> list:
    torch.manual_seed(seed)
    return [Block() for _ in range(count)]


def test_losses_equal_dualpipe_run(mlp_program, tmp_path):
    path = tmp_path / "mlp.json"
    mlp_program.save(path)
    expected = step_losses(cli("dualpipe-run", str(path), "--steps", "3"))
    result = dualpipe.train(mlp_program, 3)
    # dualpipe-run prints 9 significant digits.
    assert [f"{loss:.9g}" for loss in result.losses] == expected
    # The same program again in this process: bitwise the same.
    assert dualpipe.train(path, 3).losses == result.losses
    assert len(result.step_seconds) == 3 and result.seconds_per_step > 0
    assert len(result.microbatch_losses) == 3
    assert sum(result.microbatch_losses[0]) == result.losses[0]
    assert result.check is None and "3 steps" in result.summary


@pytest.mark.parametrize("kind", ["dualpipe", "1f1b", "zb-h1"])
def test_losses_bitwise_equal_dualpipe_run(kind, tmp_path):
    program = dualpipe.compile(MLP_SPEC, kind=kind, ranks=4, microbatches=8)
    path = tmp_path / "p.json"
    program.save(path)
    losses = tmp_path / "losses.json"
    cli("dualpipe-run", str(path), "--steps", "3", "--losses-json",
        str(losses))
    expected = json.loads(losses.read_text())
    result = dualpipe.train(program, 3)
    assert result.losses == expected["losses"]
    assert result.microbatch_losses == expected["microbatch_losses"]


def test_backend_error_names_the_supported_values(mlp_program):
    with pytest.raises(ValueError, match="^backend: expected one of threads"):
        dualpipe.train(mlp_program, 1, backend="gloo")


@pytest.mark.skipif(torch.cuda.is_available(), reason="CUDA is present")
def test_cuda_without_cuda_is_a_value_error(mlp_program):
    with pytest.raises(ValueError, match="^device: .*CUDA"):
        dualpipe.train(mlp_program, 1, device="cuda")


def test_check_passes_with_the_builtin_kernels(mlp_program):
    result = dualpipe.train(mlp_program, 2, check=True)
    assert result.check.startswith("check: ok: 8 micro-batch losses")


def test_user_modules_train_and_check(mlp_program):
    result = dualpipe.train(mlp_program, 6, modules=blocks(4), check=True)
    assert result.check.startswith("check: ok")
    assert result.losses[-1] < result.losses[0]
    # The modules' own weights: a different seed, different losses.
    other = dualpipe.train(mlp_program, 1, modules=blocks(4, seed=1))
    assert other.losses[0] != result.losses[0]


def test_cross_entropy_loss(mlp_program):
    result = dualpipe.train(mlp_program, 2, loss="cross_entropy")
    assert result.losses[0] > 0


def test_nondeterministic_module_fails_the_check(mlp_program):
    noisy = blocks(4)
    noisy[2] = torch.nn.Sequential(torch.nn.Dropout(0.5), Block())
    with pytest.raises(dualpipe.CheckError, match="sequential reference"):
        dualpipe.train(mlp_program, 1, modules=noisy, check=True)


def test_runtime_failure_names_rank_and_instruction(mlp_program):
    bad = blocks(4)
    bad[1] = torch.nn.Linear(HIDDEN, HIDDEN + 1)
    with pytest.raises(dualpipe.RuntimeError, match="rank 1") as error:
        dualpipe.train(mlp_program, 1, modules=bad)
    assert "stage 1" in str(error.value)
    assert isinstance(error.value, RuntimeError)


@pytest.mark.parametrize("kwargs,error,match", [
    ({"modules": blocks(3)}, ValueError, "^modules: the program has 4"),
    ({"modules": [1, 2, 3, 4]}, TypeError, r"^modules\[0\]"),
    ({"modules": Block()}, TypeError, "^modules: expected a list"),
    ({"loss": "hinge"}, ValueError, "^loss"),
    ({"backend": "gloo"}, ValueError, "^backend"),
    ({"backend": 1}, TypeError, "^backend"),
    ({"device": "tpu"}, ValueError, "^device"),
    ({"device": 0}, TypeError, "^device"),
    ({"check": 1}, TypeError, "^check"),
    ({"timeout": -1.0}, ValueError, "^timeout"),
    ({"timeout": "1"}, TypeError, "^timeout"),
])
def test_bad_arguments(mlp_program, kwargs, error, match):
    with pytest.raises(error, match=match):
        dualpipe.train(mlp_program, 1, **kwargs)


def test_bad_program_and_steps(mlp_program):
    with pytest.raises(ValueError, match="^steps"):
        dualpipe.train(mlp_program, 0)
    with pytest.raises(TypeError, match="^steps"):
        dualpipe.train(mlp_program, 1.5)
    with pytest.raises(TypeError, match="^program"):
        dualpipe.train(None, 1)
    with pytest.raises(ValueError, match="^program: it has no model"):
        dualpipe.train(dualpipe.schedule("1f1b", 2, 4).lower(), 1)


def test_unscriptable_module(mlp_program):
    class Opaque(torch.nn.Module):
        def forward(self, x):
            return x.numpy()

    with pytest.raises(TypeError, match=r"^modules\[3\]: torch.jit.script"):
        dualpipe.train(mlp_program, 1, modules=blocks(3) + [Opaque()])
