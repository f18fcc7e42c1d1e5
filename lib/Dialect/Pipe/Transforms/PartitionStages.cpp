//===- PartitionStages.cpp - pipe-partition-stages ------------------------===//
#include "PassDetail.h"

#include "dualpipe/Dialect/Pipe/IR/ModelSpec.h"
#include "dualpipe/Dialect/Pipe/Transforms/Passes.h"
#include "dualpipe/Schedule/Generate.h"
#include "dualpipe/Schedule/Model.h"

#include "mlir/IR/Builders.h"

namespace dualpipe::pipe {
#define GEN_PASS_DEF_PIPEPARTITIONSTAGES
#include "dualpipe/Dialect/Pipe/Transforms/Passes.h.inc"
} // namespace dualpipe::pipe

using namespace mlir;
using namespace dualpipe::pipe;

namespace {
struct PartitionStagesPass
    : public dualpipe::pipe::impl::PipePartitionStagesBase<
          PartitionStagesPass> {
  using Base::Base;

  LogicalResult partition(PipelineOp pipeline) {
    auto model = SymbolTable::lookupNearestSymbolFrom<ModelOp>(
        pipeline, pipeline.getModelAttr());
    if (!model)
      return pipeline.emitOpError()
             << "model '" << *pipeline.getModel() << "' does not exist";
    // Sizes other than ranks do not matter for the stage count.
    FailureOr<ScheduleShape> shape =
        resolveScheduleShape(pipeline, pipeline, kind, givenValue(ranks),
                             /*microbatches=*/1, givenValue(virtualStages));
    if (failed(shape))
      return failure();
    int64_t stages =
        dualpipe::stagesFor(shape->kind, shape->ranks, shape->virtualStages);
    std::vector<int64_t> explicitLayout(layout.begin(), layout.end());
    if (explicitLayout.empty() && pipeline.getLayout())
      explicitLayout.assign(pipeline.getLayout()->begin(),
                            pipeline.getLayout()->end());
    std::string error;
    std::optional<std::vector<dualpipe::StageSpec>> partitioned =
        dualpipe::partitionStages(readModelSpec(model), stages, explicitLayout,
                                  shape->kind, error);
    if (!partitioned)
      return pipeline.emitOpError() << error;
    SmallVector<int64_t> counts;
    for (const dualpipe::StageSpec &stage : *partitioned)
      counts.push_back(static_cast<int64_t>(stage.layers.size()));
    pipeline.setLayoutAttr(
        DenseI64ArrayAttr::get(pipeline.getContext(), counts));
    ++numPartitioned;
    return success();
  }

  void runOnOperation() override {
    for (PipelineOp pipeline : getOperation().getOps<PipelineOp>())
      if (pipeline.getModel() && failed(partition(pipeline)))
        return signalPassFailure();
  }
};
} // namespace
