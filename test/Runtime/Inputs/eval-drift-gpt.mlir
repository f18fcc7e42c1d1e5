// A byte-level language model around one TorchScript layer, drift.pt (a path
// relative to this spec; make-eval-drift.py), for the negative test of
// --check's evaluation comparison: DualPipe on 2 ranks, so each stage's two
// copies see half of the 4 micro-batches each.
pipe.model @drift config {hidden = 16, seq_len = 8, microbatch_size = 2,
                          loss = "cross_entropy", optimizer = "adam",
                          lr = 0.01, seed = 5} {
  pipe.layer kernel("embedding") {vocab = 256}
  pipe.layer kernel("torchscript") {path = "drift.pt"}
  pipe.layer kernel("lm_head")
}
pipe.pipeline @train model(@drift) ranks(2) microbatches(4) schedule(dualpipe)
