//===- Cli.h - dualpipe-run's command line, without LibTorch ----*- C++ -*-===//
//
// Parsed twice: by the front (dualpipe-run), which answers --help and usage
// errors without loading LibTorch, and by the LibTorch half it then execs
// (dualpipe-run-torch), so that both hold one statement of each rule.
//
//===----------------------------------------------------------------------===//
#ifndef DUALPIPE_RUN_CLI_H
#define DUALPIPE_RUN_CLI_H

#include "dualpipe/Runtime/Faults.h"

#include <optional>
#include <string>
#include <vector>

namespace dualpipe::runtime {

inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitCheck = 3;

/// --timeout bounds, in seconds: waits are timed in whole milliseconds, so a
/// shorter one cannot be honoured and is refused rather than raised.
inline constexpr double kMinTimeoutSeconds = 1e-3;
inline constexpr double kMaxTimeoutSeconds = 1e6;

struct CliOptions {
  std::vector<std::string> programs;
  std::string backend = "threads";
  bool backendGiven = false;
  bool spawn = false;
  /// Checked by the LibTorch half: whether CUDA is there needs LibTorch.
  std::string device = "cpu";
  std::string tracePath;
  std::string lossesPath;
  double timeoutSeconds = 60;
  int64_t steps = 1;
  bool check = false;
  std::optional<FaultSpec> fault;
  /// Token file for a language model; empty: synthetic data.
  std::string dataPath;
  std::string dataFormat = "uint16";
  /// Validation token file (same format) and evaluation period in steps.
  std::string valDataPath;
  int64_t evalEvery = 0;
  /// Seconds a step may run without output before a "progress:" line.
  double heartbeatSeconds = 5;
  /// Checkpoints (docs/checkpoints.md).
  std::string saveDir;
  int64_t saveEvery = 0;
  std::string loadDir;
  /// timeoutSeconds rounded up to whole milliseconds.
  int64_t timeoutMilliseconds() const;
};

/// Parses argv; prints the usage on --help and exits 0, prints the error and
/// exits kExitUsage on a usage error.
CliOptions parseArgs(int argc, char **argv);

/// Prints "dualpipe-run: error: MESSAGE" and the --help hint; exits
/// kExitUsage.
[[noreturn]] void usageError(const std::string &message);

} // namespace dualpipe::runtime

#endif // DUALPIPE_RUN_CLI_H
