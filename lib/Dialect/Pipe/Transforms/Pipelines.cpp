//===- Pipelines.cpp - the pipe-lower pipeline ----------------------------===//
#include "dualpipe/Dialect/Pipe/Transforms/Passes.h"

#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"

using namespace mlir;
using namespace dualpipe::pipe;

void dualpipe::pipe::buildLowerPipeline(OpPassManager &pm,
                                        const LowerPipelineOptions &options) {
  // The shape goes to both passes that need it: partitioning records it on
  // the pipeline, and generation sees the same values either way.
  PipePartitionStagesOptions partition;
  partition.kind = options.kind;
  partition.ranks = options.ranks;
  partition.virtualStages = options.virtualStages;
  pm.addPass(createPipePartitionStages(partition));

  PipeGenerateScheduleOptions generate;
  generate.kind = options.kind;
  generate.ranks = options.ranks;
  generate.virtualStages = options.virtualStages;
  generate.microbatches = options.microbatches;
  generate.overlap = options.overlap;
  generate.forwardOnly = options.forwardOnly;
  generate.cost = options.cost;
  generate.maxActivations = options.maxActivations;
  generate.maxActivationBytes = options.maxActivationBytes;
  generate.searchEvaluations = options.searchEvaluations;
  pm.addPass(createPipeGenerateSchedule(std::move(generate)));

  OpPassManager &schedule = pm.nest<ScheduleOp>();
  schedule.addPass(createPipeInsertComm());
  schedule.addPass(createPipeFuseOverlap());
  PipeScheduleCommOptions comm;
  comm.policy = options.policy;
  comm.lookahead = options.lookahead;
  schedule.addPass(createPipeScheduleComm(comm));
  // A program is proven under the matching its policy was made for, unless
  // the user names one.
  PipeVerifyScheduleOptions verify;
  if (!options.matching.empty())
    verify.matching = options.matching;
  else if (options.policy == "in-order")
    verify.matching = "in-order";
  schedule.addPass(createPipeVerifySchedule(std::move(verify)));
}

void dualpipe::pipe::registerPipePassesAndPipelines() {
  registerPipePasses();
  PassPipelineRegistration<LowerPipelineOptions>(
      "pipe-lower",
      "Lower a pipe spec to verified per-rank programs with communication "
      "(partition, generate, insert-comm, fuse-overlap, schedule-comm, verify)",
      buildLowerPipeline);
}
