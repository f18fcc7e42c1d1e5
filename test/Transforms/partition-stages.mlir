// RUN: dualpipe-opt %s -split-input-file --pipe-partition-stages | FileCheck %s
// RUN: dualpipe-opt %s -split-input-file --pipe-partition-stages="kind=dualpipev ranks=2" | FileCheck %s --check-prefix=V
// RUN: dualpipe-opt %s -split-input-file --pipe-partition-stages="layout=1,5" | FileCheck %s --check-prefix=EXPLICIT
// RUN: dualpipe-opt %s -split-input-file -verify-diagnostics --pipe-partition-stages="kind=gpipe ranks=8"

// Costs are balanced: the heavy layer gets a stage of its own.
// CHECK-LABEL: pipe.pipeline @train
// CHECK-SAME:    layout([1, 5])
// V:           pipe.pipeline @train model(@m) ranks(2) microbatches(4) schedule(dualpipev) layout([1, 1, 2, 2])
// EXPLICIT:    layout([1, 5])
// expected-note @+1 {{model 'm' is defined here}}
pipe.model @m {
  pipe.layer kernel("mlp") cost(f = 5.0, b = 10.0, w = 5.0)
  pipe.layer kernel("mlp") repeat(5) cost(f = 1.0, b = 2.0, w = 1.0)
}
// expected-error @+1 {{'pipe.pipeline' op model 'm' has 6 layers, fewer than the 8 stages gpipe needs}}
pipe.pipeline @train model(@m) ranks(2) microbatches(4) schedule("1f1b")

// -----

// A pipeline without a model needs no partition.
// CHECK-LABEL: pipe.pipeline @bare
// CHECK-NOT:     layout
pipe.pipeline @bare ranks(2) microbatches(4) schedule(gpipe)
