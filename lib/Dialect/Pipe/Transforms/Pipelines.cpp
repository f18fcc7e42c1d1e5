//===- Pipelines.cpp - the pipe-lower pipeline ----------------------------===//
#include "dualpipe/Dialect/Pipe/Transforms/Passes.h"

#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"

using namespace mlir;
using namespace dualpipe::pipe;

void dualpipe::pipe::buildLowerPipeline(OpPassManager &pm,
                                        const LowerPipelineOptions &options) {
  PipePartitionStagesOptions partition;
  partition.kind = options.kind;
  partition.ranks = options.ranks;
  partition.virtualStages = options.virtualStages;
  pm.addPass(createPipePartitionStages(partition));

  PipeGenerateScheduleOptions generate;
  generate.kind = options.kind;
  generate.ranks = options.ranks;
  generate.microbatches = options.microbatches;
  generate.virtualStages = options.virtualStages;
  generate.overlap = options.overlap;
  generate.forwardOnly = options.forwardOnly;
  pm.addPass(createPipeGenerateSchedule(generate));

  pm.addPass(createPipeInsertComm());
  pm.addPass(createPipeFuseOverlap());
  PipeScheduleCommOptions comm;
  comm.policy = options.policy;
  comm.lookahead = options.lookahead;
  pm.addPass(createPipeScheduleComm(comm));
  pm.addPass(createPipeVerifySchedule());
}

void dualpipe::pipe::registerPipePassesAndPipelines() {
  registerPipePasses();
  PassPipelineRegistration<LowerPipelineOptions>(
      "pipe-lower",
      "Lower a pipe spec to verified per-rank programs with communication "
      "(partition, generate, insert-comm, fuse-overlap, schedule-comm, verify)",
      buildLowerPipeline);
}
