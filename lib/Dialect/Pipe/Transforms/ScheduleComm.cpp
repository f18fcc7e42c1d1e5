//===- ScheduleComm.cpp - pipe-schedule-comm ------------------------------===//
#include "dualpipe/Dialect/Pipe/IR/ScheduleModel.h"

#include "dualpipe/Dialect/Pipe/Transforms/Passes.h"
#include "dualpipe/Schedule/Lower.h"

namespace dualpipe::pipe {
#define GEN_PASS_DEF_PIPESCHEDULECOMM
#include "dualpipe/Dialect/Pipe/Transforms/Passes.h.inc"
} // namespace dualpipe::pipe

using namespace mlir;
using namespace dualpipe::pipe;

namespace {
struct ScheduleCommPass
    : public dualpipe::pipe::impl::PipeScheduleCommBase<ScheduleCommPass> {
  using Base::Base;
  void runOnOperation() override {
    std::optional<dualpipe::CommPolicy> parsed =
        dualpipe::parseCommPolicy(policy);
    if (!parsed) {
      mlir::emitError(getOperation().getLoc())
          << "unknown comm policy '" << policy
          << "'; expected eager, reference or in-order";
      return signalPassFailure();
    }
    dualpipe::ScheduleCommOptions options;
    options.policy = *parsed;
    options.lookahead = lookahead;
    auto place = [&](ScheduleOp, dualpipe::Program &program) {
      return dualpipe::scheduleComm(program, options);
    };
    if (failed(transformProgram(getOperation(), place)))
      signalPassFailure();
  }
};
} // namespace
