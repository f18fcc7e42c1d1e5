// RUN: dualpipe-opt %s -split-input-file -verify-diagnostics

// expected-error @+1 {{custom op 'pipe.frobnicate' is unknown}}
pipe.frobnicate stage 0 mb 0

// -----

// expected-error @+1 {{unknown value 'tripledual'; expected one of: dualpipe dualpipev 1f1b interleaved-1f1b zb-h1 zbv gpipe}}
pipe.pipeline @p ranks(2) microbatches(4) schedule(tripledual)

// -----

// expected-error @+1 {{unknown value 'zb'; expected one of: dualpipe dualpipev 1f1b interleaved-1f1b zb-h1 zbv gpipe auto (quote a spelling with '-', e.g. "interleaved-1f1b")}}
pipe.pipeline @p ranks(2) microbatches(4) schedule(zb-h1)

// -----

// expected-error @+1 {{expected one of: dualpipe dualpipev 1f1b}}
pipe.pipeline @p ranks(2) microbatches(4) schedule(2)

// -----

// expected-error @+1 {{'pipe.pipeline' op attribute 'ranks' failed to satisfy constraint: 64-bit signless integer attribute whose value is positive}}
pipe.pipeline @p ranks(0) microbatches(4) schedule(gpipe)

// -----

// expected-error @+1 {{'pipe.pipeline' op model '@missing' does not exist}}
pipe.pipeline @p model(@missing) ranks(2) microbatches(4) schedule(gpipe)

// -----

pipe.schedule @notamodel placement(standard) ranks(1) stages(1) microbatches(1) {
}
// expected-error @+1 {{'pipe.pipeline' op '@notamodel' is a 'pipe.schedule', not a pipe.model}}
pipe.pipeline @p model(@notamodel) ranks(2) microbatches(4) schedule(gpipe)

// -----

// expected-error @+1 {{'pipe.pipeline' op virtual_stages is only valid for the interleaved-1f1b schedule, not dualpipe}}
pipe.pipeline @p ranks(2) microbatches(4) schedule(dualpipe) virtual_stages(2)

// -----

// expected-error @+1 {{'pipe.pipeline' op layout entry 1 is 0; every stage needs at least one layer}}
pipe.pipeline @p ranks(2) microbatches(4) schedule(gpipe) layout([3, 0])

// -----

// expected-error @+1 {{'pipe.model' op model 'empty' has no layers}}
pipe.model @empty {
}

// -----

pipe.model @m {
  // expected-error @+1 {{'pipe.layer' op weight-gradient cost w = 3.000000e+00 exceeds the backward cost b = 2.000000e+00}}
  pipe.layer kernel("mlp") cost(f = 1.0, b = 2.0, w = 3.0)
}

// -----

pipe.model @m {
  // expected-error @+1 {{'pipe.layer' op cost needs f, b and w together}}
  "pipe.layer"() <{kernel = "mlp", f = 1.0 : f64}> : () -> ()
}

// -----

// expected-error @+1 {{'pipe.layer' op expects parent op 'pipe.model'}}
pipe.layer kernel("mlp")

// -----

// expected-error @+1 {{'pipe.schedule' op dual placement requires stages == ranks (4), got 8}}
pipe.schedule @s placement(dual) ranks(4) stages(8) microbatches(8) {
}

// -----

// expected-error @+1 {{'pipe.schedule' op schedule kind dualpipev uses the v placement, not standard}}
pipe.schedule @s kind(dualpipev) placement(standard) ranks(2) stages(2) microbatches(4) {
}

// -----

pipe.schedule @s placement(standard) ranks(2) stages(2) microbatches(4) {
  // expected-note @+1 {{first definition here}}
  pipe.rank 0 {
  }
  // expected-error @+1 {{'pipe.rank' op rank 0 is defined twice}}
  pipe.rank 0 {
  }
}

// -----

pipe.schedule @s placement(standard) ranks(2) stages(2) microbatches(4) {
  // expected-error @+1 {{'pipe.rank' op rank id 2 is out of range: the schedule has 2 ranks}}
  pipe.rank 2 {
  }
}

// -----

pipe.schedule @s placement(standard) ranks(2) stages(2) microbatches(4) {
  pipe.rank 1 {
    // expected-error @+1 {{'pipe.forward' op stage 2 is out of range: the schedule has 2 stages}}
    pipe.forward stage 2 mb 0
  }
}

// -----

pipe.schedule @s placement(standard) ranks(2) stages(2) microbatches(4) {
  pipe.rank 1 {
    // expected-error @+1 {{'pipe.backward' op micro-batch 4 is out of range: the schedule has 4 micro-batches}}
    pipe.backward stage 1 mb 4
  }
}

// -----

pipe.schedule @s placement(dual) ranks(4) stages(4) microbatches(8) {
  pipe.rank 0 {
    pipe.forward stage 0 mb 0
    // Micro-batch 4 runs in direction 1, where stage 0 lives on rank 3.
    // expected-error @+1 {{'pipe.forward' op stage 0 of micro-batch 4 is placed on rank 3 by the dual placement, not on rank 0}}
    pipe.forward stage 0 mb 4
  }
}

// -----

pipe.schedule @s placement(standard) ranks(2) stages(2) microbatches(4) {
  pipe.rank 0 {
    // expected-error @+1 {{'pipe.overlap' op holds more than one forward op; expected exactly one forward and one backward-family op}}
    pipe.overlap {
      pipe.forward stage 0 mb 0
      // expected-note @+1 {{second one here}}
      pipe.forward stage 0 mb 1
    }
  }
}

// -----

pipe.schedule @s placement(standard) ranks(2) stages(2) microbatches(4) {
  pipe.rank 0 {
    // expected-error @+1 {{'pipe.overlap' op lacks a backward-family op; expected exactly one forward and one backward-family op}}
    pipe.overlap {
      pipe.forward stage 0 mb 0
    }
  }
}

// -----

pipe.schedule @s placement(standard) ranks(2) stages(2) microbatches(4) level(3) {
  pipe.rank 1 {
    %t = pipe.recv activation stage 0 mb 0 from 0 : !pipe.token
    // expected-note @+1 {{first wait here}}
    pipe.wait %t
    // expected-error @+1 {{'pipe.wait' op waits on a token that is already waited on}}
    pipe.wait %t
  }
}

// -----

pipe.schedule @s placement(standard) ranks(2) stages(2) microbatches(4) level(3) {
  pipe.rank 0 {
    %t = pipe.recv grad stage 1 mb 0 from 1 : !pipe.token
  }
  pipe.rank 1 {
    // A token of another rank is not even visible here.
    // expected-error @+1 {{use of undeclared SSA value name}}
    pipe.wait %t
  }
}

// -----

// A forward reference resolves to a token of a later schedule (found by
// fuzz-mlir): that schedule's own wait must not look for this one in its
// rank.
pipe.schedule @s placement(standard) ranks(2) stages(2) microbatches(1) level(3) {
  pipe.rank 0 {
    // expected-error @+1 {{'pipe.wait' op waits on a token that is not produced on its own rank: the token comes from rank 1, this wait is on rank 0}}
    pipe.wait %a
  }
}
pipe.schedule @t placement(standard) ranks(2) stages(2) microbatches(1) level(3) {
  pipe.rank 1 {
    // expected-note @+1 {{token produced here}}
    %a = pipe.recv activation stage 0 mb 0 from 0 : !pipe.token
    pipe.wait %a
  }
}

// -----

pipe.schedule @s placement(standard) ranks(2) stages(2) microbatches(4) level(3) {
  pipe.rank 0 {
    // expected-error @+1 {{'pipe.send' op peer is its own rank 0; data that stays on a rank needs no message}}
    pipe.send activation stage 0 mb 0 to 0
  }
}

// -----

pipe.schedule @s placement(standard) ranks(2) stages(2) microbatches(4) level(3) {
  pipe.rank 1 {
    // expected-error @+1 {{'pipe.send' op stage 1 is the last stage; it sends no activation}}
    pipe.send activation stage 1 mb 0 to 0
  }
}

// -----

pipe.schedule @s placement(standard) ranks(3) stages(3) microbatches(4) level(3) {
  pipe.rank 2 {
    // The activation of stage 0 is consumed by stage 1, on rank 1.
    // expected-error @+1 {{'pipe.recv' op consumer stage 1 of micro-batch 0 is placed on rank 1 by the standard placement, not on rank 2}}
    %t = pipe.recv activation stage 0 mb 0 from 0 : !pipe.token
  }
}

// -----

pipe.schedule @s placement(standard) ranks(2) stages(2) microbatches(4) level(3) {
  pipe.rank 0 {
    // expected-error @+1 {{'pipe.send' op peer rank 5 is out of range: the schedule has 2 ranks}}
    pipe.send activation stage 0 mb 0 to 5
  }
}

// -----

pipe.schedule @s placement(standard) ranks(2) stages(2) microbatches(4) {
  pipe.rank 0 {
    // expected-error @+1 {{'pipe.layer' op expects parent op 'pipe.model'}}
    pipe.layer kernel("mlp")
  }
}

// -----

// expected-error @+1 {{'pipe.schedule' op layout has 1 entries for 2 stages}}
pipe.schedule @s placement(standard) ranks(2) stages(2) microbatches(4) layout([4]) {
}

// -----

// expected-error @+1 {{'pipe.schedule' op message type must be a ranked tensor, got 'f32'}}
pipe.schedule @s placement(standard) ranks(2) stages(2) microbatches(4) message(f32) {
}

// -----

// communication in a schedule that does not say it is a lowered program
pipe.schedule @s placement(standard) ranks(2) stages(2) microbatches(1) {
  pipe.rank 0 {
    pipe.forward stage 0 mb 0
    // expected-error @+1 {{'pipe.send' op is communication in a level-2 schedule; pipe-insert-comm lowers a schedule to level 3, or mark a hand-written program level(3)}}
    pipe.send activation stage 0 mb 0 to 1
  }
  pipe.rank 1 {
    pipe.forward stage 1 mb 0
  }
}

// -----

// expected-error @+1 {{'pipe.schedule' op attribute 'level' failed to satisfy constraint: 64-bit signless integer attribute whose minimum value is 2 whose maximum value is 3}}
pipe.schedule @s placement(standard) ranks(1) stages(1) microbatches(1) level(4) {
}

// -----

pipe.model @lm config {hidden = 8} {
  pipe.layer kernel("transformer") {heads = 2}
  // expected-error @+1 {{'pipe.layer' op an embedding must be the model's first layer, once: it turns the input token ids into activations, which every other layer takes (it is layer 1 of 3)}}
  pipe.layer kernel("embedding") {vocab = 256}
  pipe.layer kernel("lm_head")
}

// -----

pipe.model @lm config {hidden = 8} {
  pipe.layer kernel("embedding") {vocab = 256}
  // expected-error @+1 {{'pipe.layer' op an lm_head must be the model's last layer, once: its logits over the vocabulary are what the loss reads, not activations for another layer (it is layer 1 of 3)}}
  pipe.layer kernel("lm_head")
  pipe.layer kernel("transformer") {heads = 2}
}

// -----

pipe.model @lm config {hidden = 8} {
  // expected-error @+1 {{'pipe.layer' op an embedding must be the model's first layer, once: it turns the input token ids into activations, which every other layer takes (it is layer 0 (repeated 2x) of 3)}}
  pipe.layer kernel("embedding") repeat(2) {vocab = 256}
  pipe.layer kernel("lm_head")
}
