//===- ProgramJson.h - The program file (compiler -> runtime) ---*- C++ -*-===//
//
// The compiler and the runtime only share this versioned file format, so the
// runtime builds where MLIR is not installed. docs/program-format.md is the
// reference (schema and example); this header is its C++ side: a writer used
// by the compiler and a validating reader used by the runtime and tests. It
// deals in text, so that code built without exceptions (the MLIR side) can
// use it; lib/Schedule/json/ProgramJsonTree.h has the same on a parsed tree.
//
//===----------------------------------------------------------------------===//
#ifndef DUALPIPE_SCHEDULE_PROGRAMJSON_H
#define DUALPIPE_SCHEDULE_PROGRAMJSON_H

#include "dualpipe/Schedule/Model.h"
#include "dualpipe/Schedule/Schedule.h"
#include "dualpipe/Schedule/Verify.h"

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dualpipe {

inline constexpr std::string_view kProgramFormat = "dualpipe-program";
inline constexpr int64_t kProgramVersion = 1;

/// The program file (format "dualpipe-program", version 1), as text ending
/// with a newline. Config keys the model does not set are written with
/// their defaults (loss "mse", optimizer "sgd", lr 0.01, seed 0, classes =
/// hidden) so that the file alone defines the run. Instruction origins are
/// not written.
std::string programToText(const Program &program, const ModelSpec &model,
                          const std::vector<StageSpec> &stages,
                          const TensorSpec &message);

/// Everything a program file defines, as the core model.
struct ProgramFile {
  Program program;
  /// Name, the layers of all stages in order (repeat 1 each) and a config
  /// with every key of the file's "model" section.
  ModelSpec model;
  std::vector<StageSpec> stages;
  TensorSpec message;
  /// The first stage's input (inputSpec()): the message, or token ids.
  TensorSpec input;
};

/// How the reader verifies: the first finding only, under the rendezvous
/// semantics (by key), deadlock freedom proven.
VerifyOptions loadVerifyOptions();

/// Parses (within the nesting bound of Limits.h) and validates a program
/// file. The reader checks what only the file has: format and version,
/// every field's presence and type, sizes within bounds and consistent with
/// the placement, the placement and mirror tables, the model section against
/// the message, one program per rank. The program itself is then checked by
/// verifyProgram with `verify` (by default loadVerifyOptions()), so the
/// level-3 rules are stated once, in the verifier. On error returns nullopt
/// and sets `error` to "not valid JSON: ...", or to a message that starts
/// with the JSON path of the culprit, e.g.
///   "schedule.ranks: expected an integer, got \"4\"" or
///   "programs[1].instructions[5]: rank 1: F(stage 0, mb 0) belongs on
///    rank 0 ..." (findingText of the verifier's first finding).
std::optional<ProgramFile> programFromText(std::string_view text,
                                           std::string &error);
std::optional<ProgramFile> programFromText(std::string_view text,
                                           std::string &error,
                                           const VerifyOptions &verify);

/// The mirror table of a dual placement: for every stage s, the ranks that
/// hold its direction-0 and direction-1 copies ({s, s, P-1-s}); empty for
/// the other placements.
std::vector<std::array<int64_t, 3>> mirrorTable(const Placement &placement);

} // namespace dualpipe

#endif // DUALPIPE_SCHEDULE_PROGRAMJSON_H
