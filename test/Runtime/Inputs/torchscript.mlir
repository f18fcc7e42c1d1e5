// Eight layers, each the TorchScript block in block.pt (a path relative to
// this spec), trained with Adam.
pipe.model @scripted config {hidden = 32, microbatch_size = 4, loss = "mse",
                             optimizer = "adam", lr = 0.01, seed = 3} {
  pipe.layer kernel("torchscript") repeat(8) {path = "block.pt"}
      cost(f = 1.0, b = 2.0, w = 1.0)
}
pipe.pipeline @train model(@scripted) ranks(4) microbatches(8) schedule(dualpipe)
