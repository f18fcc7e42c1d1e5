//===- FuseOverlap.cpp - pipe-fuse-overlap --------------------------------===//
#include "dualpipe/Dialect/Pipe/IR/ScheduleModel.h"

#include "dualpipe/Dialect/Pipe/Transforms/Passes.h"
#include "dualpipe/Schedule/Lower.h"

namespace dualpipe::pipe {
#define GEN_PASS_DEF_PIPEFUSEOVERLAP
#include "dualpipe/Dialect/Pipe/Transforms/Passes.h.inc"
} // namespace dualpipe::pipe

using namespace mlir;
using namespace dualpipe::pipe;

namespace {
struct FuseOverlapPass
    : public dualpipe::pipe::impl::PipeFuseOverlapBase<FuseOverlapPass> {
  using Base::Base;
  void runOnOperation() override {
    auto fuse = [](ScheduleOp, dualpipe::Program &program) {
      dualpipe::fuseOverlap(program);
      return std::vector<dualpipe::Finding>();
    };
    if (failed(transformProgram(getOperation(), fuse)))
      signalPassFailure();
  }
};
} // namespace
