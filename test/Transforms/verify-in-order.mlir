// Level-3 programs proven under NCCL's in-order matching: no tags, so the
// k-th send from a to b meets the k-th recv b posts from a, and each rank's
// post groups run one after the other on its communication stream. Each
// program here is valid under matching by key, and each but the last is
// rejected under in-order matching with the pair and the messages named.
// RUN: dualpipe-opt %s -split-input-file --pipe-verify-schedule -o /dev/null
// RUN: dualpipe-opt %s -split-input-file -verify-diagnostics --pipe-verify-schedule="matching=in-order"
// RUN: not dualpipe-opt %s -split-input-file --pipe-verify-schedule="matching=nccl" 2>&1 | FileCheck %s --check-prefix=UNKNOWN
// The eager program of pipe-lower, proven by key, hangs under NCCL; the
// runtime's check at load (ProgramJson.InOrderCheckAtLoadGivesThePassMessage)
// reports the same message for its program file.
// RUN: echo | not dualpipe-opt - --pipe-lower="kind=1f1b ranks=2 microbatches=2 matching=in-order" 2>&1 | FileCheck %s --check-prefix=LOWER
// RUN: echo | dualpipe-opt - --pipe-lower="kind=1f1b ranks=2 microbatches=2 policy=in-order" -o /dev/null

// Receives posted early, as the eager policy does: deadlock-free with tags,
// but under NCCL each rank's first post group (its receive) waits for a send
// that the peer queued behind its own first group.
pipe.schedule @s placement(standard) ranks(2) stages(2) microbatches(1) level(3) {
  pipe.rank 0 {
    // expected-error @+2 {{'pipe.recv' op deadlock under in-order matching: rank 0 waits at recv grad(stage 1, mb 0) from rank 1, rank 1 waits at recv activation(stage 0, mb 0) from rank 0}}
    // expected-note @+1 {{rank 0 is blocked here}}
    %g = pipe.recv grad stage 1 mb 0 from 1 : !pipe.token
    pipe.forward stage 0 mb 0
    // expected-note @+1 {{rank 0 posts the matching send later, here}}
    pipe.send activation stage 0 mb 0 to 1
    pipe.wait %g
    pipe.backward stage 0 mb 0
  }
  pipe.rank 1 {
    // expected-note @+1 {{rank 1 is blocked here}}
    %a = pipe.recv activation stage 0 mb 0 from 0 : !pipe.token
    pipe.wait %a
    pipe.forward stage 1 mb 0
    pipe.backward stage 1 mb 0
    // expected-note @+1 {{rank 1 posts the matching send later, here}}
    pipe.send grad stage 1 mb 0 to 0
  }
}
// -----
// A pair's receives in another order than its sends: NCCL would deliver
// activation (0, 0) into the buffer posted for activation (0, 1).
pipe.schedule @s placement(standard) ranks(2) stages(2) microbatches(2) level(3) {
  pipe.rank 0 {
    pipe.forward stage 0 mb 0
    // expected-note @+1 {{rank 0 sends activation(stage 0, mb 0) as message 1 here}}
    pipe.send activation stage 0 mb 0 to 1
    pipe.forward stage 0 mb 1
    pipe.send activation stage 0 mb 1 to 1
  }
  pipe.rank 1 {
    // expected-error @+1 {{'pipe.recv' op rank 1: message 1 from rank 0 to rank 1 is sent as activation(stage 0, mb 0) but received as activation(stage 0, mb 1)}}
    %a1 = pipe.recv activation stage 0 mb 1 from 0 : !pipe.token
    // expected-note @+1 {{rank 1 receives activation(stage 0, mb 0) here}}
    %a0 = pipe.recv activation stage 0 mb 0 from 0 : !pipe.token
    pipe.wait %a0
    pipe.forward stage 1 mb 0
    pipe.wait %a1
    pipe.forward stage 1 mb 1
  }
}
// -----
// Two peers in one post group: rank 1's group holds its receive from rank 0
// and its send to rank 2, which progress together, so neither blocks the
// other. Valid under both matchings.
pipe.schedule @s placement(standard) ranks(3) stages(3) microbatches(2) level(3) {
  pipe.rank 0 {
    pipe.forward stage 0 mb 0
    pipe.send activation stage 0 mb 0 to 1
    pipe.forward stage 0 mb 1
    pipe.send activation stage 0 mb 1 to 1
  }
  pipe.rank 1 {
    %a0 = pipe.recv activation stage 0 mb 0 from 0 : !pipe.token
    pipe.wait %a0
    pipe.forward stage 1 mb 0
    %a1 = pipe.recv activation stage 0 mb 1 from 0 : !pipe.token
    pipe.send activation stage 1 mb 0 to 2
    pipe.wait %a1
    pipe.forward stage 1 mb 1
    pipe.send activation stage 1 mb 1 to 2
  }
  pipe.rank 2 {
    %b0 = pipe.recv activation stage 1 mb 0 from 1 : !pipe.token
    pipe.wait %b0
    pipe.forward stage 2 mb 0
    %b1 = pipe.recv activation stage 1 mb 1 from 1 : !pipe.token
    pipe.wait %b1
    pipe.forward stage 2 mb 1
  }
}

// UNKNOWN: error: unknown matching 'nccl'; expected by-key or in-order
// LOWER: error: 'pipe.recv' op deadlock under in-order matching: rank 0 waits at recv grad(stage 1, mb 0) from rank 1, rank 1 waits at recv activation(stage 0, mb 0) from rank 0
// LOWER: note: rank 0 is blocked here
// LOWER: note: rank 1 posts the matching send later, here
