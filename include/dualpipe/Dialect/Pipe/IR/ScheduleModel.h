//===- ScheduleModel.h - pipe IR <-> core schedule model --------*- C++ -*-===//
//
// The passes run the MLIR-free algorithms of dualpipe/Schedule on a plain
// model of the IR. Reading records, for every step or instruction, the op it
// came from (`origin`), so that findings become diagnostics at the right op
// and writing back can move existing ops instead of recreating them.
//
//===----------------------------------------------------------------------===//
#ifndef DUALPIPE_DIALECT_PIPE_IR_SCHEDULEMODEL_H
#define DUALPIPE_DIALECT_PIPE_IR_SCHEDULEMODEL_H

#include "dualpipe/Dialect/Pipe/IR/PipeOps.h"
#include "dualpipe/Schedule/Schedule.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/STLFunctionalExtras.h"
#include <vector>

namespace dualpipe::pipe {

/// The ops behind model origins: origin i is ops[i].
struct OriginTable {
  std::vector<mlir::Operation *> ops;
  int64_t add(mlir::Operation *op) {
    ops.push_back(op);
    return static_cast<int64_t>(ops.size()) - 1;
  }
  mlir::Operation *lookup(int64_t origin) const {
    return origin >= 0 && origin < static_cast<int64_t>(ops.size())
               ? ops[origin]
               : nullptr;
  }
};

/// Reads the compute steps (level 2 view; communication is ignored).
dualpipe::Schedule readSchedule(ScheduleOp schedule, OriginTable &origins);

/// Reads the full instruction lists (level 3; also valid for level 2).
dualpipe::Program readProgram(ScheduleOp schedule, OriginTable &origins);

/// Creates a schedule op for `schedule` at the builder's insertion point.
ScheduleOp writeSchedule(mlir::OpBuilder &builder, mlir::Location loc,
                         llvm::StringRef name,
                         const dualpipe::Schedule &schedule);

/// Rewrites the rank bodies of `schedule` to hold `program`, reusing the ops
/// named by origins (moved, not recreated) and erasing ops no longer used.
/// The schedule becomes a level-3 program.
void writeProgram(ScheduleOp schedule, const dualpipe::Program &program,
                  const OriginTable &origins);

/// Applies `transform` to the program of `schedule`, if it is level 3, and
/// writes the result back; or reports the findings `transform` returns.
mlir::LogicalResult transformProgram(
    ScheduleOp schedule,
    llvm::function_ref<std::vector<dualpipe::Finding>(ScheduleOp,
                                                      dualpipe::Program &)>
        transform);

/// Reports findings as errors at their ops (notes at related ops). Returns
/// failure if there was any finding.
mlir::LogicalResult emitFindings(llvm::ArrayRef<dualpipe::Finding> findings,
                                 const OriginTable &origins,
                                 mlir::Operation *fallback);

/// Reports why `model` cannot be partitioned into the stages of `user` (a
/// pipeline or a schedule): a finding about a layer (its origin indexes the
/// model's pipe.layer ops, as readModelSpec reads them) at that layer, with a
/// note at `user`; the others at `user`, with a note at the model. Returns
/// failure if there was any.
mlir::LogicalResult
emitPartitionFindings(std::vector<dualpipe::Finding> findings,
                      mlir::Operation *user, ModelOp model);

} // namespace dualpipe::pipe

#endif // DUALPIPE_DIALECT_PIPE_IR_SCHEDULEMODEL_H
