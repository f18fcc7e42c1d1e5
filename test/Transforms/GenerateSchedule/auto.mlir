// kind=auto searches an order for the costs and lowers through insert-comm,
// schedule-comm and verify like every fixed kind (pipe-lower ends in
// pipe-verify-schedule, so the result is proven deadlock-free).
// RUN: echo | dualpipe-opt - --pipe-lower="kind=auto ranks=4 microbatches=8" | FileCheck %s
// One live activation per rank leaves only one micro-batch in flight on the
// standard placement.
// RUN: echo | dualpipe-opt - --pipe-lower="kind=auto ranks=4 microbatches=8 max-activations=1" | FileCheck %s --check-prefix=BUDGET

// CHECK: pipe.schedule @main kind(auto) placement(dual) ranks(4) stages(4) microbatches(8)
// BUDGET: pipe.schedule @main kind(auto) placement(standard) ranks(4) stages(4) microbatches(8)

// Heavy first and last chunks: the interleaved placement spreads their work
// over two ranks each (docs/schedules.md, "auto against every fixed kind").
// RUN: echo | dualpipe-opt - --pipe-lower="kind=auto ranks=4 microbatches=8 cost=f@0=2,b@0=4,w@0=2,f@3=2,b@3=4,w@3=2" | FileCheck %s --check-prefix=HEAVY
// HEAVY: pipe.schedule @main kind(auto) placement(interleaved) ranks(4) stages(8) microbatches(8)

// Without a model nothing records a cut, so the stage boundaries stay at
// even shares of the chunks.
// With a model the layout records where auto puts the stage boundaries.
// Heavy ends on 4 ranks: instead of halving every chunk of the layout, one
// layer of each heavy chunk moves to its neighbour, and every rank carries
// 6 layers' worth of work (docs/schedules.md, "Moving the stage boundaries").
// RUN: dualpipe-opt %examples/mlp.mlir --pipe-lower="kind=auto ranks=4 microbatches=8 cost=f@0=8,b@0=16,w@0=8,f@3=8,b@3=16,w@3=8" | FileCheck %s --check-prefix=MOVED
// MOVED: pipe.schedule @train kind(auto) placement(dual) ranks(4) stages(4) microbatches(8) model(@mlp) layout([3, 5, 5, 3])
// Ends 1.25 times as heavy: a whole layer is too coarse to move, and the
// interleaved placement halves every chunk of the layout instead.
// RUN: dualpipe-opt %examples/mlp.mlir --pipe-lower="kind=auto ranks=4 microbatches=8 cost=f@0=5,b@0=10,w@0=5,f@3=5,b@3=10,w@3=5" | FileCheck %s --check-prefix=HALVES
// HALVES: pipe.schedule @train kind(auto) placement(interleaved) ranks(4) stages(8) microbatches(8) model(@mlp) layout([2, 2, 2, 2, 2, 2, 2, 2])
// Without a model, 8 ranks with heavy ends interleave four stages per rank
// (rank 0 holds quarters of chunks 0, 2, 4 and 6: less work than halves of
// chunks 0 and 4); with one, the layout moves instead: the heavy chunks keep
// one layer each.
// RUN: echo | dualpipe-opt - --pipe-lower="kind=auto ranks=8 microbatches=16 cost=f@0=2,b@0=4,w@0=2,f@7=2,b@7=4,w@7=2" | FileCheck %s --check-prefix=DEEP
// DEEP: pipe.schedule @main kind(auto) placement(interleaved) ranks(8) stages(32) microbatches(16)
// RUN: dualpipe-opt %examples/mlp.mlir --pipe-lower="kind=auto ranks=8 microbatches=16 cost=f@0=4,b@0=8,w@0=4,f@7=4,b@7=8,w@7=4" | FileCheck %s --check-prefix=MOVED8
// MOVED8: pipe.schedule @train kind(auto) placement(dual) ranks(8) stages(8) microbatches(16) model(@mlp) layout([1, 1, 2, 3, 3, 3, 2, 1])
// A chunk of one layer can neither be halved nor give a layer away (16
// layers on 16 ranks): the layout stays.
// RUN: dualpipe-opt %examples/mlp.mlir --pipe-lower="kind=auto ranks=16 microbatches=32 cost=f@0=2,b@0=4,w@0=2,f@15=2,b@15=4,w@15=2" | FileCheck %s --check-prefix=WHOLE
// WHOLE: pipe.schedule @train kind(auto) placement({{standard|dual}}) ranks(16) stages(16) microbatches(32) model(@mlp) layout([1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1])
