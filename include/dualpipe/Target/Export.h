//===- Export.h - pipe IR exporters and importers ---------------*- C++ -*-===//
//
// The translations of dualpipe-translate: PyTorch action CSV in both
// directions, the runtime's program file, and the simulator's report, SVG
// timeline and Chrome trace.
//
//===----------------------------------------------------------------------===//
#ifndef DUALPIPE_TARGET_EXPORT_H
#define DUALPIPE_TARGET_EXPORT_H

#include "dualpipe/Dialect/Pipe/IR/PipeOps.h"
#include "dualpipe/Schedule/Cost.h"
#include "dualpipe/Schedule/Simulate.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

namespace dualpipe::pipe {

/// The schedule to export: the one named `name`, or the module's only one.
mlir::FailureOr<ScheduleOp> findSchedule(mlir::ModuleOp module,
                                         llvm::StringRef name);

/// `--pipe-to-torch-csv`: compute actions only, or with `comms` also the
/// SEND/RECV actions of a level-3 schedule.
mlir::LogicalResult exportTorchCsv(ScheduleOp schedule, llvm::raw_ostream &os,
                                   bool comms);

/// `--torch-csv-to-pipe`: a level-2 `pipe.schedule @main` whose ops are
/// located at their CSV cells (file:row:column). With `verify`, the import
/// fails with a diagnostic at the offending cell unless the schedule passes
/// pipe-verify-schedule's checks.
mlir::OwningOpRef<mlir::ModuleOp> importTorchCsv(llvm::SourceMgr &sourceMgr,
                                                 mlir::MLIRContext *context,
                                                 bool verify);

/// `--pipe-to-program`: the runtime's program file (JSON, version 1).
mlir::LogicalResult exportProgram(ScheduleOp schedule, llvm::raw_ostream &os);

/// The cost model of a schedule: per-stage costs from its model's layers
/// (uniform defaults without a model), then `overrides` ("f=1,b=2,...").
mlir::FailureOr<dualpipe::CostModel> costModelFor(ScheduleOp schedule,
                                                  llvm::StringRef overrides);

/// Simulates a level-2 or level-3 schedule; errors become diagnostics.
mlir::FailureOr<dualpipe::SimResult> simulate(ScheduleOp schedule,
                                              llvm::StringRef overrides);

enum class ReportFormat { Text, Json };
mlir::LogicalResult exportReport(ScheduleOp schedule, llvm::raw_ostream &os,
                                 llvm::StringRef overrides,
                                 ReportFormat format);
mlir::LogicalResult exportSvg(ScheduleOp schedule, llvm::raw_ostream &os,
                              llvm::StringRef overrides);
mlir::LogicalResult exportChromeTrace(ScheduleOp schedule,
                                      llvm::raw_ostream &os,
                                      llvm::StringRef overrides);

} // namespace dualpipe::pipe

#endif // DUALPIPE_TARGET_EXPORT_H
