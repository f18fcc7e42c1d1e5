// kind=auto searches an order for the costs and lowers through insert-comm,
// schedule-comm and verify like every fixed kind (pipe-lower ends in
// pipe-verify-schedule, so the result is proven deadlock-free).
// RUN: echo | dualpipe-opt - --pipe-lower="kind=auto ranks=4 microbatches=8" | FileCheck %s
// One live activation per rank leaves only one micro-batch in flight on the
// standard placement.
// RUN: echo | dualpipe-opt - --pipe-lower="kind=auto ranks=4 microbatches=8 max-activations=1" | FileCheck %s --check-prefix=BUDGET

// CHECK: pipe.schedule @main kind(auto) placement(dual) ranks(4) stages(4) microbatches(8)
// BUDGET: pipe.schedule @main kind(auto) placement(standard) ranks(4) stages(4) microbatches(8)
