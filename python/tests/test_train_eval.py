"""dualpipe.train(val_data=tokens, eval_every=K): the validation loss of a
language model, evaluated as ``dualpipe-run --val-data FILE --eval-every K``
evaluates it."""

import json

import pytest

torch = pytest.importorskip("torch")

import dualpipe  # noqa: E402
from conftest import TINY_GPT, cli  # noqa: E402

TRAIN = torch.tensor(list(range(256)) * 4, dtype=torch.long)
VAL = torch.tensor(list(range(256)) * 2, dtype=torch.long)
# Evaluations after 0, 8, 16 and (the last step) 20 steps.
STEPS, EVERY = 20, 8


@pytest.fixture(scope="module")
def evaluated(gpt_program) -> dualpipe.TrainResult:
    """The tiny GPT trained STEPS steps on TRAIN, evaluated on VAL."""
    return dualpipe.train(gpt_program, STEPS, data=TRAIN, val_data=VAL,
                          eval_every=EVERY)


@pytest.mark.parametrize("kind", ["dualpipe", "1f1b"])
def test_eval_losses_equal_dualpipe_run_bitwise(kind, tmp_path):
    program = dualpipe.compile(TINY_GPT, kind=kind)
    path = tmp_path / "gpt.json"
    program.save(path)
    train, val = tmp_path / "train.bin", tmp_path / "val.bin"
    train.write_bytes(bytes(TRAIN.tolist()))
    val.write_bytes(bytes(VAL.tolist()))
    losses = tmp_path / "losses.json"
    output = cli("dualpipe-run", str(path), "--steps", str(STEPS), "--data",
                 str(train), "--val-data", str(val), "--data-format",
                 "bytes", "--eval-every", str(EVERY), "--losses-json",
                 str(losses))
    expected = json.loads(losses.read_text())
    result = dualpipe.train(program, STEPS, data=TRAIN,
                            val_data=VAL.to(torch.int16), eval_every=EVERY)
    assert result.eval_losses == [(e["step"], e["val_loss"])
                                  for e in expected["evals"]]
    assert [e.step for e in result.eval_losses] == [0, 8, 16, 20]
    assert output.count("eval step ") == len(result.eval_losses)
    assert result.losses == expected["losses"]


def test_eval_losses_fall(evaluated):
    first, last = evaluated.eval_losses[0], evaluated.eval_losses[-1]
    assert isinstance(first, dualpipe.Evaluation)
    losses = [e.loss for e in evaluated.eval_losses]
    assert last.loss == min(losses) and last.loss < first.loss - 0.3, losses


def test_evaluation_leaves_training_alone(gpt_program, evaluated):
    plain = dualpipe.train(gpt_program, STEPS, data=TRAIN)
    assert plain.losses == evaluated.losses
    assert plain.eval_losses == []
    # A step's time leaves out the evaluations: one entry per step.
    assert len(evaluated.step_seconds) == STEPS


def test_check_compares_eval_zero(gpt_program, evaluated):
    result = dualpipe.train(gpt_program, 2, data=TRAIN, val_data=VAL,
                            eval_every=1, check=True)
    assert "4 validation losses of eval step 0 likewise" in result.check
    assert result.eval_losses[0] == evaluated.eval_losses[0]
    assert [e.step for e in result.eval_losses] == [0, 1, 2]


@pytest.mark.parametrize("arguments,error,match", [
    ({"eval_every": 2}, ValueError, "^eval_every: evaluation needs val_data"),
    ({"val_data": VAL}, ValueError, "^val_data: needs eval_every"),
    ({"val_data": VAL, "eval_every": 0}, ValueError,
     "^eval_every: expected an int >= 1, got 0"),
    ({"val_data": VAL, "eval_every": -3}, ValueError,
     "^eval_every: expected an int >= 1, got -3"),
    ({"val_data": VAL, "eval_every": 1.5}, TypeError,
     "^eval_every: expected an int, got float"),
    ({"val_data": VAL.tolist(), "eval_every": 1}, TypeError,
     "^val_data: expected a 1-D integer torch.Tensor of token ids, got list"),
    ({"val_data": VAL.reshape(2, 256), "eval_every": 1}, ValueError,
     r"^val_data: a token stream must be 1-D, got shape \[2, 256\]"),
    ({"val_data": VAL.float(), "eval_every": 1}, TypeError,
     "^val_data: token ids must be an integer tensor, got float32"),
    ({"val_data": torch.tensor([1, 2, 3]), "eval_every": 1}, ValueError,
     "^val_data: 3 tokens, too short for one window of seq_len"),
    ({"val_data": torch.tensor([0] * 20 + [256]), "eval_every": 1},
     ValueError,
     r"^val_data: token 256 at token offset 20 is outside the vocabulary"),
])
def test_bad_evaluation_arguments(gpt_program, arguments, error, match):
    with pytest.raises(error, match=match):
        dualpipe.train(gpt_program, 1, data=TRAIN, **arguments)


def test_val_data_needs_a_language_model(mlp_program):
    with pytest.raises(ValueError, match="^val_data: a single tensor is a "
                       "token stream, which needs a language-model program"):
        dualpipe.train(mlp_program, 1, val_data=VAL, eval_every=1)
