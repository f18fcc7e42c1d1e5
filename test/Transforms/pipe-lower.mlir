// pipe-lower takes a spec straight to verified level-3 programs; one spec
// compiles for every kind and rank count.
// RUN: dualpipe-opt %s --pipe-lower | FileCheck %s
// RUN: dualpipe-opt %s --pipe-lower | dualpipe-opt | dualpipe-opt --pipe-verify-schedule | FileCheck %s
// RUN: dualpipe-opt %s --pipe-lower -mlir-print-op-generic | dualpipe-opt | FileCheck %s
// RUN: dualpipe-opt %s --pipe-lower="kind=zbv ranks=2 microbatches=4" | FileCheck %s --check-prefix=ZBV
// RUN: not dualpipe-opt %s --pipe-lower="kind=interleaved-1f1b ranks=4 virtual-stages=4" 2>&1 | FileCheck %s --check-prefix=FEW
// A pass pipeline that gives kind and ranks once, to the first pass: the
// later passes take them from the pipeline op, where partitioning records them.
// RUN: dualpipe-opt %s --pass-pipeline='builtin.module(pipe-partition-stages{kind=zbv ranks=2}, pipe-generate-schedule, pipe.schedule(pipe-insert-comm, pipe-fuse-overlap, pipe-schedule-comm, pipe-verify-schedule))' | FileCheck %s --check-prefix=ONCE
// RUN: dualpipe-opt %s --pipe-partition-stages="kind=interleaved-1f1b ranks=2 virtual-stages=2" | FileCheck %s --check-prefix=RECORDED
// pipe-lower hands its options to the passes as their option structs; a
// count left out prints as None and parses back as "not given".
// RUN: dualpipe-opt %s --pipe-lower="kind=zbv ranks=2" --dump-pass-pipeline -o /dev/null 2>&1 | FileCheck %s --check-prefix=DUMP
// RUN: dualpipe-opt %s --pass-pipeline="builtin.module(pipe-partition-stages{kind=zbv ranks=2 virtual-stages=None}, pipe-generate-schedule{kind=zbv ranks=2 microbatches=none})" | FileCheck %s --check-prefix=NONE
// RUN: not dualpipe-opt %s --pipe-lower="ranks=two" 2>&1 | FileCheck %s --check-prefix=NOTINT

pipe.model @mlp config {hidden = 8, microbatch_size = 2} {
  pipe.layer kernel("mlp") repeat(8) {ffn = 16} cost(f = 1.0, b = 2.0, w = 1.0)
}
pipe.pipeline @train model(@mlp) ranks(4) microbatches(8) schedule(dualpipe)

// CHECK:       pipe.schedule @train kind(dualpipe) placement(dual) ranks(4) stages(4) microbatches(8) model(@mlp) layout([2, 2, 2, 2]) message(tensor<2x8xf32>) level(3) {
// CHECK:         pipe.rank 0 {
// CHECK:           pipe.recv
// CHECK:           pipe.overlap {
// CHECK:           pipe.send
// CHECK:         pipe.rank 3 {
// CHECK-NOT:   pipe.pipeline

// ZBV:         pipe.schedule @train kind(zbv) placement(v) ranks(2) stages(4) microbatches(4) model(@mlp) layout([2, 2, 2, 2])
// ONCE:        pipe.schedule @train kind(zbv) placement(v) ranks(2) stages(4) microbatches(8) model(@mlp) layout([2, 2, 2, 2]) message(tensor<2x8xf32>)
// ONCE:          pipe.send
// RECORDED:    pipe.pipeline @train model(@mlp) ranks(2) microbatches(8) schedule("interleaved-1f1b") virtual_stages(2) layout([2, 2, 2, 2])
// DUMP:        pipe-partition-stages{kind=zbv ranks=2 virtual-stages=None}
// DUMP:        pipe-generate-schedule{{{.*}} kind=zbv {{.*}} microbatches=None {{.*}} ranks=2 {{.*}} virtual-stages=None}
// DUMP:        pipe-schedule-comm{lookahead=-1 policy=eager}
// DUMP:        pipe-verify-schedule{matching=by-key}
// NONE:        pipe.schedule @train kind(zbv) placement(v) ranks(2) stages(4) microbatches(8)
// NOTINT:      for the --ranks option: 'two' is not an integer
// FEW:         error: 'pipe.pipeline' op model 'mlp' has 8 layers, fewer than the 16 stages interleaved-1f1b needs
