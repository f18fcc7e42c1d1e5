// A byte-level GPT: token and position embeddings, 8 pre-norm decoder
// blocks (causal attention with 4 heads, MLP 4x wide), a final norm and a
// projection to the 256 byte values, trained with token cross-entropy.
// Costs are the blocks' forward FLOPs per token relative to a block's
// (2 x 12 h^2 + 4 seq h, h = 64): the head's 2 h vocab is 0.29 of a block, the
// embedding's lookup next to nothing, so partitioning puts the ends on
// stages with fewer blocks where the count allows.
//
//   python3 scripts/make-corpus.py build/corpus    (train.bin, val.bin)
//   dualpipe-opt examples/gpt.mlir --pipe-lower | dualpipe-translate --pipe-to-program -o gpt.json
//   dualpipe-run gpt.json --data build/corpus/train.bin --data-format bytes --steps 40
pipe.model @gpt config {hidden = 64, seq_len = 64, microbatch_size = 2,
                        loss = "cross_entropy", optimizer = "adam",
                        lr = 0.003, seed = 1} {
  pipe.layer kernel("embedding") {vocab = 256} cost(f = 0.01, b = 0.02, w = 0.01)
  pipe.layer kernel("transformer") repeat(8) {heads = 4, ffn = 256}
      cost(f = 1.0, b = 2.0, w = 1.0)
  pipe.layer kernel("lm_head") cost(f = 0.29, b = 0.58, w = 0.29)
}
pipe.pipeline @train model(@gpt) ranks(4) microbatches(8) schedule(dualpipe)
