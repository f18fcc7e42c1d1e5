//===- Pipelines.cpp - the pipe-lower pipeline ----------------------------===//
#include "dualpipe/Dialect/Pipe/Transforms/Passes.h"

#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"

using namespace mlir;
using namespace dualpipe::pipe;

namespace {
/// Pass options as text, holding only the options the user gave, so that the
/// passes can tell "not given" (use the spec) from any value.
class OptionText {
public:
  template <typename OptionT>
  OptionText &add(llvm::StringRef name, const OptionT &option) {
    if (option.hasValue())
      set(name, formatValue(option.getValue()));
    return *this;
  }
  OptionText &set(llvm::StringRef name, const std::string &value) {
    text += (llvm::Twine(text.empty() ? "" : " ") + name + "=" + value).str();
    return *this;
  }
  std::unique_ptr<Pass> apply(std::unique_ptr<Pass> pass) const {
    LogicalResult parsed = pass->initializeOptions(
        text, [](const llvm::Twine &) { return failure(); });
    assert(succeeded(parsed) && "options were already parsed once");
    (void)parsed;
    return pass;
  }

private:
  static std::string formatValue(const std::string &value) { return value; }
  static std::string formatValue(int64_t value) {
    return std::to_string(value);
  }
  static std::string formatValue(bool value) {
    return value ? "true" : "false";
  }
  std::string text;
};
} // namespace

void dualpipe::pipe::buildLowerPipeline(OpPassManager &pm,
                                        const LowerPipelineOptions &options) {
  OptionText shape;
  shape.add("kind", options.kind)
      .add("ranks", options.ranks)
      .add("virtual-stages", options.virtualStages);
  pm.addPass(shape.apply(createPipePartitionStages()));

  OptionText generate = shape;
  generate.add("microbatches", options.microbatches)
      .add("overlap", options.overlap)
      .add("forward-only", options.forwardOnly)
      .add("cost", options.cost)
      .add("max-activations", options.maxActivations)
      .add("max-activation-bytes", options.maxActivationBytes)
      .add("search-evaluations", options.searchEvaluations);
  pm.addPass(generate.apply(createPipeGenerateSchedule()));

  OpPassManager &schedule = pm.nest<ScheduleOp>();
  schedule.addPass(createPipeInsertComm());
  schedule.addPass(createPipeFuseOverlap());
  OptionText comm;
  comm.add("policy", options.policy).add("lookahead", options.lookahead);
  schedule.addPass(comm.apply(createPipeScheduleComm()));
  // A program is proven under the matching its policy was made for, unless
  // the user names one.
  OptionText verify;
  verify.add("matching", options.matching);
  if (!options.matching.hasValue() && options.policy.getValue() == "in-order")
    verify.set("matching", "in-order");
  schedule.addPass(verify.apply(createPipeVerifySchedule()));
}

void dualpipe::pipe::registerPipePassesAndPipelines() {
  registerPipePasses();
  PassPipelineRegistration<LowerPipelineOptions>(
      "pipe-lower",
      "Lower a pipe spec to verified per-rank programs with communication "
      "(partition, generate, insert-comm, fuse-overlap, schedule-comm, verify)",
      buildLowerPipeline);
}
