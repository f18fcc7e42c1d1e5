// A compute order with a cycle across ranks: rank 0 runs B(0, 0) before the
// F(0, 0) that its gradient depends on. The eager policy reports the
// deadlock at a blocked op, with a note per blocked rank; the in-order
// policy reports the step that can never run.
// RUN: not dualpipe-opt %s --pipe-insert-comm --pipe-schedule-comm 2>&1 | FileCheck %s --check-prefix=EAGER
// RUN: not dualpipe-opt %s --pipe-insert-comm --pipe-schedule-comm="policy=in-order" 2>&1 | FileCheck %s --check-prefix=INORDER

pipe.schedule @s placement(standard) ranks(2) stages(2) microbatches(1) {
  // EAGER: :[[@LINE+2]]:3: error: 'pipe.wait' op the eager policy would deadlock: rank 0 waits at wait for recv grad(stage 1, mb 0) from rank 1, rank 1 waits at wait for recv activation(stage 0, mb 0) from rank 0
  // EAGER-NEXT: pipe.rank 0
  pipe.rank 0 {
    // INORDER: :[[@LINE+1]]:5: error: 'pipe.backward' op rank 0: in-order policy: step 0 can never run: the compute order is not executable
    pipe.backward stage 0 mb 0
    pipe.forward stage 0 mb 0
  }
  // EAGER: :[[@LINE+1]]:3: note: rank 1 is blocked here
  pipe.rank 1 {
    pipe.forward stage 1 mb 0
    pipe.backward stage 1 mb 0
  }
}
