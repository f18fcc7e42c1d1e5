//===- GenerateKinds.h - Per-kind generators (private) ----------*- C++ -*-===//
//
// Shared by the Generate*.cpp files: generateSchedule() validates options and
// sets up the Schedule, then one of these fills `schedule.ranks`. They assume
// checkGenerateOptions() accepted the options.
//
//===----------------------------------------------------------------------===//
#ifndef DUALPIPE_LIB_SCHEDULE_GENERATEKINDS_H
#define DUALPIPE_LIB_SCHEDULE_GENERATEKINDS_H

#include "dualpipe/Schedule/ForwardOnly.h"
#include "dualpipe/Schedule/Generate.h"

#include <string>
#include <vector>

namespace dualpipe::detail {

/// Appends one rank's steps. Applying `forwardOnly` and `overlap` here keeps
/// every generator a plain statement of the training order.
class ProgramBuilder {
public:
  ProgramBuilder(std::vector<Step> &steps, const GenerateOptions &options)
      : steps(steps), overlap(options.overlap),
        forwardOnly(options.forwardOnly) {}

  void compute(ComputeOp op) {
    if (forwardOnly && !keptForwardOnly(op))
      return;
    steps.push_back(Step{op, std::nullopt, -1});
  }
  void compute(OpKind kind, int64_t stage, int64_t mb) {
    compute(ComputeOp{kind, stage, mb});
  }
  /// A forward and a backward-family op run concurrently (one Step), or in
  /// sequence when overlap is off.
  void overlapped(ComputeOp forward, ComputeOp backward) {
    if (!overlap || forwardOnly) {
      compute(forward);
      compute(backward);
      return;
    }
    steps.push_back(Step{forward, backward, -1});
  }

private:
  std::vector<Step> &steps;
  bool overlap;
  bool forwardOnly;
};

/// One rank of the family that Megatron and PyTorch share for 1F1B,
/// interleaved 1F1B and the zero-bubble H1 (PyTorch `_get_1f1b_rank_ops`):
/// `warmup` forwards, then forward/backward pairs, then the remaining
/// backwards; stage chunks rotate every `microbatchesPerRound` ops.
struct LoopedRankPlan {
  int64_t rank = 0;
  int64_t ranks = 1;
  int64_t localStages = 1;
  int64_t microbatches = 1;
  int64_t microbatchesPerRound = 1;
  int64_t warmup = 0;
  /// Backwards become I with W deferred (FIFO); W starts after `weightDelay`
  /// forward/backward pairs.
  bool splitBackward = false;
  int64_t weightDelay = 0;
};
void appendLooped1F1B(const LoopedRankPlan &plan, ProgramBuilder &out);

void generateDualPipe(const GenerateOptions &options, Schedule &schedule);
void generateDualPipeV(const GenerateOptions &options, Schedule &schedule);
void generateOneFOneB(const GenerateOptions &options, Schedule &schedule);
void generateInterleaved1F1B(const GenerateOptions &options,
                             Schedule &schedule);
void generateZBH1(const GenerateOptions &options, Schedule &schedule);
void generateZBV(const GenerateOptions &options, Schedule &schedule);
void generateGPipe(const GenerateOptions &options, Schedule &schedule);
/// Sets placement and ranks; returns why no schedule fits, else "".
std::string generateAuto(const GenerateOptions &options, Schedule &schedule);

} // namespace dualpipe::detail

#endif // DUALPIPE_LIB_SCHEDULE_GENERATEKINDS_H
