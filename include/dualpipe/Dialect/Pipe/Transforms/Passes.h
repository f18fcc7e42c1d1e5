//===- Passes.h - pipe passes -----------------------------------*- C++ -*-===//
#ifndef DUALPIPE_DIALECT_PIPE_TRANSFORMS_PASSES_H
#define DUALPIPE_DIALECT_PIPE_TRANSFORMS_PASSES_H

#include "dualpipe/Dialect/Pipe/IR/PipeDialect.h"
#include "dualpipe/Dialect/Pipe/IR/PipeOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassOptions.h"

namespace dualpipe::pipe {

#define GEN_PASS_DECL
#include "dualpipe/Dialect/Pipe/Transforms/Passes.h.inc"

/// Options of the `pipe-lower` pipeline.
struct LowerPipelineOptions
    : public mlir::PassPipelineOptions<LowerPipelineOptions> {
  Option<std::string> kind{*this, "kind",
                           llvm::cl::desc("Schedule kind (default: spec's)"),
                           llvm::cl::init("")};
  Option<int64_t> ranks{*this, "ranks", llvm::cl::desc("Ranks"),
                        llvm::cl::init(0)};
  Option<int64_t> microbatches{*this, "microbatches",
                               llvm::cl::desc("Micro-batches"),
                               llvm::cl::init(0)};
  Option<int64_t> virtualStages{*this, "virtual-stages",
                                llvm::cl::desc("Stages per rank (interleaved)"),
                                llvm::cl::init(0)};
  Option<bool> overlap{*this, "overlap",
                       llvm::cl::desc("Overlap forward/backward pairs"),
                       llvm::cl::init(true)};
  Option<bool> forwardOnly{*this, "forward-only",
                           llvm::cl::desc("Inference: forwards only"),
                           llvm::cl::init(false)};
  // pipe-generate-schedule's search inputs (zb-h1, zbv, auto).
  Option<std::string> cost{*this, "cost",
                           llvm::cl::desc("Cost overrides for the search"),
                           llvm::cl::init("")};
  Option<int64_t> maxActivations{
      *this, "max-activations",
      llvm::cl::desc("auto: peak live activations per rank (0: none)"),
      llvm::cl::init(0)};
  Option<std::string> maxActivationBytes{
      *this, "max-activation-bytes",
      llvm::cl::desc("auto: peak activation bytes per rank"),
      llvm::cl::init("")};
  Option<int64_t> searchEvaluations{
      *this, "search-evaluations",
      llvm::cl::desc("auto: local-improvement replays"), llvm::cl::init(256)};
  Option<std::string> policy{
      *this, "policy",
      llvm::cl::desc("Comm policy: eager, reference or in-order"),
      llvm::cl::init("eager")};
  Option<int64_t> lookahead{*this, "lookahead",
                            llvm::cl::desc("eager: receive post lookahead"),
                            llvm::cl::init(-1)};
  Option<std::string> matching{
      *this, "matching",
      llvm::cl::desc("Verify under by-key or in-order (NCCL) matching "
                     "(default: in-order for policy=in-order, else by-key)"),
      llvm::cl::init("")};
};

/// partition -> generate -> insert-comm -> fuse-overlap -> schedule-comm ->
/// verify.
void buildLowerPipeline(mlir::OpPassManager &pm,
                        const LowerPipelineOptions &options);

#define GEN_PASS_REGISTRATION
#include "dualpipe/Dialect/Pipe/Transforms/Passes.h.inc"

/// Registers every pipe pass and the `pipe-lower` pipeline.
void registerPipePassesAndPipelines();

} // namespace dualpipe::pipe

#endif // DUALPIPE_DIALECT_PIPE_TRANSFORMS_PASSES_H
