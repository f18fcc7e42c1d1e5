// insertComm itself cannot fail; what pipe-insert-comm refuses is a model
// whose message shape it cannot tell, reported at the model.
// RUN: dualpipe-opt %s -verify-diagnostics --pipe-insert-comm

// expected-error @+1 {{'pipe.model' op model 'm' config: missing 'hidden'}}
pipe.model @m config {microbatch_size = 4} {
  pipe.layer kernel("mlp") repeat(2)
}
pipe.schedule @s kind(gpipe) placement(standard) ranks(2) stages(2) microbatches(1) model(@m) layout([1, 1]) {
  pipe.rank 0 {
    pipe.forward stage 0 mb 0
    pipe.backward stage 0 mb 0
  }
  pipe.rank 1 {
    pipe.forward stage 1 mb 0
    pipe.backward stage 1 mb 0
  }
}

