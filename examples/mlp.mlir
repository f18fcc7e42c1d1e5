// A 16-layer MLP: every layer is Linear(hidden, ffn), GELU, Linear(ffn,
// hidden), as in DualPipe's example. Compile it for any schedule and rank
// count; partitioning groups the layers into the stages the schedule needs:
//
//   dualpipe-opt examples/mlp.mlir --pipe-lower
//   dualpipe-opt examples/mlp.mlir --pipe-lower="kind=1f1b ranks=4 microbatches=8"
pipe.model @mlp config {hidden = 32, microbatch_size = 4, loss = "mse",
                        optimizer = "sgd", lr = 0.1, seed = 1234} {
  pipe.layer kernel("mlp") repeat(16) {ffn = 64} cost(f = 1.0, b = 2.0, w = 1.0)
}
pipe.pipeline @train model(@mlp) ranks(8) microbatches(20) schedule(dualpipe)
