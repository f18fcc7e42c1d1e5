//===- ProgramJson.h - The program file (compiler -> runtime) ---*- C++ -*-===//
//
// The compiler and the runtime only share this versioned file format, so the
// runtime builds where MLIR is not installed. docs/program-format.md is the
// reference (schema and example); this header is its C++ side: a writer used
// by the compiler and a validating reader used by the runtime and tests.
//
//===----------------------------------------------------------------------===//
#ifndef DUALPIPE_SCHEDULE_PROGRAMJSON_H
#define DUALPIPE_SCHEDULE_PROGRAMJSON_H

#include "dualpipe/Schedule/Model.h"
#include "dualpipe/Schedule/Schedule.h"

#include <nlohmann/json.hpp>

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dualpipe {

inline constexpr std::string_view kProgramFormat = "dualpipe-program";
inline constexpr int64_t kProgramVersion = 1;

/// The program file (format "dualpipe-program", version 1). Config keys the
/// model does not set are written with their defaults (loss "mse",
/// optimizer "sgd", lr 0.01, seed 0, classes = hidden) so that the file alone
/// defines the run. Instruction origins are not written.
nlohmann::json programToJson(const Program &program, const ModelSpec &model,
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
};

/// Reads and validates a program file: format and version, every field's
/// presence and type, sizes consistent with the placement, the placement
/// and mirror tables, every instruction's stage placed on its rank, send and
/// recv keys and peers consistent with the placement, every send matched by
/// exactly one recv (and vice versa), tokens defined once and waited once
/// (a recv's token before the compute that consumes the message), and
/// overlap bodies holding one forward and one backward-family op. On error
/// returns nullopt and sets `error` to a message that starts with the JSON
/// path of the culprit, e.g.
///   "programs[2].instructions[5]: stage 3 is not placed on rank 2".
/// It does not prove deadlock freedom (that is verifyProgram's job).
std::optional<ProgramFile> programFromJson(const nlohmann::json &json,
                                           std::string &error);

/// The mirror table of a dual placement: for every stage s, the ranks that
/// hold its direction-0 and direction-1 copies ({s, s, P-1-s}); empty for
/// the other placements.
std::vector<std::array<int64_t, 3>> mirrorTable(const Placement &placement);

/// JSON path of an instruction: "programs[r].instructions[i]" plus
/// ".body[j]" for an instruction inside an overlap.
std::string instructionPath(const InstrRef &ref);

} // namespace dualpipe

#endif // DUALPIPE_SCHEDULE_PROGRAMJSON_H
