//===- Executor.h - One rank walking its instruction list -------*- C++ -*-===//
//
// The executor gives the level-3 instructions the semantics of Schedule.h on
// the rank's three streams (execution/Stream.h): every send, recv and wait
// runs in program order on the communication stream (recvs post, waits block
// that stream, bounded by a timeout, sends without a token block it until the
// peer has posted the receive); compute runs on the forward stream, and the
// backward half of an overlap on the backward stream, concurrently with the
// forward half. Events order a consumer after its producer (the rules of
// Dependencies.h) and fork/join the backward stream around an overlap. The
// host only enqueues, then waits once at the end of the step. Tensors live
// only as long as the program still needs them: a produced activation until
// its last send or local consumer, a received one until its consumer, a graph
// until the backward that finishes it.
//
//===----------------------------------------------------------------------===//
#ifndef DUALPIPE_RUNTIME_EXECUTOR_H
#define DUALPIPE_RUNTIME_EXECUTOR_H

#include "dualpipe/Runtime/Faults.h"
#include "dualpipe/Runtime/Program.h"
#include "dualpipe/Runtime/Stage.h"
#include "dualpipe/Runtime/Transport.h"
#include "dualpipe/Schedule/Timeline.h"

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace dualpipe::runtime {

/// A rank stopped on an error. The message names the rank, the instruction
/// (JSON path and description) and the cause. `aborted` marks a failure
/// caused by another rank's.
class RankFailure : public std::runtime_error {
public:
  RankFailure(int64_t rank, const std::string &message, bool aborted)
      : std::runtime_error("rank " + std::to_string(rank) + ": " + message),
        rank_(rank), aborted_(aborted) {}
  int64_t rank() const { return rank_; }
  bool aborted() const { return aborted_; }

private:
  int64_t rank_;
  bool aborted_;
};

/// Thrown by an injected `exit` fault; the driver ends the rank silently.
struct RankExit {
  std::string where;
};

struct ExecutorOptions {
  /// Where the rank's stages, data and streams live.
  torch::Device device = torch::kCPU;
  std::chrono::milliseconds timeout{60000};
  std::optional<FaultSpec> fault;
  bool trace = false;
  /// The run's data (RunOptions::data); null: the synthetic batch.
  std::shared_ptr<BatchSource> data;
  /// The forward-only program of evaluate() (forwardOnlyProgram of the
  /// training program, verified), or null for none, and its data.
  const Program *evalProgram = nullptr;
  std::shared_ptr<BatchSource> evalData;
};

/// What one rank did in one step.
struct StepResult {
  /// (mb, loss / N) of the micro-batches whose last stage ran here.
  std::vector<std::pair<int64_t, torch::Tensor>> losses;
  int64_t peakLive = 0;
  /// Measured timeline in microseconds of the steady clock (filled when
  /// tracing), in the simulator's structures. On a device, compute
  /// intervals are the device's (CUDA events), placed on the host clock at
  /// the step's start.
  RankTimeline timeline;
};

class RankExecutor {
public:
  /// Builds the stage copies this rank holds. Throws RankFailure.
  RankExecutor(const LoadedProgram &program, int64_t rank, Transport &transport,
               ExecutorOptions options);
  ~RankExecutor();
  RankExecutor(const RankExecutor &) = delete;
  RankExecutor &operator=(const RankExecutor &) = delete;

  int64_t rank() const { return rank_; }
  /// Clears the gradients and runs the instruction list once. Throws
  /// RankFailure (or RankExit for an injected exit).
  StepResult runStep(int64_t step);
  /// Runs the forward-only program once in no-grad mode on evaluation
  /// `index`'s data (StageWorker::evaluate): the losses of the
  /// micro-batches whose last stage is here; parameters, gradients and
  /// optimizer state stay as they are. Throws RankFailure; logic_error
  /// without ExecutorOptions::evalProgram.
  StepResult evaluate(int64_t index);
  /// Whether this rank skipped a send for an injected drop fault. The
  /// other fault kinds fail their own instruction; a drop only shows as
  /// peers' timeouts, so the runner names it as the root cause.
  bool faultFired() const;
  /// Sums every mirrored stage's weight gradients with its copy on the
  /// mirror rank (dual placement only), so both copies hold the gradient
  /// of all micro-batches. Addition commutes bitwise, so the copies stay
  /// identical.
  void reduceMirrors();
  void optimizerStep();
  /// Compares every mirrored stage's parameters bitwise with the mirror
  /// rank's copy; returns one message per differing stage.
  std::vector<std::string> compareMirrorParameters();
  /// The stage copies on this rank, by stage.
  const std::map<int64_t, std::unique_ptr<StageWorker>> &stages() const {
    return stages_;
  }

private:
  struct Impl;
  int64_t rank_;
  std::map<int64_t, std::unique_ptr<StageWorker>> stages_;
  std::unique_ptr<Impl> impl_;
  std::unique_ptr<Impl> evalImpl_; // over the forward-only program
};

} // namespace dualpipe::runtime

#endif // DUALPIPE_RUNTIME_EXECUTOR_H
