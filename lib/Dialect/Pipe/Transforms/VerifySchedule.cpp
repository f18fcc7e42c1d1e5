//===- VerifySchedule.cpp - pipe-verify-schedule --------------------------===//
#include "dualpipe/Dialect/Pipe/IR/ScheduleModel.h"
#include "dualpipe/Dialect/Pipe/Transforms/Passes.h"
#include "dualpipe/Schedule/Verify.h"

namespace dualpipe::pipe {
#define GEN_PASS_DEF_PIPEVERIFYSCHEDULE
#include "dualpipe/Dialect/Pipe/Transforms/Passes.h.inc"
} // namespace dualpipe::pipe

using namespace mlir;
using namespace dualpipe::pipe;

namespace {
struct VerifySchedulePass
    : public dualpipe::pipe::impl::PipeVerifyScheduleBase<VerifySchedulePass> {
  using Base::Base;
  void runOnOperation() override {
    std::optional<dualpipe::MessageMatching> parsed =
        dualpipe::parseMessageMatching(matching);
    if (!parsed) {
      mlir::emitError(getOperation().getLoc())
          << "unknown matching '" << matching
          << "'; expected by-key or in-order";
      return signalPassFailure();
    }
    dualpipe::VerifyOptions options;
    options.matching = *parsed;
    ScheduleOp schedule = getOperation();
    OriginTable origins;
    std::vector<dualpipe::Finding> findings =
        schedule.isProgram()
            ? dualpipe::verifyProgram(readProgram(schedule, origins), options)
            : dualpipe::verifySchedule(readSchedule(schedule, origins),
                                       options);
    if (failed(emitFindings(findings, origins, schedule)))
      return signalPassFailure();
    markAllAnalysesPreserved();
  }
};
} // namespace
