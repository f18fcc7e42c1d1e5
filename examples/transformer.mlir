// An 8-layer decoder-only transformer: pre-norm blocks of causal multi-head
// self-attention and an MLP. Activations are [microbatch, seq, hidden].
//
//   dualpipe-opt examples/transformer.mlir --pipe-lower="kind=dualpipev ranks=4 microbatches=8"
pipe.model @transformer config {hidden = 32, seq_len = 8, microbatch_size = 2,
                                loss = "mse", optimizer = "adam", lr = 0.001,
                                seed = 7} {
  pipe.layer kernel("transformer") repeat(8) {heads = 4, ffn = 64}
      cost(f = 1.0, b = 2.0, w = 1.0)
}
pipe.pipeline @train model(@transformer) ranks(4) microbatches(8) schedule("1f1b")
