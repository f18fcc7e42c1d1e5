//===- PipeDialect.td - pipe dialect definition ------------*- tablegen -*-===//
#ifndef DUALPIPE_DIALECT_PIPE_IR_PIPEDIALECT_TD
#define DUALPIPE_DIALECT_PIPE_IR_PIPEDIALECT_TD

include "mlir/IR/OpBase.td"
include "mlir/IR/AttrTypeBase.td"

def Pipe_Dialect : Dialect {
  let name = "pipe";
  let cppNamespace = "::dualpipe::pipe";
  let summary = "Pipeline-parallel training schedules";
  let description = [{
    The `pipe` dialect describes pipeline-parallel training at three levels:

    1. the spec a user writes: a model as a sequence of layers (`pipe.model`,
       `pipe.layer`) and a pipeline over it (`pipe.pipeline`);
    2. a schedule: one `pipe.rank` region per rank holding compute ops
       (`pipe.forward`, `pipe.backward`, `pipe.backward_input`,
       `pipe.backward_weight`, `pipe.overlap`) in program order;
    3. lowered programs with explicit communication (`pipe.send`,
       `pipe.recv`, `pipe.wait`) and completion tokens (`!pipe.token`).

    Every compute and communication op names a (stage, micro-batch) key, so
    dependencies follow from the keys and a verifier can check hand-written
    schedules as well as generated ones.
  }];
  let useDefaultTypePrinterParser = 1;
  let useDefaultAttributePrinterParser = 1;
}

#endif // DUALPIPE_DIALECT_PIPE_IR_PIPEDIALECT_TD
