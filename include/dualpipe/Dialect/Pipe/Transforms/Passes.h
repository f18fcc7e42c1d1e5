//===- Passes.h - pipe passes -----------------------------------*- C++ -*-===//
#ifndef DUALPIPE_DIALECT_PIPE_TRANSFORMS_PASSES_H
#define DUALPIPE_DIALECT_PIPE_TRANSFORMS_PASSES_H

#include "dualpipe/Dialect/Pipe/IR/PipeDialect.h"
#include "dualpipe/Dialect/Pipe/IR/PipeOps.h"
#include "dualpipe/Dialect/Pipe/Transforms/OptionalOption.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassOptions.h"

namespace dualpipe::pipe {

#define GEN_PASS_DECL
#include "dualpipe/Dialect/Pipe/Transforms/Passes.h.inc"

/// Options of the `pipe-lower` pipeline. Each is handed to the passes that
/// take it, through their option structs; the defaults are the passes' own.
struct LowerPipelineOptions
    : public mlir::PassPipelineOptions<LowerPipelineOptions> {
private:
  static inline const PipeGenerateScheduleOptions generateDefaults{};
  static inline const PipeScheduleCommOptions commDefaults{};

public:
  Option<std::string> kind{*this, "kind",
                           llvm::cl::desc("Schedule kind (default: spec's)"),
                           llvm::cl::init(generateDefaults.kind)};
  Option<std::optional<int64_t>> ranks{
      *this, "ranks", llvm::cl::desc("Ranks (default: spec's)"),
      llvm::cl::init(generateDefaults.ranks)};
  Option<std::optional<int64_t>> microbatches{
      *this, "microbatches", llvm::cl::desc("Micro-batches (default: spec's)"),
      llvm::cl::init(generateDefaults.microbatches)};
  Option<std::optional<int64_t>> virtualStages{
      *this, "virtual-stages",
      llvm::cl::desc("Stages per rank (interleaved; default: spec's, or 2)"),
      llvm::cl::init(generateDefaults.virtualStages)};
  Option<bool> overlap{*this, "overlap",
                       llvm::cl::desc("Overlap forward/backward pairs"),
                       llvm::cl::init(generateDefaults.overlap)};
  Option<bool> forwardOnly{*this, "forward-only",
                           llvm::cl::desc("Inference: forwards only"),
                           llvm::cl::init(generateDefaults.forwardOnly)};
  // pipe-generate-schedule's search inputs (zb-h1, zbv, auto).
  Option<std::string> cost{*this, "cost",
                           llvm::cl::desc("Cost overrides for the search"),
                           llvm::cl::init(generateDefaults.cost)};
  Option<int64_t> maxActivations{
      *this, "max-activations",
      llvm::cl::desc("auto: peak live activations per rank (0: none)"),
      llvm::cl::init(generateDefaults.maxActivations)};
  Option<std::string> maxActivationBytes{
      *this, "max-activation-bytes",
      llvm::cl::desc("auto: peak activation bytes per rank"),
      llvm::cl::init(generateDefaults.maxActivationBytes)};
  Option<int64_t> searchEvaluations{
      *this, "search-evaluations",
      llvm::cl::desc("auto: local-improvement replays"),
      llvm::cl::init(generateDefaults.searchEvaluations)};
  Option<std::string> policy{
      *this, "policy",
      llvm::cl::desc("Comm policy: eager, reference or in-order"),
      llvm::cl::init(commDefaults.policy)};
  Option<int64_t> lookahead{*this, "lookahead",
                            llvm::cl::desc("eager: receive post lookahead"),
                            llvm::cl::init(commDefaults.lookahead)};
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
