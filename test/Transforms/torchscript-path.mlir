// A TorchScript module's path is resolved relative to the spec and recorded
// absolute, so that the program file still finds it after it moves.
// RUN: rm -rf %t && mkdir -p %t/spec %t/elsewhere && touch %t/spec/block.pt
// RUN: sed -n '/^pipe/,$p' %s > %t/spec/spec.mlir
// RUN: cd %t/elsewhere && dualpipe-opt ../spec/spec.mlir --pipe-lower | dualpipe-translate --pipe-to-program -o program.json
// RUN: FileCheck %s -DDIR=%t < %t/elsewhere/program.json
// CHECK: "path": "[[DIR]]/elsewhere/../spec/block.pt"

pipe.model @m config {hidden = 8, microbatch_size = 2} {
  pipe.layer kernel("torchscript") repeat(4) {path = "block.pt"}
}
pipe.pipeline @train model(@m) ranks(2) microbatches(4) schedule(1f1b)
