// RUN: dualpipe-opt %s -split-input-file --pipe-insert-comm | FileCheck %s
// RUN: dualpipe-opt %s -split-input-file --pipe-insert-comm --pipe-insert-comm | FileCheck %s

// Every cross-rank dependency becomes a send right after its producer and a
// recv + wait right before its consumer; keys name the producer stage.
// CHECK-LABEL: pipe.schedule @one_f_one_b
// CHECK:         pipe.rank 0 {
// CHECK-NEXT:      pipe.forward stage 0 mb 0
// CHECK-NEXT:      pipe.send activation stage 0 mb 0 to 1
// CHECK-NEXT:      pipe.forward stage 0 mb 1
// CHECK-NEXT:      pipe.send activation stage 0 mb 1 to 1
// CHECK-NEXT:      %[[G0:.*]] = pipe.recv grad stage 1 mb 0 from 1 : !pipe.token
// CHECK-NEXT:      pipe.wait %[[G0]]
// CHECK-NEXT:      pipe.backward stage 0 mb 0
// CHECK-NEXT:      %[[G1:.*]] = pipe.recv grad stage 1 mb 1 from 1 : !pipe.token
// CHECK-NEXT:      pipe.wait %[[G1]]
// CHECK-NEXT:      pipe.backward stage 0 mb 1
// CHECK-NEXT:    }
// CHECK-NEXT:    pipe.rank 1 {
// CHECK-NEXT:      %[[A0:.*]] = pipe.recv activation stage 0 mb 0 from 0 : !pipe.token
// CHECK-NEXT:      pipe.wait %[[A0]]
// CHECK-NEXT:      pipe.forward stage 1 mb 0
// CHECK-NEXT:      pipe.backward stage 1 mb 0
// CHECK-NEXT:      pipe.send grad stage 1 mb 0 to 0
// CHECK-NEXT:      %[[A1:.*]] = pipe.recv activation stage 0 mb 1 from 0 : !pipe.token
// CHECK-NEXT:      pipe.wait %[[A1]]
// CHECK-NEXT:      pipe.forward stage 1 mb 1
// CHECK-NEXT:      pipe.backward stage 1 mb 1
// CHECK-NEXT:      pipe.send grad stage 1 mb 1 to 0
// CHECK-NEXT:    }
pipe.schedule @one_f_one_b kind("1f1b") placement(standard) ranks(2) stages(2) microbatches(2) {
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

// -----

// The V fold: stages 1 and 2 both live on the last rank, so F(1) feeds F(2)
// and B(2) feeds B(1) there without a message. Overlapped pairs keep their
// communication outside the region until pipe-fuse-overlap.
// CHECK-LABEL: pipe.schedule @fold
// CHECK:         pipe.rank 1 {
// CHECK-NEXT:      %[[A:.*]] = pipe.recv activation stage 0 mb 0 from 0 : !pipe.token
// CHECK-NEXT:      pipe.wait %[[A]]
// CHECK-NEXT:      pipe.forward stage 1 mb 0
// CHECK-NEXT:      pipe.forward stage 2 mb 0
// CHECK-NEXT:      pipe.send activation stage 2 mb 0 to 0
// CHECK-NEXT:      %[[G:.*]] = pipe.recv grad stage 3 mb 0 from 0 : !pipe.token
// CHECK-NEXT:      pipe.wait %[[G]]
// CHECK-NEXT:      pipe.backward stage 2 mb 0
// CHECK-NEXT:      pipe.backward stage 1 mb 0
// CHECK-NEXT:      pipe.send grad stage 1 mb 0 to 0
// CHECK-NEXT:    }
pipe.schedule @fold placement(v) ranks(2) stages(4) microbatches(1) {
  pipe.rank 0 {
    pipe.forward stage 0 mb 0
    pipe.forward stage 3 mb 0
    pipe.backward stage 3 mb 0
    pipe.backward stage 0 mb 0
  }
  pipe.rank 1 {
    pipe.forward stage 1 mb 0
    pipe.forward stage 2 mb 0
    pipe.backward stage 2 mb 0
    pipe.backward stage 1 mb 0
  }
}

// -----

// Message shapes come from the spec: [microbatch_size, hidden], or
// [microbatch_size, seq_len, hidden] for sequence models.
// CHECK-LABEL: pipe.schedule @shaped
// CHECK-SAME:    message(tensor<4x2x16xf32>)
pipe.model @m config {hidden = 16, microbatch_size = 4, seq_len = 2} {
  pipe.layer kernel("mlp") repeat(2)
}
pipe.schedule @shaped kind(gpipe) placement(standard) ranks(2) stages(2) microbatches(1) model(@m) layout([1, 1]) {
  pipe.rank 0 {
    pipe.forward stage 0 mb 0
    pipe.backward stage 0 mb 0
  }
  pipe.rank 1 {
    pipe.forward stage 1 mb 0
    pipe.backward stage 1 mb 0
  }
}
