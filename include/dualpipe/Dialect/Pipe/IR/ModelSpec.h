//===- ModelSpec.h - pipe.model <-> core model spec -------------*- C++ -*-===//
#ifndef DUALPIPE_DIALECT_PIPE_IR_MODELSPEC_H
#define DUALPIPE_DIALECT_PIPE_IR_MODELSPEC_H

#include "dualpipe/Dialect/Pipe/IR/PipeOps.h"
#include "dualpipe/Schedule/Model.h"

namespace dualpipe::pipe {

/// The layers (in order) and config of a pipe.model.
dualpipe::ModelSpec readModelSpec(ModelOp model);

/// The tensor type of a message: shape and element type of `spec`.
mlir::RankedTensorType tensorTypeFor(mlir::MLIRContext *context,
                                     const dualpipe::TensorSpec &spec);

/// The inverse, for the program writer.
dualpipe::TensorSpec tensorSpecFor(mlir::RankedTensorType type);

} // namespace dualpipe::pipe

#endif // DUALPIPE_DIALECT_PIPE_IR_MODELSPEC_H
