// Generated schedules of every kind verify at level 2 and, lowered, at
// level 3; the pass leaves valid IR unchanged.
// RUN: dualpipe-opt %s --pipe-verify-schedule | FileCheck %s
// RUN: for k in dualpipe dualpipev 1f1b interleaved-1f1b zb-h1 zbv gpipe; do \
// RUN:   echo | dualpipe-opt - --pipe-generate-schedule="kind=$k ranks=4 microbatches=8" --pipe-verify-schedule -o /dev/null || exit 1; \
// RUN:   echo | dualpipe-opt - --pipe-lower="kind=$k ranks=4 microbatches=8" | dualpipe-opt --pipe-verify-schedule -o /dev/null || exit 1; \
// RUN:   echo | dualpipe-opt - --pipe-lower="kind=$k ranks=4 microbatches=8 policy=in-order" | dualpipe-opt --pipe-verify-schedule="matching=in-order" -o /dev/null || exit 1; \
// RUN: done
// RUN: echo | dualpipe-opt - --pipe-lower="kind=dualpipev ranks=4 microbatches=8 policy=reference" | dualpipe-opt --pipe-verify-schedule -o /dev/null
// RUN: echo | dualpipe-opt - --pipe-lower="kind=zbv ranks=2 microbatches=4 forward-only=true" | dualpipe-opt --pipe-verify-schedule -o /dev/null

// A hand-written level-3 program with an asynchronous send.
// CHECK-LABEL: pipe.schedule @hand
// CHECK:         %{{.*}} = pipe.send grad stage 1 mb 0 to 0 : !pipe.token
pipe.schedule @hand placement(standard) ranks(2) stages(2) microbatches(1) level(3) {
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
