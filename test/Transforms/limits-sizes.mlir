// RUN: dualpipe-opt %s -split-input-file -verify-diagnostics --pipe-lower

// Issue 11: 4 stages x 2^20 micro-batches took 90 s and 5.1 GB.
pipe.model @m {
  pipe.layer kernel("mlp") repeat(4)
}
// expected-error @+1 {{stages * microbatches must be at most 262144, got 4194304}}
pipe.pipeline @train model(@m) ranks(4) microbatches(1048576) schedule("1f1b")

// -----

// Issue 11: the ranks bound answered after 230 s of partitioning.
pipe.model @m {
  pipe.layer kernel("mlp") repeat(5000)
}
// expected-error @+1 {{ranks must be at most 4096, got 4097}}
pipe.pipeline @train model(@m) ranks(4097) microbatches(8194) schedule("1f1b")
