"""dualpipe.train(data=tokens): a language model on a token stream, drawn
as ``dualpipe-run --data`` draws it."""

import json

import pytest

torch = pytest.importorskip("torch")

import dualpipe  # noqa: E402
from conftest import cli  # noqa: E402

TOKENS = torch.tensor(list(range(256)) * 4, dtype=torch.long)


def test_tokens_train_with_check(gpt_program):
    result = dualpipe.train(gpt_program, 2, data=TOKENS, check=True)
    assert result.check.startswith("check: ok")
    assert len(result.losses) == 2


def test_tokens_equal_dualpipe_run_data_bitwise(gpt_program, tmp_path):
    program = tmp_path / "gpt.json"
    gpt_program.save(program)
    data = tmp_path / "tokens.bin"
    data.write_bytes(bytes(TOKENS.tolist()))
    losses = tmp_path / "losses.json"
    cli("dualpipe-run", str(program), "--steps", "3", "--data", str(data),
        "--data-format", "bytes", "--losses-json", str(losses))
    expected = json.loads(losses.read_text())
    result = dualpipe.train(gpt_program, 3, data=TOKENS.to(torch.int16))
    assert result.losses == expected["losses"]
    assert result.microbatch_losses == expected["microbatch_losses"]


@pytest.mark.parametrize("tokens,error,match", [
    (TOKENS.reshape(4, 256), ValueError,
     r"^data: a token stream must be 1-D, got shape \[4, 256\]"),
    (TOKENS.float(), TypeError,
     "^data: token ids must be an integer tensor, got float32"),
    (torch.tensor([1, 2, 3]), ValueError,
     "^data: 3 tokens, too short for one window of seq_len"),
    (torch.tensor([0] * 20 + [256]), ValueError,
     r"^data: token 256 at token offset 20 is outside the vocabulary"),
])
def test_bad_token_streams(gpt_program, tokens, error, match):
    with pytest.raises(error, match=match):
        dualpipe.train(gpt_program, 1, data=tokens)
