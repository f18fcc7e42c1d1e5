// Programs pipe-schedule-comm refuses: each error stands at the op it
// concerns, with notes at the related ones.
// RUN: dualpipe-opt %s -split-input-file -verify-diagnostics --pipe-schedule-comm
// RUN: dualpipe-opt %s -split-input-file -verify-diagnostics --pipe-schedule-comm="policy=in-order"

// a receive whose value no step of its rank consumes
pipe.schedule @s placement(standard) ranks(2) stages(2) microbatches(2) level(3) {
  pipe.rank 0 {
    pipe.forward stage 0 mb 0
    pipe.send activation stage 0 mb 0 to 1
    pipe.forward stage 0 mb 1
    pipe.send activation stage 0 mb 1 to 1
  }
  pipe.rank 1 {
    %a = pipe.recv activation stage 0 mb 0 from 0 : !pipe.token
    pipe.wait %a
    pipe.forward stage 1 mb 0
    // expected-error @+1 {{'pipe.recv' op rank 1: recv activation(stage 0, mb 1) has no consumer on this rank}}
    %b = pipe.recv activation stage 0 mb 1 from 0 : !pipe.token
    pipe.wait %b
  }
}
