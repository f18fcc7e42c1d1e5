//===- GenerateSchedule.cpp - pipe-generate-schedule ----------------------===//
#include "ScheduleShape.h"

#include "dualpipe/Dialect/Pipe/IR/ModelSpec.h"
#include "dualpipe/Dialect/Pipe/IR/ScheduleModel.h"
#include "dualpipe/Dialect/Pipe/Transforms/Passes.h"
#include "dualpipe/Schedule/Generate.h"

#include "mlir/IR/Builders.h"

namespace dualpipe::pipe {
#define GEN_PASS_DEF_PIPEGENERATESCHEDULE
#include "dualpipe/Dialect/Pipe/Transforms/Passes.h.inc"
} // namespace dualpipe::pipe

using namespace mlir;
using namespace dualpipe::pipe;

namespace {
/// The layout of a 2P-stage placement of auto (V, interleaved): every chunk
/// of the one-stage-per-rank layout cut in two equal halves; empty if some
/// chunk has an odd layer count.
SmallVector<int64_t> halvedLayout(ArrayRef<int64_t> chunks) {
  SmallVector<int64_t> halves;
  for (int64_t layers : chunks) {
    if (layers % 2 != 0)
      return {};
    halves.append(2, layers / 2);
  }
  return halves;
}

/// The layout `schedule` runs: auto's cut (in layers, the units it was
/// given), else the pipeline's, or its halves when auto picked a placement
/// with two stages per chunk.
DenseI64ArrayAttr layoutFor(PipelineOp pipeline,
                            const dualpipe::Schedule &schedule) {
  DenseI64ArrayAttr layout = pipeline.getLayoutAttr();
  if (layout && !schedule.cut.empty())
    return DenseI64ArrayAttr::get(pipeline.getContext(),
                                  schedule.cut.stageUnits);
  // A fixed kind's layout is partitioned for its stages: a mismatch is an
  // error, not a layout to halve.
  if (!layout || schedule.kind != dualpipe::ScheduleKind::Auto ||
      2 * static_cast<int64_t>(layout.size()) != schedule.placement.stages)
    return layout;
  return DenseI64ArrayAttr::get(pipeline.getContext(),
                                halvedLayout(layout.asArrayRef()));
}

/// A schedule generated for one pipeline (or for the options alone), kept
/// until every request has succeeded so that a failure emits nothing.
struct PendingSchedule {
  PipelineOp pipeline; // null: created from options on an empty module
  dualpipe::Schedule schedule;
};

struct GenerateSchedulePass
    : public dualpipe::pipe::impl::PipeGenerateScheduleBase<
          GenerateSchedulePass> {
  using Base::Base;

  /// The costs the search kinds are timed with: the model's layers summed
  /// per stage of the pipeline's layout (when it has both), then the `cost`
  /// overrides.
  FailureOr<dualpipe::CostModel> searchCosts(PipelineOp pipeline,
                                             Operation *anchor) {
    dualpipe::CostModel model;
    if (pipeline && pipeline.getModel() && pipeline.getLayout()) {
      auto modelOp = SymbolTable::lookupNearestSymbolFrom<ModelOp>(
          pipeline, pipeline.getModelAttr());
      if (!modelOp)
        return pipeline.emitOpError()
               << "model '" << *pipeline.getModel() << "' does not exist";
      std::vector<int64_t> layout(pipeline.getLayout()->begin(),
                                  pipeline.getLayout()->end());
      std::vector<dualpipe::Finding> findings;
      std::optional<std::vector<dualpipe::StageSpec>> stages =
          dualpipe::partitionStages(readModelSpec(modelOp),
                                    static_cast<int64_t>(layout.size()), layout,
                                    findings);
      if (!stages) {
        (void)emitPartitionFindings(std::move(findings), pipeline, modelOp);
        return failure();
      }
      for (const dualpipe::StageSpec &stage : *stages) {
        dualpipe::StageCost c;
        c.f = stage.f;
        c.b = stage.b;
        c.w = stage.w;
        model.stages.push_back(c);
      }
    }
    std::string error = dualpipe::applyCostOverrides(model, cost);
    if (!error.empty())
      return mlir::emitError(anchor->getLoc()) << "bad cost option: " << error;
    return model;
  }

  LogicalResult searchInputs(PipelineOp pipeline, Operation *anchor,
                             dualpipe::GenerateOptions &options) {
    bool zeroBubble = options.kind == dualpipe::ScheduleKind::ZBH1 ||
                      options.kind == dualpipe::ScheduleKind::ZBV;
    bool isAuto = options.kind == dualpipe::ScheduleKind::Auto;
    if (!zeroBubble && !isAuto)
      return success();
    FailureOr<dualpipe::CostModel> model = searchCosts(pipeline, anchor);
    if (failed(model))
      return failure();
    options.cost = *model;
    if (!isAuto)
      return success();
    if (maxActivations < 0)
      return mlir::emitError(anchor->getLoc())
             << "max-activations must be >= 0, got " << maxActivations;
    if (maxActivations > 0)
      options.maxActivations = maxActivations;
    if (!maxActivationBytes.empty()) {
      std::optional<double> bytes = dualpipe::parseByteSize(maxActivationBytes);
      if (!bytes || !(*bytes > 0))
        return mlir::emitError(anchor->getLoc())
               << "max-activation-bytes must be a positive byte size such as "
                  "16GiB, got '"
               << maxActivationBytes << "'";
      options.maxActivationBytes = *bytes;
    }
    options.searchEvaluations = searchEvaluations;
    // The layout fixes one chunk per rank; the V and interleaved placements
    // cut each in two (no deeper), evenly, which needs an even layer count
    // in every chunk. Where unequal chunks leave the ranks unbalanced, auto
    // may move stage boundaries between layers (costing a stage by its
    // share of each chunk's layers).
    // Only a layout records a cut.
    options.autoCut =
        pipeline && pipeline.getLayout() &&
        static_cast<int64_t>(pipeline.getLayout()->size()) == options.ranks;
    if (options.autoCut)
      options.autoChunkUnits.assign(pipeline.getLayout()->begin(),
                                    pipeline.getLayout()->end());
    if (pipeline && pipeline.getLayout()) {
      options.autoMaxVirtualStages = 2;
      if (halvedLayout(*pipeline.getLayout()).empty())
        options.autoPlacements = {dualpipe::PlacementKind::Standard,
                                  dualpipe::PlacementKind::Dual};
    }
    return success();
  }

  /// For a value of the shape, which the pipeline or a pass option may give:
  /// whether a pass option gave it. nullopt for the other options.
  std::optional<bool> givenAsOption(PipelineOp pipeline,
                                    llvm::StringRef field) const {
    if (!pipeline)
      return std::nullopt;
    if (field == "ranks")
      return ranks.has_value();
    if (field == "microbatches")
      return microbatches.has_value();
    if (field == "virtual-stages")
      return virtualStages.has_value();
    return std::nullopt;
  }

  /// Reports the findings on the options at the pipeline they were resolved
  /// for (or at `anchor`), saying for each value of its shape whether a pass
  /// option or the pipeline supplied it.
  LogicalResult emitOptionFindings(std::vector<dualpipe::Finding> findings,
                                   PipelineOp pipeline, Operation *anchor) {
    OriginTable origins;
    Operation *at = pipeline ? pipeline.getOperation() : anchor;
    int64_t origin = origins.add(at);
    for (dualpipe::Finding &finding : findings) {
      finding.origin = origin;
      for (dualpipe::Finding::Note &note : finding.notes) {
        note.origin = origin;
        if (std::optional<bool> option = givenAsOption(pipeline, note.field))
          note.message +=
              *option ? " (the pass option)" : " (the pipeline's attribute)";
      }
      // The pipeline shows its own value; say when an option replaced it.
      if (givenAsOption(pipeline, finding.field).value_or(false))
        finding.notes.push_back({finding.field +
                                     " comes from the pass option, not from "
                                     "the pipeline",
                                 {},
                                 origin,
                                 finding.field});
    }
    return emitFindings(findings, origins, at);
  }

  FailureOr<dualpipe::Schedule> generate(PipelineOp pipeline,
                                         Operation *anchor) {
    FailureOr<ScheduleShape> shape = resolveScheduleShape(
        pipeline, anchor, kind, ranks, microbatches, virtualStages);
    if (failed(shape))
      return failure();
    dualpipe::GenerateOptions options;
    options.kind = shape->kind;
    options.ranks = shape->ranks;
    options.microbatches = shape->microbatches;
    options.virtualStages = shape->virtualStages;
    options.overlap = overlap;
    options.forwardOnly = forwardOnly;
    if (failed(searchInputs(pipeline, anchor, options)))
      return failure();
    std::vector<dualpipe::Finding> findings;
    std::optional<dualpipe::Schedule> schedule =
        dualpipe::generateSchedule(options, findings);
    if (!schedule) {
      (void)emitOptionFindings(std::move(findings), pipeline, anchor);
      return failure();
    }
    if (pipeline && pipeline.getLayout() &&
        static_cast<int64_t>(layoutFor(pipeline, *schedule).size()) !=
            schedule->placement.stages)
      return pipeline.emitOpError()
             << "layout has " << pipeline.getLayout()->size()
             << " entries, but " << dualpipe::toString(shape->kind) << " on "
             << shape->ranks << " ranks has " << schedule->placement.stages
             << " stages";
    return std::move(*schedule);
  }

  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<PendingSchedule> pending;
    SmallVector<PipelineOp> pipelines(module.getOps<PipelineOp>());
    bool optionsOnly = pipelines.empty();
    if (optionsOnly && kind.empty() && !ranks.has_value() &&
        !microbatches.has_value())
      return; // Nothing to generate (e.g. the module is already scheduled).
    if (optionsOnly) {
      FailureOr<dualpipe::Schedule> schedule = generate({}, module);
      if (failed(schedule))
        return signalPassFailure();
      pending.push_back({PipelineOp(), std::move(*schedule)});
    }
    for (PipelineOp pipeline : pipelines) {
      FailureOr<dualpipe::Schedule> schedule = generate(pipeline, pipeline);
      if (failed(schedule))
        return signalPassFailure();
      pending.push_back({pipeline, std::move(*schedule)});
    }

    OpBuilder builder(module.getContext());
    for (PendingSchedule &item : pending) {
      for (const auto &steps : item.schedule.ranks)
        for (const dualpipe::Step &step : steps)
          numComputeOps += step.isOverlap() ? 2 : 1;
      if (!item.pipeline) {
        builder.setInsertionPointToEnd(module.getBody());
        writeSchedule(builder, module.getLoc(), "main", item.schedule);
        continue;
      }
      builder.setInsertionPoint(item.pipeline);
      ScheduleOp schedule =
          writeSchedule(builder, item.pipeline.getLoc(),
                        item.pipeline.getSymName(), item.schedule);
      schedule.setModelAttr(item.pipeline.getModelAttr());
      schedule.setLayoutAttr(layoutFor(item.pipeline, item.schedule));
      item.pipeline.erase();
    }
  }
};
} // namespace
