// RUN: dualpipe-opt %s --pipe-insert-comm --pipe-fuse-overlap | FileCheck %s
// RUN: dualpipe-opt %s --pipe-insert-comm --pipe-fuse-overlap --pipe-fuse-overlap | FileCheck %s
// RUN: dualpipe-opt %s --pipe-insert-comm --pipe-fuse-overlap --pipe-verify-schedule | FileCheck %s

// The overlap region absorbs the receive its forward needs (posted and waited
// before the compute) and the send its backward produces (after it).
// CHECK-LABEL: pipe.rank 1 {
// CHECK-NEXT:      %[[A0:.*]] = pipe.recv activation stage 0 mb 0 from 0 : !pipe.token
// CHECK-NEXT:      pipe.wait %[[A0]]
// CHECK-NEXT:      pipe.forward stage 1 mb 0
// CHECK-NEXT:      pipe.overlap {
// CHECK-NEXT:        %[[A1:.*]] = pipe.recv activation stage 0 mb 1 from 0 : !pipe.token
// CHECK-NEXT:        pipe.wait %[[A1]]
// CHECK-NEXT:        pipe.forward stage 1 mb 1
// CHECK-NEXT:        pipe.backward stage 1 mb 0
// CHECK-NEXT:        pipe.send grad stage 1 mb 0 to 0
// CHECK-NEXT:      }
// CHECK-NEXT:      pipe.backward stage 1 mb 1
// CHECK-NEXT:      pipe.send grad stage 1 mb 1 to 0
// CHECK-NEXT:    }
pipe.schedule @s placement(standard) ranks(2) stages(2) microbatches(2) {
  pipe.rank 0 {
    pipe.forward stage 0 mb 0
    pipe.forward stage 0 mb 1
    pipe.backward stage 0 mb 0
    pipe.backward stage 0 mb 1
  }
  pipe.rank 1 {
    pipe.forward stage 1 mb 0
    pipe.overlap { pipe.forward stage 1 mb 1 pipe.backward stage 1 mb 0 }
    pipe.backward stage 1 mb 1
  }
}
