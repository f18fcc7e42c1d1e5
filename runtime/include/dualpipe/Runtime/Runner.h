//===- Runner.h - Training steps across all ranks ---------------*- C++ -*-===//
//
// A run is `steps` training steps of every rank: the executor's step, the
// mirror gradient reduction, the optimizer step, and rank 0 collecting the
// losses, the timings and, with --check, the comparison against the
// sequential reference. Ranks are threads of this process (runThreads) or
// one process each over Gloo (runGlooRank, launched by torchrun or
// spawnRanks).
//
//===----------------------------------------------------------------------===//
#ifndef DUALPIPE_RUNTIME_RUNNER_H
#define DUALPIPE_RUNTIME_RUNNER_H

#include "dualpipe/Runtime/Data.h"
#include "dualpipe/Runtime/Device.h"
#include "dualpipe/Runtime/Executor.h"
#include "dualpipe/Runtime/Program.h"
#include "dualpipe/Runtime/Transport.h"

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace dualpipe::runtime {

/// The gradient agreement --check requires (see mismatch()) of float32 and
/// float64 models.
inline constexpr double kGradientTolerance = 1e-13;
/// The agreement for a model of `dtype`: the mismatch is quadratic in the
/// relative error, so a type coarser than float32 widens kGradientTolerance
/// by the square of its epsilon over float32's (bfloat16: 2^32).
double gradientTolerance(const std::string &dtype);
/// On CUDA, --check allows each micro-batch loss this many units in the
/// last place of its dtype away from the reference's (docs/gpu.md says
/// why); on CPU the losses must be bitwise equal.
inline constexpr double kCudaLossUlps = 8;
/// The --check finding of each (mb, loss) of `losses` that does not match
/// the sequential reference's `expected[mb]`: bitwise on the CPU, within
/// kCudaLossUlps ulp on a CUDA device. Each reads "<where>mb M <what> L
/// differs from the sequential reference E", with L and E to 17 digits so
/// that a one-ulp difference shows, e.g. where = "rank 1: eval step 0: "
/// and what = "val loss".
std::vector<std::string>
lossDifferences(const std::string &where, const std::string &what,
                const std::vector<std::pair<int64_t, torch::Tensor>> &losses,
                const std::vector<torch::Tensor> &expected);

struct RunOptions {
  /// The total step count; a resumed run starts after `firstStep` of them.
  int64_t steps = 1;
  /// Steps already trained (the loaded checkpoint's step).
  int64_t firstStep = 0;
  /// Write a checkpoint here every `saveEvery` steps (0: only at the end)
  /// and after the last step; empty: never (docs/checkpoints.md).
  std::string saveDir;
  int64_t saveEvery = 0;
  /// Load every stage's layers from this checkpoint directory's latest
  /// checkpoint before the first step (its step is `firstStep`).
  std::string loadDir;
  /// cpu, or cuda: threads round-robin over the visible GPUs, a process
  /// rank on cuda:LOCAL_RANK (Device.h).
  DeviceKind device = DeviceKind::Cpu;
  /// Compare the first step with the sequential reference (bitwise losses,
  /// gradients within kGradientTolerance) and the mirrors after every step.
  bool check = false;
  /// Record a measured timeline (RunResult::trace).
  bool trace = false;
  /// Bound on every blocking wait (messages, gathers, rendezvous).
  std::chrono::milliseconds timeout{60000};
  std::optional<FaultSpec> fault;
  /// This run's training data (Data.h), asked by every rank of this process
  /// and the --check reference; null: the synthetic batch.
  std::shared_ptr<BatchSource> data;
  /// Validation data: with it the run evaluates (forward only, in the
  /// program's forward-only order) before its first step, after every
  /// `evalEvery` steps and after the last one (docs/training.md).
  std::shared_ptr<BatchSource> evalData;
  int64_t evalEvery = 0;
  /// Receives progress lines ("step 1: loss ...", "eval step 2: val loss
  /// ...") on the process of rank 0, and a "progress:" line whenever a
  /// step has run for `heartbeat` without one.
  std::function<void(const std::string &)> progress;
  std::chrono::milliseconds heartbeat{5000};
};

/// Complete on the process that hosts rank 0; other processes only fill
/// `ok` and `error`.
struct RunResult {
  bool ok = false;
  /// Why the run failed, one line per rank, root causes first.
  std::string error;
  std::vector<double> stepLosses;                    // mean loss per step
  std::vector<std::vector<double>> microbatchLosses; // [step][mb]
  /// (steps trained before it, mean validation loss) per evaluation.
  std::vector<std::pair<int64_t, double>> evalLosses;
  /// Per step the slowest rank's time (step, mirror reduction, optimizer),
  /// averaged over the steps.
  double secondsPerStep = 0;
  /// Tokens (rows of every micro-batch, times the sequence length) per
  /// step, and the training FLOPs per token of the built-in kernels
  /// (trainingFlopsPerToken); FLOP/s counts only those.
  int64_t tokensPerStep = 0;
  double flopsPerToken = 0;
  std::vector<int64_t> peakLive; // per rank, maximum over the steps
  /// Per rank, the caching allocator's peak on the rank's device (ranks
  /// that share a device report its peak); -1 on CPU.
  std::vector<int64_t> peakDeviceBytes;
  std::vector<int64_t> instructions; // per rank, top-level instructions
  bool checked = false;
  std::vector<std::string> checkFailures;
  int64_t lossesCompared = 0;
  /// Evaluation 0's micro-batch losses compared with the reference's.
  int64_t evalLossesCompared = 0;
  int64_t stagesCompared = 0;
  double worstMismatch = 0;
  double gradientLimit = kGradientTolerance; // gradientTolerance(dtype)
  /// The largest |loss - reference| / |reference| (0 when bitwise), and
  /// whether --check required bitwise losses (CPU) or kCudaLossUlps.
  double worstLossDifference = 0;
  bool bitwiseLosses = true;
  /// Chrome trace JSON (RunOptions::trace), the simulator's layout.
  std::string trace;
};

/// Runs every rank as a thread of this process, over ThreadsHub. Sets
/// torch's intra-op threads to 1 (deterministic kernels, no
/// oversubscription).
RunResult runThreads(const LoadedProgram &program, const RunOptions &options);

/// Runs this process's rank over Gloo (rendezvous from `gloo`). An injected
/// exit fault ends the process on the spot, as a crash would.
RunResult runGlooRank(const LoadedProgram &program, const RunOptions &options,
                      const GlooOptions &gloo);

/// Runs this process's rank over NCCL on cuda:LOCAL_RANK (rendezvous from
/// `gloo`, as for Gloo). Refuses a program that is not deadlock-free under
/// NCCL's in-order matching (checkInOrder), and a CPU device.
RunResult runNcclRank(const LoadedProgram &program, const RunOptions &options,
                      const GlooOptions &gloo);

/// The summary line: steps, time per step, peak live activations per rank,
/// and on CUDA the peak device memory per rank.
/// Then tokens/s and the achieved FLOP/s of the built-in kernels.
std::string summaryLine(const RunResult &result, int64_t steps);
/// The --check verdict, one line.
/// The mirror clause only for a dual placement, where stages have mirrors.
std::string checkLine(const RunResult &result, const Placement &placement);

} // namespace dualpipe::runtime

#endif // DUALPIPE_RUNTIME_RUNNER_H
