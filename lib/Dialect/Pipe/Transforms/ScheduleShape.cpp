//===- ScheduleShape.cpp - A pipeline's shape under pass options ---------===//
#include "ScheduleShape.h"

using namespace mlir;
using namespace dualpipe::pipe;

FailureOr<ScheduleShape> dualpipe::pipe::resolveScheduleShape(
    PipelineOp pipeline, Operation *anchor, StringRef kindOption,
    std::optional<int64_t> ranksOption,
    std::optional<int64_t> microbatchesOption,
    std::optional<int64_t> virtualStagesOption) {
  Operation *where = pipeline ? pipeline.getOperation() : anchor;
  ScheduleShape shape;
  if (!kindOption.empty()) {
    std::optional<dualpipe::ScheduleKind> kind =
        dualpipe::parseScheduleKind(kindOption);
    if (!kind)
      return mlir::emitError(where->getLoc())
             << "unknown schedule kind '" << kindOption
             << "'; expected one of dualpipe, dualpipev, 1f1b, "
                "interleaved-1f1b, zb-h1, zbv, gpipe, auto";
    shape.kind = *kind;
  } else if (pipeline) {
    shape.kind = toCore(pipeline.getSchedule());
  } else {
    return mlir::emitError(where->getLoc())
           << "no pipe.pipeline in the module: give kind, ranks and "
              "microbatches to create a schedule";
  }
  // Options are signed so that a negative count is reported, not wrapped.
  auto pick = [&](std::optional<int64_t> option, std::optional<uint64_t> attr,
                  StringRef name) -> FailureOr<int64_t> {
    if (option && *option <= 0)
      return mlir::emitError(where->getLoc())
             << name << " must be positive, got " << *option;
    if (option)
      return *option;
    if (attr)
      return static_cast<int64_t>(*attr);
    return mlir::emitError(where->getLoc())
           << "missing " << name << ": give it as an option or on the pipeline";
  };
  auto attrOf = [&](auto getter) -> std::optional<uint64_t> {
    if (!pipeline)
      return std::nullopt;
    return getter();
  };
  FailureOr<int64_t> ranks =
      pick(ranksOption, attrOf([&] { return pipeline.getRanks(); }), "ranks");
  if (failed(ranks))
    return failure();
  FailureOr<int64_t> microbatches =
      pick(microbatchesOption,
           attrOf([&] { return pipeline.getMicrobatches(); }), "microbatches");
  if (failed(microbatches))
    return failure();
  shape.ranks = *ranks;
  shape.microbatches = *microbatches;
  if (virtualStagesOption && *virtualStagesOption <= 0)
    return mlir::emitError(where->getLoc())
           << "virtual-stages must be positive, got " << *virtualStagesOption;
  bool interleaved = shape.kind == dualpipe::ScheduleKind::Interleaved1F1B;
  if (virtualStagesOption && *virtualStagesOption != 1 && !interleaved)
    return mlir::emitError(where->getLoc())
           << "virtual-stages=" << *virtualStagesOption
           << " applies to interleaved-1f1b only, not to "
           << dualpipe::toString(shape.kind);
  if (virtualStagesOption)
    shape.virtualStages = *virtualStagesOption;
  // The pipeline's virtual stages belong to its own kind; a kind given as an
  // option that is not interleaved does not inherit them.
  else if (pipeline && pipeline.getVirtualStages() && interleaved)
    shape.virtualStages = static_cast<int64_t>(*pipeline.getVirtualStages());
  return shape;
}
