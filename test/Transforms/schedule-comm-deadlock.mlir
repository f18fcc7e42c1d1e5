// A placement pipe-schedule-comm refuses because it would deadlock: the error
// stands at the op the first blocked rank waits at, with a note at each
// blocked rank's op, and the program is left as it was.
// RUN: dualpipe-opt %s -verify-diagnostics --pipe-schedule-comm="lookahead=0"

pipe.schedule @main kind("1f1b") placement(standard) ranks(2) stages(2) microbatches(3) level(3) {
  pipe.rank 0 {
    pipe.forward stage 0 mb 0
    pipe.send activation stage 0 mb 0 to 1
    pipe.forward stage 0 mb 1
    // expected-error @+2 {{'pipe.send' op the eager policy with lookahead 0 would deadlock: rank 0 waits at send activation(stage 0, mb 1) to rank 1, rank 1 waits at send grad(stage 1, mb 0) to rank 0}}
    // expected-note @+1 {{rank 0 is blocked here}}
    pipe.send activation stage 0 mb 1 to 1
    %0 = pipe.recv grad stage 1 mb 0 from 1 : !pipe.token
    pipe.wait %0
    pipe.backward stage 0 mb 0
    pipe.forward stage 0 mb 2
    pipe.send activation stage 0 mb 2 to 1
    %1 = pipe.recv grad stage 1 mb 1 from 1 : !pipe.token
    pipe.wait %1
    pipe.backward stage 0 mb 1
    %2 = pipe.recv grad stage 1 mb 2 from 1 : !pipe.token
    pipe.wait %2
    pipe.backward stage 0 mb 2
  }
  pipe.rank 1 {
    %0 = pipe.recv activation stage 0 mb 0 from 0 : !pipe.token
    pipe.wait %0
    pipe.forward stage 1 mb 0
    pipe.backward stage 1 mb 0
    // expected-note @+1 {{rank 1 is blocked here}}
    pipe.send grad stage 1 mb 0 to 0
    %1 = pipe.recv activation stage 0 mb 1 from 0 : !pipe.token
    pipe.wait %1
    pipe.forward stage 1 mb 1
    pipe.backward stage 1 mb 1
    pipe.send grad stage 1 mb 1 to 0
    %2 = pipe.recv activation stage 0 mb 2 from 0 : !pipe.token
    pipe.wait %2
    pipe.forward stage 1 mb 2
    pipe.backward stage 1 mb 2
    pipe.send grad stage 1 mb 2 to 0
  }
}
