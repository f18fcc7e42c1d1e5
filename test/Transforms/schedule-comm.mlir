// RUN: dualpipe-opt %s -split-input-file --pipe-insert-comm --pipe-schedule-comm | FileCheck %s --check-prefix=EAGER
// RUN: dualpipe-opt %s -split-input-file --pipe-insert-comm --pipe-schedule-comm="lookahead=1" | FileCheck %s --check-prefix=AHEAD
// RUN: echo | dualpipe-opt - --pipe-generate-schedule="kind=dualpipe ranks=2 microbatches=4" --pipe-insert-comm --pipe-fuse-overlap --pipe-schedule-comm="policy=reference" --pipe-verify-schedule | FileCheck %s --check-prefix=REFERENCE
// RUN: echo | not dualpipe-opt - --pipe-generate-schedule="kind=1f1b ranks=2 microbatches=4" --pipe-insert-comm --pipe-schedule-comm="policy=reference" 2>&1 | FileCheck %s --check-prefix=NOTDUAL
// RUN: echo | not dualpipe-opt - --pipe-generate-schedule="kind=1f1b ranks=2 microbatches=4" --pipe-insert-comm --pipe-schedule-comm="policy=lazy" 2>&1 | FileCheck %s --check-prefix=UNKNOWN
// RUN: dualpipe-opt %s -split-input-file --pipe-insert-comm --pipe-schedule-comm="policy=in-order" --pipe-verify-schedule="matching=in-order" --pipe-verify-schedule | FileCheck %s --check-prefix=INORDER
// RUN: dualpipe-opt %s -split-input-file --pipe-insert-comm --pipe-schedule-comm --pipe-schedule-comm="policy=in-order" | FileCheck %s --check-prefix=INORDER
// RUN: echo | dualpipe-opt - --pipe-generate-schedule="kind=dualpipe ranks=4 microbatches=8" --pipe-insert-comm --pipe-fuse-overlap --pipe-schedule-comm="policy=in-order" --pipe-verify-schedule="matching=in-order" -o /dev/null

// eager: every receive is posted at the start, waited right before its
// consumer; sends go right after their producer.
// EAGER-LABEL: pipe.rank 0 {
// EAGER-NEXT:    %[[G0:.*]] = pipe.recv grad stage 1 mb 0 from 1 : !pipe.token
// EAGER-NEXT:    %[[G1:.*]] = pipe.recv grad stage 1 mb 1 from 1 : !pipe.token
// EAGER-NEXT:    pipe.forward stage 0 mb 0
// EAGER-NEXT:    pipe.send activation stage 0 mb 0 to 1
// EAGER-NEXT:    pipe.forward stage 0 mb 1
// EAGER-NEXT:    pipe.send activation stage 0 mb 1 to 1
// EAGER-NEXT:    pipe.wait %[[G0]]
// EAGER-NEXT:    pipe.backward stage 0 mb 0
// EAGER-NEXT:    pipe.wait %[[G1]]
// EAGER-NEXT:    pipe.backward stage 0 mb 1
// EAGER-NEXT:  }

// With a lookahead of one compute step, a receive is posted one step before
// its consumer.
// AHEAD-LABEL: pipe.rank 0 {
// AHEAD-NEXT:    pipe.forward stage 0 mb 0
// AHEAD-NEXT:    pipe.send activation stage 0 mb 0 to 1
// AHEAD-NEXT:    %[[G0:.*]] = pipe.recv grad stage 1 mb 0 from 1 : !pipe.token
// AHEAD-NEXT:    pipe.forward stage 0 mb 1
// in-order (NCCL): every compute step gets the round of a unit-time run
// (rank 0: 0 1 3 5, rank 1: 1 2 3 4); a message is posted on both ranks in
// the post group after its producer's round, receives before sends, and
// waited before its consumer. Rank 0's send of activation (0, 1) and its
// receive of grad (1, 0) form one group.
// INORDER-LABEL: pipe.rank 0 {
// INORDER-NEXT:    pipe.forward stage 0 mb 0
// INORDER-NEXT:    pipe.send activation stage 0 mb 0 to 1
// INORDER-NEXT:    pipe.forward stage 0 mb 1
// INORDER-NEXT:    pipe.send activation stage 0 mb 1 to 1
// INORDER-NEXT:    %[[G0:.*]] = pipe.recv grad stage 1 mb 0 from 1 : !pipe.token
// INORDER-NEXT:    pipe.wait %[[G0]]
// INORDER-NEXT:    pipe.backward stage 0 mb 0
// INORDER-NEXT:    %[[G1:.*]] = pipe.recv grad stage 1 mb 1 from 1 : !pipe.token
// INORDER-NEXT:    pipe.wait %[[G1]]
// INORDER-NEXT:    pipe.backward stage 0 mb 1
// INORDER-NEXT:  }
// INORDER-NEXT:  pipe.rank 1 {
// INORDER-NEXT:    %[[A0:.*]] = pipe.recv activation stage 0 mb 0 from 0 : !pipe.token
// INORDER-NEXT:    pipe.wait %[[A0]]
// INORDER-NEXT:    pipe.forward stage 1 mb 0
// INORDER-NEXT:    %[[A1:.*]] = pipe.recv activation stage 0 mb 1 from 0 : !pipe.token
// INORDER-NEXT:    pipe.backward stage 1 mb 0
// INORDER-NEXT:    pipe.send grad stage 1 mb 0 to 0
// INORDER-NEXT:    pipe.wait %[[A1]]
// INORDER-NEXT:    pipe.forward stage 1 mb 1
// INORDER-NEXT:    pipe.backward stage 1 mb 1
// INORDER-NEXT:    pipe.send grad stage 1 mb 1 to 0
// INORDER-NEXT:  }
pipe.schedule @s placement(standard) ranks(2) stages(2) microbatches(2) {
  pipe.rank 0 {
    pipe.forward stage 0 mb 0
    pipe.forward stage 0 mb 1
    pipe.backward stage 0 mb 0
    pipe.backward stage 0 mb 1
  }
  pipe.rank 1 {
    pipe.forward stage 1 mb 0
    pipe.backward stage 1 mb 0
    pipe.forward stage 1 mb 1
    pipe.backward stage 1 mb 1
  }
}

// reference: DualPipe's commit-and-wait. After each compute, its sends go out
// (asynchronously) together with the receives of the next compute, and all of
// them are waited before that compute.
// REFERENCE-LABEL: pipe.rank 0 {
// REFERENCE-NEXT:    pipe.forward stage 0 mb 0
// REFERENCE-NEXT:    %[[S:.*]] = pipe.send activation stage 0 mb 0 to 1 : !pipe.token
// REFERENCE-NEXT:    %[[R:.*]] = pipe.recv activation stage 0 mb 2 from 1 : !pipe.token
// REFERENCE-NEXT:    pipe.wait %[[S]]
// REFERENCE-NEXT:    pipe.wait %[[R]]
// REFERENCE-NEXT:    pipe.forward stage 1 mb 2

// NOTDUAL: error: 'pipe.schedule' op the reference policy applies to dualpipe and dualpipev only, got 1f1b
// UNKNOWN: error: unknown comm policy 'lazy'; expected eager, reference or in-order
