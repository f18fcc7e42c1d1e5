// Broken schedules, each rejected by pipe-verify-schedule (or, for what is
// local to one op, by the op verifiers) with a diagnostic naming the rule.
// RUN: dualpipe-opt %s -split-input-file -verify-diagnostics --pipe-verify-schedule

// missing backward
pipe.schedule @s placement(standard) ranks(2) stages(2) microbatches(2) {
  // expected-error @+1 {{'pipe.rank' op rank 0: B(stage 0, mb 1) is missing}}
  pipe.rank 0 {
    pipe.forward stage 0 mb 0
    pipe.forward stage 0 mb 1
    pipe.backward stage 0 mb 0
  }
  pipe.rank 1 {
    pipe.forward stage 1 mb 0
    pipe.backward stage 1 mb 0
    pipe.forward stage 1 mb 1
    pipe.backward stage 1 mb 1
  }
}
// -----
// duplicate forward
pipe.schedule @s placement(standard) ranks(2) stages(2) microbatches(1) {
  pipe.rank 0 {
    // expected-note @+1 {{first F(stage 0, mb 0) is here}}
    pipe.forward stage 0 mb 0
    // expected-error @+1 {{'pipe.forward' op rank 0: duplicate F(stage 0, mb 0)}}
    pipe.forward stage 0 mb 0
    pipe.backward stage 0 mb 0
  }
  pipe.rank 1 {
    pipe.forward stage 1 mb 0
    pipe.backward stage 1 mb 0
  }
}
// -----
// W before I
pipe.schedule @s placement(standard) ranks(1) stages(1) microbatches(1) {
  pipe.rank 0 {
    pipe.forward stage 0 mb 0
    // expected-error @+1 {{'pipe.backward_weight' op rank 0: W(stage 0, mb 0) runs before I(stage 0, mb 0)}}
    pipe.backward_weight stage 0 mb 0
    // expected-note @+1 {{I(stage 0, mb 0) is here}}
    pipe.backward_input stage 0 mb 0
  }
}
// -----
// B before F
pipe.schedule @s placement(standard) ranks(1) stages(1) microbatches(1) {
  pipe.rank 0 {
    // expected-error @+1 {{'pipe.backward' op rank 0: B(stage 0, mb 0) runs before F(stage 0, mb 0)}}
    pipe.backward stage 0 mb 0
    // expected-note @+1 {{F(stage 0, mb 0) is here}}
    pipe.forward stage 0 mb 0
  }
}
// -----
// B together with I/W
pipe.schedule @s placement(standard) ranks(1) stages(1) microbatches(1) {
  pipe.rank 0 {
    pipe.forward stage 0 mb 0
    // expected-error @+1 {{'pipe.backward' op rank 0: B(stage 0, mb 0) together with I(stage 0, mb 0)}}
    pipe.backward stage 0 mb 0
    // expected-note @+1 {{I(stage 0, mb 0) is here}}
    pipe.backward_input stage 0 mb 0
    pipe.backward_weight stage 0 mb 0
  }
}
// -----
// I without W
pipe.schedule @s placement(standard) ranks(1) stages(1) microbatches(1) {
  pipe.rank 0 {
    pipe.forward stage 0 mb 0
    // expected-error @+1 {{'pipe.backward_input' op rank 0: I(stage 0, mb 0) has no W(stage 0, mb 0)}}
    pipe.backward_input stage 0 mb 0
  }
}
// -----
// a level-2 cycle across ranks: rank 0 needs B(1, 0) before F(0, 1), and
// rank 1 runs mb 1 first, which needs F(0, 1)
pipe.schedule @s placement(standard) ranks(2) stages(2) microbatches(2) {
  pipe.rank 0 {
    pipe.forward stage 0 mb 0
    // expected-error @+2 {{'pipe.backward' op deadlock: rank 0 waits at B(stage 0, mb 0) for B(stage 1, mb 0) on rank 1, rank 1 waits at F(stage 1, mb 1) for F(stage 0, mb 1) on rank 0}}
    // expected-note @+1 {{rank 0 is blocked here}}
    pipe.backward stage 0 mb 0
    pipe.forward stage 0 mb 1
    pipe.backward stage 0 mb 1
  }
  pipe.rank 1 {
    // expected-note @+1 {{rank 1 is blocked here}}
    pipe.forward stage 1 mb 1
    pipe.backward stage 1 mb 1
    pipe.forward stage 1 mb 0
    pipe.backward stage 1 mb 0
  }
}
// -----
// send with no recv
pipe.schedule @s placement(standard) ranks(2) stages(2) microbatches(1) level(3) {
  pipe.rank 0 {
    pipe.forward stage 0 mb 0
    // expected-error @+1 {{'pipe.send' op rank 0: send activation(stage 0, mb 0) to rank 1 has no matching recv on rank 1}}
    pipe.send activation stage 0 mb 0 to 1
    %g = pipe.recv grad stage 1 mb 0 from 1 : !pipe.token
    pipe.wait %g
    pipe.backward stage 0 mb 0
  }
  pipe.rank 1 {
    // expected-error @+1 {{'pipe.forward' op rank 1: F(stage 1, mb 0) needs activation(stage 0, mb 0) from rank 0 but has no recv for it}}
    pipe.forward stage 1 mb 0
    pipe.backward stage 1 mb 0
    pipe.send grad stage 1 mb 0 to 0
  }
}
// -----
// recv with no send
pipe.schedule @s placement(standard) ranks(2) stages(2) microbatches(1) level(3) {
  pipe.rank 0 {
    pipe.forward stage 0 mb 0
    pipe.send activation stage 0 mb 0 to 1
    // expected-error @+1 {{'pipe.recv' op rank 0: recv grad(stage 1, mb 0) from rank 1 has no matching send on rank 1}}
    %g = pipe.recv grad stage 1 mb 0 from 1 : !pipe.token
    pipe.wait %g
    pipe.backward stage 0 mb 0
  }
  pipe.rank 1 {
    %a = pipe.recv activation stage 0 mb 0 from 0 : !pipe.token
    pipe.wait %a
    pipe.forward stage 1 mb 0
    pipe.backward stage 1 mb 0
  }
}
// -----
// wrong peer
pipe.schedule @s placement(standard) ranks(3) stages(3) microbatches(1) level(3) {
  pipe.rank 0 {
    pipe.forward stage 0 mb 0
    // expected-error @+2 {{'pipe.send' op rank 0: send activation(stage 0, mb 0) to rank 2, but its consumer F(stage 1, mb 0) is on rank 1}}
    // expected-error @+1 {{'pipe.send' op rank 0: send activation(stage 0, mb 0) to rank 2 has no matching recv on rank 2}}
    pipe.send activation stage 0 mb 0 to 2
    %g = pipe.recv grad stage 1 mb 0 from 1 : !pipe.token
    pipe.wait %g
    pipe.backward stage 0 mb 0
  }
  pipe.rank 1 {
    // expected-error @+1 {{'pipe.recv' op rank 1: recv activation(stage 0, mb 0) from rank 0 has no matching send on rank 0}}
    %a = pipe.recv activation stage 0 mb 0 from 0 : !pipe.token
    pipe.wait %a
    pipe.forward stage 1 mb 0
    pipe.send activation stage 1 mb 0 to 2
    %g = pipe.recv grad stage 2 mb 0 from 2 : !pipe.token
    pipe.wait %g
    pipe.backward stage 1 mb 0
    pipe.send grad stage 1 mb 0 to 0
  }
  pipe.rank 2 {
    %a = pipe.recv activation stage 1 mb 0 from 1 : !pipe.token
    pipe.wait %a
    pipe.forward stage 2 mb 0
    pipe.backward stage 2 mb 0
    pipe.send grad stage 2 mb 0 to 1
  }
}
// -----
// key mismatch
pipe.schedule @s placement(standard) ranks(2) stages(2) microbatches(2) level(3) {
  pipe.rank 0 {
    pipe.forward stage 0 mb 0
    // expected-error @+1 {{'pipe.send' op rank 0: send activation(stage 0, mb 0) to rank 1 has no matching recv on rank 1}}
    pipe.send activation stage 0 mb 0 to 1
    pipe.forward stage 0 mb 1
    pipe.send activation stage 0 mb 1 to 1
    %g0 = pipe.recv grad stage 1 mb 0 from 1 : !pipe.token
    pipe.wait %g0
    pipe.backward stage 0 mb 0
    %g1 = pipe.recv grad stage 1 mb 1 from 1 : !pipe.token
    pipe.wait %g1
    pipe.backward stage 0 mb 1
  }
  pipe.rank 1 {
    %a0 = pipe.recv activation stage 0 mb 1 from 0 : !pipe.token
    pipe.wait %a0
    // expected-error @+1 {{'pipe.forward' op rank 1: F(stage 1, mb 0) needs activation(stage 0, mb 0) from rank 0 but has no recv for it}}
    pipe.forward stage 1 mb 0
    pipe.backward stage 1 mb 0
    pipe.send grad stage 1 mb 0 to 0
    // expected-error @+1 {{'pipe.recv' op rank 1: recv activation(stage 0, mb 1) from rank 0 has no matching send on rank 0}}
    %a1 = pipe.recv activation stage 0 mb 1 from 0 : !pipe.token
    pipe.wait %a1
    pipe.forward stage 1 mb 1
    pipe.backward stage 1 mb 1
    pipe.send grad stage 1 mb 1 to 0
  }
}
// -----
// consumer without its recv (data used before it arrives)
pipe.schedule @s placement(standard) ranks(2) stages(2) microbatches(1) level(3) {
  pipe.rank 0 {
    pipe.forward stage 0 mb 0
    pipe.send activation stage 0 mb 0 to 1
    %g = pipe.recv grad stage 1 mb 0 from 1 : !pipe.token
    pipe.wait %g
    pipe.backward stage 0 mb 0
  }
  pipe.rank 1 {
    // expected-note @+1 {{the recv is here}}
    %a = pipe.recv activation stage 0 mb 0 from 0 : !pipe.token
    // expected-error @+1 {{'pipe.forward' op rank 1: F(stage 1, mb 0) uses activation(stage 0, mb 0) before waiting for it}}
    pipe.forward stage 1 mb 0
    pipe.wait %a
    pipe.backward stage 1 mb 0
    pipe.send grad stage 1 mb 0 to 0
  }
}
// -----
// token never waited
pipe.schedule @s placement(standard) ranks(2) stages(2) microbatches(1) level(3) {
  pipe.rank 0 {
    pipe.forward stage 0 mb 0
    pipe.send activation stage 0 mb 0 to 1
    %g = pipe.recv grad stage 1 mb 0 from 1 : !pipe.token
    pipe.wait %g
    pipe.backward stage 0 mb 0
  }
  pipe.rank 1 {
    // expected-error @+2 {{'pipe.recv' op rank 1: recv activation(stage 0, mb 0) from rank 0 (token 1) is never waited}}
    // expected-note @+1 {{the recv is here}}
    %a = pipe.recv activation stage 0 mb 0 from 0 : !pipe.token
    // expected-error @+1 {{'pipe.forward' op rank 1: F(stage 1, mb 0) uses activation(stage 0, mb 0) before waiting for it}}
    pipe.forward stage 1 mb 0
    pipe.backward stage 1 mb 0
    pipe.send grad stage 1 mb 0 to 0
  }
}
// -----
// deadlock: two ranks, each waits for the other before sending
pipe.schedule @s placement(standard) ranks(2) stages(2) microbatches(1) level(3) {
  pipe.rank 0 {
    %g = pipe.recv grad stage 1 mb 0 from 1 : !pipe.token
    // expected-error @+2 {{'pipe.wait' op deadlock: rank 0 waits at wait for recv grad(stage 1, mb 0) from rank 1, rank 1 waits at wait for recv activation(stage 0, mb 0) from rank 0}}
    // expected-note @+1 {{rank 0 is blocked here}}
    pipe.wait %g
    pipe.forward stage 0 mb 0
    pipe.send activation stage 0 mb 0 to 1
    pipe.backward stage 0 mb 0
  }
  pipe.rank 1 {
    %a = pipe.recv activation stage 0 mb 0 from 0 : !pipe.token
    // expected-note @+1 {{rank 1 is blocked here}}
    pipe.wait %a
    pipe.forward stage 1 mb 0
    pipe.backward stage 1 mb 0
    pipe.send grad stage 1 mb 0 to 0
  }
}
// -----
// deadlock: blocking sends before the peer posts (rendezvous)
pipe.schedule @s placement(standard) ranks(2) stages(2) microbatches(1) level(3) {
  pipe.rank 0 {
    pipe.forward stage 0 mb 0
    // expected-error @+2 {{'pipe.send' op deadlock: rank 0 waits at send activation(stage 0, mb 0) to rank 1, rank 1 waits at send grad(stage 1, mb 0) to rank 0}}
    // expected-note @+1 {{rank 0 is blocked here}}
    pipe.send activation stage 0 mb 0 to 1
    %g = pipe.recv grad stage 1 mb 0 from 1 : !pipe.token
    pipe.wait %g
    pipe.backward stage 0 mb 0
  }
  pipe.rank 1 {
    // expected-error @+2 {{'pipe.send' op rank 1: send grad(stage 1, mb 0) to rank 0 runs before its producer B(stage 1, mb 0)}}
    // expected-note @+1 {{rank 1 is blocked here}}
    pipe.send grad stage 1 mb 0 to 0
    %a = pipe.recv activation stage 0 mb 0 from 0 : !pipe.token
    pipe.wait %a
    pipe.forward stage 1 mb 0
    // expected-note @+1 {{B(stage 1, mb 0) is here}}
    pipe.backward stage 1 mb 0
  }
}
// -----
// deadlock: a three-rank cycle (interleaved placement: rank 2 feeds rank 0)
pipe.schedule @s placement(interleaved) ranks(3) stages(6) microbatches(1) level(3) {
  pipe.rank 0 {
    %a2 = pipe.recv activation stage 2 mb 0 from 2 : !pipe.token
    // expected-error @+2 {{'pipe.wait' op deadlock: rank 0 waits at wait for recv activation(stage 2, mb 0) from rank 2, rank 2 waits at wait for recv activation(stage 1, mb 0) from rank 1, rank 1 waits at wait for recv activation(stage 0, mb 0) from rank 0}}
    // expected-note @+1 {{rank 0 is blocked here}}
    pipe.wait %a2
    pipe.forward stage 3 mb 0
    pipe.send activation stage 3 mb 0 to 1
    pipe.forward stage 0 mb 0
    pipe.send activation stage 0 mb 0 to 1
    %g4 = pipe.recv grad stage 4 mb 0 from 1 : !pipe.token
    pipe.wait %g4
    pipe.backward stage 3 mb 0
    pipe.send grad stage 3 mb 0 to 2
    %g1 = pipe.recv grad stage 1 mb 0 from 1 : !pipe.token
    pipe.wait %g1
    pipe.backward stage 0 mb 0
  }
  pipe.rank 1 {
    %a0 = pipe.recv activation stage 0 mb 0 from 0 : !pipe.token
    // expected-note @+1 {{rank 1 is blocked here}}
    pipe.wait %a0
    pipe.forward stage 1 mb 0
    pipe.send activation stage 1 mb 0 to 2
    %a3 = pipe.recv activation stage 3 mb 0 from 0 : !pipe.token
    pipe.wait %a3
    pipe.forward stage 4 mb 0
    pipe.send activation stage 4 mb 0 to 2
    %g5 = pipe.recv grad stage 5 mb 0 from 2 : !pipe.token
    pipe.wait %g5
    pipe.backward stage 4 mb 0
    pipe.send grad stage 4 mb 0 to 0
    %g2 = pipe.recv grad stage 2 mb 0 from 2 : !pipe.token
    pipe.wait %g2
    pipe.backward stage 1 mb 0
    pipe.send grad stage 1 mb 0 to 0
  }
  pipe.rank 2 {
    %a1 = pipe.recv activation stage 1 mb 0 from 1 : !pipe.token
    // expected-note @+1 {{rank 2 is blocked here}}
    pipe.wait %a1
    pipe.forward stage 2 mb 0
    pipe.send activation stage 2 mb 0 to 0
    %a4 = pipe.recv activation stage 4 mb 0 from 1 : !pipe.token
    pipe.wait %a4
    pipe.forward stage 5 mb 0
    pipe.backward stage 5 mb 0
    pipe.send grad stage 5 mb 0 to 1
    %g3 = pipe.recv grad stage 3 mb 0 from 0 : !pipe.token
    pipe.wait %g3
    pipe.backward stage 2 mb 0
    pipe.send grad stage 2 mb 0 to 1
  }
}
// -----
// deadlock through an overlap region: rank 1's region waits for F(0, 1)
// before its backward sends the gradient rank 0 needs to get there
pipe.schedule @s placement(standard) ranks(2) stages(2) microbatches(2) level(3) {
  pipe.rank 0 {
    pipe.forward stage 0 mb 0
    pipe.send activation stage 0 mb 0 to 1
    %g0 = pipe.recv grad stage 1 mb 0 from 1 : !pipe.token
    // expected-error @+2 {{'pipe.wait' op deadlock: rank 0 waits at wait for recv grad(stage 1, mb 0) from rank 1, rank 1 waits at wait for recv activation(stage 0, mb 1) from rank 0}}
    // expected-note @+1 {{rank 0 is blocked here}}
    pipe.wait %g0
    pipe.backward stage 0 mb 0
    pipe.forward stage 0 mb 1
    pipe.send activation stage 0 mb 1 to 1
    %g1 = pipe.recv grad stage 1 mb 1 from 1 : !pipe.token
    pipe.wait %g1
    pipe.backward stage 0 mb 1
  }
  pipe.rank 1 {
    %a0 = pipe.recv activation stage 0 mb 0 from 0 : !pipe.token
    pipe.wait %a0
    pipe.forward stage 1 mb 0
    pipe.overlap {
      %a1 = pipe.recv activation stage 0 mb 1 from 0 : !pipe.token
      // expected-note @+1 {{rank 1 is blocked here}}
      pipe.wait %a1
      pipe.forward stage 1 mb 1
      pipe.backward stage 1 mb 0
      pipe.send grad stage 1 mb 0 to 0
    }
    pipe.backward stage 1 mb 1
    pipe.send grad stage 1 mb 1 to 0
  }
}
// -----
// op on the wrong rank (op verifier)
pipe.schedule @s placement(standard) ranks(2) stages(2) microbatches(1) {
  pipe.rank 0 {
    pipe.forward stage 0 mb 0
    // expected-error @+1 {{'pipe.forward' op stage 1 of micro-batch 0 is placed on rank 1 by the standard placement, not on rank 0}}
    pipe.forward stage 1 mb 0
  }
}
// -----
// token waited twice (op verifier)
pipe.schedule @s placement(standard) ranks(2) stages(2) microbatches(1) level(3) {
  pipe.rank 1 {
    %a = pipe.recv activation stage 0 mb 0 from 0 : !pipe.token
    // expected-note @+1 {{first wait here}}
    pipe.wait %a
    // expected-error @+1 {{'pipe.wait' op waits on a token that is already waited on}}
    pipe.wait %a
  }
}
// -----
// missing rank program: every op of rank 1 is missing
// expected-error @+2 {{'pipe.schedule' op rank 1: F(stage 1, mb 0) is missing}}
// expected-error @+1 {{'pipe.schedule' op rank 1: B(stage 1, mb 0) is missing}}
pipe.schedule @s placement(standard) ranks(2) stages(2) microbatches(1) {
  pipe.rank 0 {
    pipe.forward stage 0 mb 0
    pipe.backward stage 0 mb 0
  }
}
