//===- Program.h - Loading a program file for execution ---------*- C++ -*-===//
//
// The runtime's view of a program file: the core model (validated by
// programFromText) plus the training settings the runtime needs, checked
// against the kernels this build knows. Torch-free so that tools can load and
// reject a program before paying for LibTorch's start-up.
//
//===----------------------------------------------------------------------===//
#ifndef DUALPIPE_RUNTIME_PROGRAM_H
#define DUALPIPE_RUNTIME_PROGRAM_H

#include "dualpipe/Schedule/ProgramJson.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dualpipe::runtime {

enum class LossKind { Mse, CrossEntropy };
enum class OptimizerKind { Sgd, Adam };

/// Training settings from the file's "model" section.
struct TrainConfig {
  LossKind loss = LossKind::Mse;
  int64_t classes = 0; // cross_entropy only
  OptimizerKind optimizer = OptimizerKind::Sgd;
  double lr = 0.01;
  double momentum = 0;    // sgd only
  double weightDecay = 0; // both
  uint64_t seed = 0;
  /// One of dualpipe/Schedule/ElementTypes.h; ElementType.h maps it.
  std::string dtype = "float32";
  /// Shape of every activation and gradient message, [rows, hidden] or
  /// [rows, seq, hidden].
  std::vector<int64_t> messageShape;
  int64_t hidden() const { return messageShape.back(); }
  /// The first stage's input: the message, or for a language model (first
  /// layer embedding) int64 token ids of shape [rows, seq], whose
  /// vocabulary is `classes`.
  std::vector<int64_t> inputShape;
  bool tokenInput = false;
};

struct LoadedProgram {
  ProgramFile file;
  TrainConfig config;
  /// Directory of the program file; TorchScript paths are relative to it.
  std::string baseDir;
  /// Hex digest of the file's canonical JSON, so that processes can check
  /// that they all run the same program.
  std::string digest;

  const Program &program() const { return file.program; }
  const Placement &placement() const { return file.program.placement; }
};

/// Reads, parses and validates a program file. Errors start with the file
/// name, then the JSON path of the culprit when there is one.
std::optional<LoadedProgram> loadProgramFile(const std::string &path,
                                             std::string &error);

/// Parses and validates a program file's text with programFromText (which
/// runs the core verifier once), then its layers against the runtime's
/// kernels; TorchScript paths are relative to `baseDir`.
std::optional<LoadedProgram> loadProgramText(std::string_view text,
                                             const std::string &baseDir,
                                             std::string &error);

/// Empty if this build can run the layer at `path` (a JSON path used in the
/// message), else the reason. Defined with the kernels (Kernels.cpp).
std::string checkLayer(const LayerSpec &layer, const TrainConfig &config,
                       const std::string &baseDir, const std::string &path);

/// Wire tag of a message: a bijection of (kind, stage, mb) onto
/// [0, 2 * stages * microbatches), so both transports key messages by it.
int64_t messageTag(const MsgKey &key, const Placement &placement);

/// Tags of the end-of-step exchanges between mirror ranks, above every
/// message tag: one per (purpose, stage).
enum class ControlTag { MirrorGrads = 0, MirrorParams = 1 };
int64_t controlTag(ControlTag purpose, int64_t stage,
                   const Placement &placement);

} // namespace dualpipe::runtime

#endif // DUALPIPE_RUNTIME_PROGRAM_H
