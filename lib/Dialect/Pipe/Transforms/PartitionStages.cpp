//===- PartitionStages.cpp - pipe-partition-stages ------------------------===//
#include "ScheduleShape.h"

#include "dualpipe/Dialect/Pipe/IR/ModelSpec.h"
#include "dualpipe/Dialect/Pipe/IR/ScheduleModel.h"
#include "dualpipe/Dialect/Pipe/Transforms/Passes.h"
#include "dualpipe/Schedule/Generate.h"
#include "dualpipe/Schedule/Kernels.h"
#include "dualpipe/Schedule/Model.h"

#include "mlir/IR/Builders.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

namespace dualpipe::pipe {
#define GEN_PASS_DEF_PIPEPARTITIONSTAGES
#include "dualpipe/Dialect/Pipe/Transforms/Passes.h.inc"
} // namespace dualpipe::pipe

using namespace mlir;
using namespace dualpipe::pipe;

/// The directory of the file `loc` points into, or "" (the working
/// directory) where the spec came from stdin or has no file location.
static std::string specDirectory(Location loc) {
  auto file = dyn_cast<FileLineColLoc>(loc);
  if (!file || file.getFilename() == "-" || file.getFilename() == "<stdin>")
    return "";
  SmallString<256> dir(file.getFilename().getValue());
  llvm::sys::path::remove_filename(dir);
  return std::string(dir);
}

/// A TorchScript layer's module file, resolved against the spec's directory
/// and recorded absolute, so that the program file names it wherever it is
/// moved.
static LogicalResult resolveScriptPath(LayerOp layer) {
  DictionaryAttr params = layer.getParamsAttr();
  auto path = params ? params.getAs<StringAttr>("path") : StringAttr();
  if (!path || path.getValue().empty())
    return layer.emitOpError() << "kernel torchscript needs a file path: give "
                                  "{path = \"module.pt\"}";
  SmallString<256> file(path.getValue());
  if (llvm::sys::path::is_relative(file)) {
    SmallString<256> base(specDirectory(layer.getLoc()));
    llvm::sys::path::append(base, file);
    file = base;
  }
  if (llvm::sys::fs::make_absolute(file) ||
      !llvm::sys::fs::is_regular_file(file))
    return layer.emitOpError()
           << "no TorchScript file at " << file << " (path \""
           << path.getValue()
           << "\" is resolved relative to the spec's directory)";
  NamedAttrList entries(params);
  entries.set("path", StringAttr::get(layer.getContext(), file));
  layer.setParamsAttr(entries.getDictionary(layer.getContext()));
  return success();
}

/// What the runtime would reject when it loads the program, found while the
/// layer's op is still there to point at.
static LogicalResult checkRuntimeKernels(ModelOp model) {
  for (LayerOp layer : model.getBody().front().getOps<LayerOp>()) {
    if (!dualpipe::isKnownKernel(layer.getKernel()))
      return layer.emitOpError()
             << "unknown kernel \"" << layer.getKernel()
             << "\"; the runtime knows " << dualpipe::knownKernelsText();
    if (std::string_view(layer.getKernel()) == dualpipe::kTorchScriptKernel &&
        failed(resolveScriptPath(layer)))
      return failure();
  }
  return success();
}

namespace {
struct PartitionStagesPass
    : public dualpipe::pipe::impl::PipePartitionStagesBase<
          PartitionStagesPass> {
  using Base::Base;

  /// Writes the kind, ranks and virtual stages given as options onto the
  /// pipeline: the passes after this one fall back to the pipeline, so a
  /// pass pipeline that gives them once schedules the stages partitioned
  /// here.
  void recordShape(PipelineOp pipeline, const ScheduleShape &shape) {
    MLIRContext *context = pipeline.getContext();
    if (!kind.empty())
      pipeline.setScheduleAttr(
          ScheduleKindAttr::get(context, fromCore(shape.kind)));
    if (ranks.has_value())
      pipeline.setRanks(static_cast<uint64_t>(shape.ranks));
    if (shape.kind != dualpipe::ScheduleKind::Interleaved1F1B)
      pipeline.removeVirtualStagesAttr();
    else if (virtualStages.has_value())
      pipeline.setVirtualStages(static_cast<uint64_t>(shape.virtualStages));
  }

  LogicalResult partition(PipelineOp pipeline, const ScheduleShape &shape) {
    auto model = SymbolTable::lookupNearestSymbolFrom<ModelOp>(
        pipeline, pipeline.getModelAttr());
    if (!model)
      return pipeline.emitOpError()
             << "model '" << *pipeline.getModel() << "' does not exist";
    if (failed(checkRuntimeKernels(model)))
      return failure();
    int64_t stages =
        dualpipe::stagesFor(shape.kind, shape.ranks, shape.virtualStages);
    std::vector<int64_t> explicitLayout(layout.begin(), layout.end());
    if (explicitLayout.empty() && pipeline.getLayout())
      explicitLayout.assign(pipeline.getLayout()->begin(),
                            pipeline.getLayout()->end());
    std::vector<dualpipe::Finding> findings;
    std::optional<std::vector<dualpipe::StageSpec>> partitioned =
        dualpipe::partitionStages(readModelSpec(model), stages, explicitLayout,
                                  shape.kind, findings);
    if (!partitioned)
      return emitPartitionFindings(std::move(findings), pipeline, model);
    SmallVector<int64_t> counts;
    for (const dualpipe::StageSpec &stage : *partitioned)
      counts.push_back(static_cast<int64_t>(stage.layers.size()));
    pipeline.setLayoutAttr(
        DenseI64ArrayAttr::get(pipeline.getContext(), counts));
    ++numPartitioned;
    return success();
  }

  void runOnOperation() override {
    for (PipelineOp pipeline : getOperation().getOps<PipelineOp>()) {
      // Sizes other than ranks do not matter for the stage count.
      FailureOr<ScheduleShape> shape =
          resolveScheduleShape(pipeline, pipeline, kind, ranks,
                               /*microbatches=*/1, virtualStages);
      if (failed(shape))
        return signalPassFailure();
      if (pipeline.getModel() && failed(partition(pipeline, *shape)))
        return signalPassFailure();
      recordShape(pipeline, *shape);
    }
  }
};
} // namespace
