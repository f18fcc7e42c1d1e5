// A tiny byte-level GPT for the language-model tests: 4 layers, so that
// every kind's stage count on 2 ranks (2 or 4) fits.
pipe.model @tiny config {hidden = 16, seq_len = 8, microbatch_size = 2,
                         loss = "cross_entropy", optimizer = "adam",
                         lr = 0.01, seed = 5} {
  pipe.layer kernel("embedding") {vocab = 256}
  pipe.layer kernel("transformer") repeat(2) {heads = 2, ffn = 32}
  pipe.layer kernel("lm_head")
}
pipe.pipeline @train model(@tiny) ranks(2) microbatches(4) schedule(dualpipe)
