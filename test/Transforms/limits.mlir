// RUN: dualpipe-opt %s -split-input-file -verify-diagnostics --pipe-lower
// RUN: dualpipe-opt %s -split-input-file -verify-diagnostics --pipe-partition-stages

// Issue 11: these entries overflowed int64 when summed and read past the
// layers (SIGSEGV). A partition error stands at the pipeline, with a note
// at its model.
// expected-note @+1 {{model 'm' is defined here}}
pipe.model @m {
  pipe.layer kernel("mlp") repeat(6) cost(f = 1.0, b = 2.0, w = 1.0)
}
// expected-error @+1 {{'pipe.pipeline' op model 'm': layout entries up to layout[0] sum to more than the model's 6 layers}}
pipe.pipeline @train model(@m) ranks(3) microbatches(6) schedule("1f1b") layout([9223372036854775807, 9223372036854775807, 8])

// -----

// Issue 11: expanded one copy per repeat (OOM); two overflowed to "-2 layers".
// expected-note @+1 {{model 'm' is defined here}}
pipe.model @m {
  pipe.layer kernel("mlp") repeat(9223372036854775807)
  pipe.layer kernel("mlp") repeat(9223372036854775807)
}
// expected-error @+1 {{'pipe.pipeline' op model 'm': the layer count (repeats expanded) must be at most 262144, got 9223372036854775807}}
pipe.pipeline @train model(@m) ranks(4) microbatches(8) schedule("1f1b")

// -----

// Issue 11: finite costs whose sums overflowed to inf gave an empty stage.
// The error stands at the layer, with a note at the pipeline.
pipe.model @m {
  // expected-error @+1 {{'pipe.layer' op model 'm' layer 0 (mlp): cost f must be finite, >= 0 and <= 1e+100, got 5e+307}}
  pipe.layer kernel("mlp") repeat(8) cost(f = 5.0e307, b = 5.0e307, w = 1.0)
}
// expected-note @+1 {{partitioned into the stages of pipe.pipeline 'train'}}
pipe.pipeline @train model(@m) ranks(4) microbatches(8) schedule("1f1b")
