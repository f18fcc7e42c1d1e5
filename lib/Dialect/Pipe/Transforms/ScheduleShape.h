//===- ScheduleShape.h - A pipeline's shape under pass options -*- C++ -*-===//
#ifndef DUALPIPE_LIB_DIALECT_PIPE_TRANSFORMS_SCHEDULESHAPE_H
#define DUALPIPE_LIB_DIALECT_PIPE_TRANSFORMS_SCHEDULESHAPE_H

#include "dualpipe/Dialect/Pipe/IR/PipeOps.h"
#include "dualpipe/Schedule/Schedule.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Support/LLVM.h"

namespace dualpipe::pipe {

/// A pipeline's schedule shape after the pass options override its
/// attributes (an option not given keeps the attribute).
struct ScheduleShape {
  dualpipe::ScheduleKind kind = dualpipe::ScheduleKind::DualPipe;
  int64_t ranks = 0;
  int64_t microbatches = 0;
  int64_t virtualStages = 2;
};

/// Resolves the shape of `pipeline` (may be null: options only). Emits an
/// error at `pipeline` (or at `anchor`) and fails on an unknown kind, a
/// count that is not positive, or a missing value.
mlir::FailureOr<ScheduleShape>
resolveScheduleShape(PipelineOp pipeline, mlir::Operation *anchor,
                     llvm::StringRef kindOption,
                     std::optional<int64_t> ranksOption,
                     std::optional<int64_t> microbatchesOption,
                     std::optional<int64_t> virtualStagesOption);

} // namespace dualpipe::pipe

#endif // DUALPIPE_LIB_DIALECT_PIPE_TRANSFORMS_SCHEDULESHAPE_H
