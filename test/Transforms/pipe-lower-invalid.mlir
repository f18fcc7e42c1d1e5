// Specs that pipe-lower rejects before it schedules anything: what the
// runtime would refuse when it loads the program is reported at the layer.
// RUN: dualpipe-opt %s -split-input-file -verify-diagnostics --pipe-lower

// a kernel the runtime does not have
pipe.model @m config {hidden = 8, microbatch_size = 2} {
  pipe.layer kernel("mlp") repeat(2)
  // expected-error @+1 {{'pipe.layer' op unknown kernel "conv2d"; the runtime knows mlp, transformer, identity, torchscript, embedding, lm_head}}
  pipe.layer kernel("conv2d") repeat(2)
}
pipe.pipeline @train model(@m) ranks(2) microbatches(4) schedule(1f1b)

// -----
// a TorchScript module that is not there
pipe.model @m config {hidden = 8, microbatch_size = 2} {
  // expected-error-re @+1 {{'pipe.layer' op no TorchScript file at {{.*}}Transforms{{/|\\}}no-such-module.pt (path "no-such-module.pt" is resolved relative to the spec's directory)}}
  pipe.layer kernel("torchscript") repeat(4) {path = "no-such-module.pt"}
}
pipe.pipeline @train model(@m) ranks(2) microbatches(4) schedule(1f1b)

// -----
// a TorchScript layer without a module file
pipe.model @m config {hidden = 8, microbatch_size = 2} {
  // expected-error @+1 {{'pipe.layer' op kernel torchscript needs a file path: give {path = "module.pt"}}}
  pipe.layer kernel("torchscript") repeat(4)
}
pipe.pipeline @train model(@m) ranks(2) microbatches(4) schedule(1f1b)
