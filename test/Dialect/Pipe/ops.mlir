// Round-trips every op of the pipe dialect in its pretty form and through
// the generic form.
// RUN: dualpipe-opt %s | dualpipe-opt | FileCheck %s
// RUN: dualpipe-opt %s -mlir-print-op-generic | dualpipe-opt | FileCheck %s
// RUN: dualpipe-opt %s -mlir-print-op-generic | FileCheck %s --check-prefix=GENERIC

// Level 1: the spec.
// CHECK-LABEL: pipe.model @mlp config {hidden = 64 : i64, loss = "mse", microbatch_size = 4 : i64} {
// CHECK-NEXT:    pipe.layer kernel("mlp") repeat(16) {ffn = 256 : i64} cost(f = 1.000000e+00, b = 2.000000e+00, w = 1.000000e+00)
// CHECK-NEXT:    pipe.layer kernel("identity")
// CHECK-NEXT:  }
// GENERIC:     "pipe.model"()
// GENERIC-SAME:  sym_name = "mlp"
pipe.model @mlp config {hidden = 64, microbatch_size = 4, loss = "mse"} {
  pipe.layer kernel("mlp") repeat(16) {ffn = 256} cost(f = 1.0, b = 2.0, w = 1.0)
  pipe.layer kernel("identity")
}

// CHECK:       pipe.pipeline @train model(@mlp) ranks(8) microbatches(20) schedule(dualpipe)
// CHECK:       pipe.pipeline @inter model(@mlp) ranks(2) microbatches(4) schedule("interleaved-1f1b") virtual_stages(2) layout([4, 4, 4, 5])
// CHECK:       pipe.pipeline @plain ranks(4) microbatches(8) schedule("1f1b")
// GENERIC:     "pipe.pipeline"()
// GENERIC-SAME:  schedule = #pipe.schedule_kind<dualpipe>
pipe.pipeline @train model(@mlp) ranks(8) microbatches(20) schedule(dualpipe)
pipe.pipeline @inter model(@mlp) ranks(2) microbatches(4) schedule("interleaved-1f1b") virtual_stages(2) layout([4, 4, 4, 5])
// A spelling that starts with a digit parses unquoted as well.
pipe.pipeline @plain ranks(4) microbatches(8) schedule(1f1b)

// Level 2: a schedule with every compute op and an overlapped pair.
// CHECK-LABEL: pipe.schedule @level2 kind(dualpipe) placement(dual) ranks(2) stages(2) microbatches(4) {
// CHECK-NEXT:    pipe.rank 0 {
// CHECK-NEXT:      pipe.forward stage 0 mb 0
// CHECK-NEXT:      pipe.overlap {
// CHECK-NEXT:        pipe.forward stage 0 mb 1
// CHECK-NEXT:        pipe.backward stage 1 mb 2
// CHECK-NEXT:      }
// CHECK-NEXT:      pipe.backward_input stage 0 mb 0
// CHECK-NEXT:      pipe.backward_weight stage 0 mb 0
// CHECK-NEXT:    }
// CHECK-NEXT:    pipe.rank 1 {
// CHECK-NEXT:      pipe.forward stage 0 mb 2
// CHECK-NEXT:    }
// CHECK-NEXT:  }
// GENERIC:     "pipe.schedule"()
// GENERIC-SAME:  placement = #pipe.placement<dual>
// GENERIC:     "pipe.rank"()
// GENERIC:     "pipe.forward"() <{mb = 0 : i64, stage = 0 : i64}> : () -> ()
// GENERIC:     "pipe.overlap"()
// GENERIC:     "pipe.backward"() <{mb = 2 : i64, stage = 1 : i64}> : () -> ()
// GENERIC:     "pipe.backward_input"()
// GENERIC:     "pipe.backward_weight"()
pipe.schedule @level2 kind(dualpipe) placement(dual) ranks(2) stages(2) microbatches(4) {
  pipe.rank 0 {
    pipe.forward stage 0 mb 0
    pipe.overlap { pipe.forward stage 0 mb 1 pipe.backward stage 1 mb 2 }
    pipe.backward_input stage 0 mb 0
    pipe.backward_weight stage 0 mb 0
  }
  pipe.rank 1 {
    pipe.forward stage 0 mb 2
  }
}

// Level 3: communication with tokens, blocking and asynchronous sends,
// optional attributes of the schedule.
// CHECK-LABEL: pipe.schedule @level3 kind("1f1b") placement(standard) ranks(2) stages(2) microbatches(1) model(@mlp) layout([8, 9]) message(tensor<4x64xf32>) level(3) {
// CHECK-NEXT:    pipe.rank 0 {
// CHECK-NEXT:      %[[G:.*]] = pipe.recv grad stage 1 mb 0 from 1 : !pipe.token
// CHECK-NEXT:      pipe.forward stage 0 mb 0
// CHECK-NEXT:      pipe.send activation stage 0 mb 0 to 1
// CHECK-NEXT:      pipe.wait %[[G]]
// CHECK-NEXT:      pipe.backward stage 0 mb 0
// CHECK-NEXT:    }
// CHECK-NEXT:    pipe.rank 1 {
// CHECK-NEXT:      %[[A:.*]] = pipe.recv activation stage 0 mb 0 from 0 : !pipe.token
// CHECK-NEXT:      pipe.wait %[[A]]
// CHECK-NEXT:      pipe.forward stage 1 mb 0
// CHECK-NEXT:      pipe.backward stage 1 mb 0
// CHECK-NEXT:      %[[S:.*]] = pipe.send grad stage 1 mb 0 to 0 : !pipe.token
// CHECK-NEXT:      pipe.wait %[[S]]
// CHECK-NEXT:    }
// CHECK-NEXT:  }
// GENERIC:     "pipe.recv"() <{kind = #pipe.message_kind<grad>, mb = 0 : i64, peer = 1 : i64, stage = 1 : i64}> : () -> !pipe.token
// GENERIC:     "pipe.send"() <{kind = #pipe.message_kind<activation>, mb = 0 : i64, peer = 1 : i64, stage = 0 : i64}> : () -> ()
// GENERIC:     "pipe.wait"(%{{.*}}) : (!pipe.token) -> ()
pipe.schedule @level3 kind("1f1b") placement(standard) ranks(2) stages(2) microbatches(1) model(@mlp) layout([8, 9]) message(tensor<4x64xf32>) level(3) {
  pipe.rank 0 {
    %g = pipe.recv grad stage 1 mb 0 from 1 : !pipe.token
    pipe.forward stage 0 mb 0
    pipe.send activation stage 0 mb 0 to 1
    pipe.wait %g
    pipe.backward stage 0 mb 0
  }
  pipe.rank 1 {
    %a = pipe.recv activation stage 0 mb 0 from 0 : !pipe.token
    pipe.wait %a
    pipe.forward stage 1 mb 0
    pipe.backward stage 1 mb 0
    %s = pipe.send grad stage 1 mb 0 to 0 : !pipe.token
    pipe.wait %s
  }
}

// An overlap region holding its communication, on a V placement.
// CHECK-LABEL: pipe.schedule @fused placement(v) ranks(2) stages(4) microbatches(2) level(3) {
// CHECK:         pipe.overlap {
// CHECK-NEXT:      %[[T:.*]] = pipe.recv grad stage 3 mb 0 from 0 : !pipe.token
// CHECK-NEXT:      pipe.wait %[[T]]
// CHECK-NEXT:      pipe.forward stage 2 mb 1
// CHECK-NEXT:      pipe.backward_input stage 2 mb 0
// CHECK-NEXT:      pipe.send activation stage 2 mb 1 to 0
// CHECK-NEXT:    }
pipe.schedule @fused placement(v) ranks(2) stages(4) microbatches(2) level(3) {
  pipe.rank 1 {
    pipe.overlap {
      %t = pipe.recv grad stage 3 mb 0 from 0 : !pipe.token
      pipe.wait %t
      pipe.forward stage 2 mb 1
      pipe.backward_input stage 2 mb 0
      pipe.send activation stage 2 mb 1 to 0
    }
  }
}
