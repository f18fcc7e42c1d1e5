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

#include "dualpipe/Runtime/Device.h"
#include "dualpipe/Runtime/Executor.h"
#include "dualpipe/Runtime/Program.h"
#include "dualpipe/Runtime/Transport.h"

#include <chrono>
#include <functional>
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

struct RunOptions {
  int64_t steps = 1;
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
  /// Receives progress lines ("step 1: loss ...") on the process of rank 0.
  std::function<void(const std::string &)> progress;
};

/// Complete on the process that hosts rank 0; other processes only fill
/// `ok` and `error`.
struct RunResult {
  bool ok = false;
  /// Why the run failed, one line per rank, root causes first.
  std::string error;
  std::vector<double> stepLosses;                    // mean loss per step
  std::vector<std::vector<double>> microbatchLosses; // [step][mb]
  /// Per step the slowest rank's time (step, mirror reduction, optimizer),
  /// averaged over the steps.
  double secondsPerStep = 0;
  std::vector<int64_t> peakLive; // per rank, maximum over the steps
  /// Per rank, the caching allocator's peak on the rank's device (ranks
  /// that share a device report its peak); -1 on CPU.
  std::vector<int64_t> peakDeviceBytes;
  std::vector<int64_t> instructions; // per rank, top-level instructions
  bool checked = false;
  std::vector<std::string> checkFailures;
  int64_t lossesCompared = 0;
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
std::string summaryLine(const RunResult &result, int64_t steps);
/// The --check verdict, one line.
/// The mirror clause only for a dual placement, where stages have mirrors.
std::string checkLine(const RunResult &result, const Placement &placement);

} // namespace dualpipe::runtime

#endif // DUALPIPE_RUNTIME_RUNNER_H
