//===- InsertComm.cpp - pipe-insert-comm ----------------------------------===//
#include "dualpipe/Dialect/Pipe/IR/ScheduleModel.h"
#include "dualpipe/Dialect/Pipe/Transforms/Passes.h"
#include "dualpipe/Schedule/Lower.h"
#include "dualpipe/Schedule/Model.h"

#include "dualpipe/Dialect/Pipe/IR/ModelSpec.h"

namespace dualpipe::pipe {
#define GEN_PASS_DEF_PIPEINSERTCOMM
#include "dualpipe/Dialect/Pipe/Transforms/Passes.h.inc"
} // namespace dualpipe::pipe

using namespace mlir;
using namespace dualpipe::pipe;

namespace {
struct InsertCommPass
    : public dualpipe::pipe::impl::PipeInsertCommBase<InsertCommPass> {
  using Base::Base;

  void runOnOperation() override {
    ScheduleOp schedule = getOperation();
    // Already lowered schedules keep their communication.
    if (schedule.isProgram())
      return markAllAnalysesPreserved();
    FailureOr<Type> message = messageTypeFor(schedule);
    if (failed(message))
      return signalPassFailure();
    OriginTable origins;
    dualpipe::Program program =
        dualpipe::insertComm(readSchedule(schedule, origins));
    numMessages += countSends(program);
    writeProgram(schedule, program, origins);
    if (*message)
      schedule.setMessageAttr(TypeAttr::get(*message));
  }

  static int64_t countSends(const std::vector<dualpipe::Instr> &instrs) {
    int64_t count = 0;
    for (const dualpipe::Instr &instr : instrs)
      count +=
          instr.kind == dualpipe::InstrKind::Send ? 1 : countSends(instr.body);
    return count;
  }
  static int64_t countSends(const dualpipe::Program &program) {
    int64_t count = 0;
    for (const auto &instrs : program.ranks)
      count += countSends(instrs);
    return count;
  }

  /// The tensor type of every message, from the spec's model (null type when
  /// the schedule names no model).
  FailureOr<Type> messageTypeFor(ScheduleOp schedule) {
    if (schedule.getMessage())
      return *schedule.getMessage();
    if (!schedule.getModel())
      return Type();
    auto model = SymbolTable::lookupNearestSymbolFrom<ModelOp>(
        schedule, schedule.getModelAttr());
    if (!model)
      return schedule.emitOpError()
             << "model '" << *schedule.getModel() << "' does not exist";
    std::string error;
    std::optional<dualpipe::TensorSpec> spec =
        dualpipe::messageSpec(readModelSpec(model), error);
    if (!spec)
      return model.emitOpError() << error;
    return tensorTypeFor(schedule.getContext(), *spec);
  }
};
} // namespace
