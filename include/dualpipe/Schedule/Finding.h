//===- Finding.h - What an algorithm of the core reports --------*- C++ -*-===//
//
// Every algorithm of the core reports what is wrong as Findings, not as text:
// a finding names what it concerns (an instruction, an input field, a
// position in a text input) so that the dialect can report it as a
// diagnostic at the op behind it, with notes at the related ops, and the
// tools without MLIR print it through findingText.
//
//===----------------------------------------------------------------------===//
#ifndef DUALPIPE_SCHEDULE_FINDING_H
#define DUALPIPE_SCHEDULE_FINDING_H

#include <cstdint>
#include <string>
#include <vector>

namespace dualpipe {

/// Location of an instruction or step: rank, then index path (top-level index,
/// then index inside an overlap body, if any).
struct InstrRef {
  int64_t rank = -1;
  std::vector<int64_t> path;
};

/// A finding of an algorithm. The dialect reports it as a diagnostic at the
/// op behind `origin` (the id the caller gave the step, instruction, layer or
/// cell), or behind `field`; notes go to the ops behind theirs.
struct Finding {
  std::string message; // lowercase, no trailing period
  InstrRef where;
  int64_t origin = -1;
  struct Note {
    std::string message;
    InstrRef where;
    int64_t origin = -1;
    std::string field;
  };
  std::vector<Note> notes;
  /// The input the finding concerns when it is not an instruction: an
  /// option in its command-line spelling ("ranks", "microbatches",
  /// "virtual-stages", "max-activations", "cost", ...) or a model config key
  /// ("config.hidden"). The message names it too, so it reads on its own.
  std::string field;
  /// 1-based row and column (characters) in a text input such as a CSV
  /// file; 0 when the finding is not about a position in a text.
  int64_t row = 0, column = 0;
};

/// A finding about an input field (see Finding::field).
Finding fieldFinding(std::string field, std::string message);

/// JSON path of an instruction: "programs[r].instructions[i]" plus
/// ".body[j]" for an instruction inside an overlap; "programs[r]" for a
/// finding about a whole rank.
std::string instructionPath(const InstrRef &ref);

/// A finding as the tools without MLIR print it (the program loader, the
/// Python bindings, dualpipe-plan): "row R, column C: <message>" for a
/// position in a text, "<instructionPath>: <message>" for an instruction,
/// else the message alone (which names the field it concerns).
std::string findingText(const Finding &finding);

/// findingText of the first finding ("" if none): the tools stop at the
/// first thing that is wrong.
std::string firstFindingText(const std::vector<Finding> &findings);

/// The findings' messages, one per line (no locations; for tests and for
/// wrapping into another finding).
std::string joinFindings(const std::vector<Finding> &findings);

} // namespace dualpipe

#endif // DUALPIPE_SCHEDULE_FINDING_H
