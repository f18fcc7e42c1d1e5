//===- TorchCsv.cpp - PyTorch pipelining action CSV interop ---------------===//
//
// The grammar is PyTorch's _Action.from_str: "{stage}{type}{mb}" with type one
// of F B I W SEND_F RECV_F SEND_B RECV_B (mb required) or UNSHARD RESHARD
// REDUCE_GRAD (mb optional), and "({F};{B|I|W})OVERLAP_F_B". The parser is
// hand-written and linear so that arbitrary input is rejected with a position
// instead of crashing, recursing or running long.
//
//===----------------------------------------------------------------------===//

#include "dualpipe/Schedule/TorchCsv.h"
#include "dualpipe/Schedule/Generate.h"

#include <algorithm>
#include <array>
#include <charconv>

namespace dualpipe {

void appendAction(std::string &out, const ComputeOp &op) {
  char buffer[48];
  char *end = std::to_chars(buffer, buffer + 20, op.stage).ptr;
  *end++ = toChar(op.kind);
  end = std::to_chars(end, end + 20, op.mb).ptr;
  out.append(buffer, end);
}

void appendStep(std::string &out, const Step &step) {
  if (!step.isOverlap()) {
    appendAction(out, step.first);
    return;
  }
  out += '(';
  appendAction(out, step.first);
  out += ';';
  appendAction(out, *step.second);
  out += ")OVERLAP_F_B";
}

std::string formatAction(const ComputeOp &op) {
  std::string out;
  appendAction(out, op);
  return out;
}

std::string formatStep(const Step &step) {
  std::string out;
  appendStep(out, step);
  return out;
}

std::string exportTorchCsv(const Schedule &schedule) {
  std::string out;
  size_t steps = 0;
  for (const std::vector<Step> &program : schedule.ranks)
    steps += program.size();
  // Most cells are 4-8 characters; one reservation avoids regrowth.
  out.reserve(steps * 8 + schedule.ranks.size());
  for (const std::vector<Step> &program : schedule.ranks) {
    for (size_t i = 0; i < program.size(); ++i) {
      if (i != 0)
        out += ',';
      appendStep(out, program[i]);
    }
    out += '\n';
  }
  return out;
}

namespace {

constexpr std::string_view kOverlapSuffix = "OVERLAP_F_B";
constexpr size_t kMaxQuotedCell = 64;

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t'))
    text.remove_prefix(1);
  while (!text.empty() &&
         (text.back() == ' ' || text.back() == '\t' || text.back() == '\r'))
    text.remove_suffix(1);
  return text;
}

bool isDigit(char c) { return c >= '0' && c <= '9'; }
bool isTypeChar(char c) { return (c >= 'A' && c <= 'Z') || c == '_'; }

/// What an action type means to a level-2 schedule.
enum class TypeClass { Compute, Comm, Fsdp };
struct ActionType {
  std::string_view name;
  TypeClass typeClass;
  OpKind kind;
};
constexpr std::array<ActionType, 11> kActionTypes = {{
    {"F", TypeClass::Compute, OpKind::F},
    {"B", TypeClass::Compute, OpKind::B},
    {"I", TypeClass::Compute, OpKind::I},
    {"W", TypeClass::Compute, OpKind::W},
    {"SEND_F", TypeClass::Comm, OpKind::F},
    {"RECV_F", TypeClass::Comm, OpKind::F},
    {"SEND_B", TypeClass::Comm, OpKind::B},
    {"RECV_B", TypeClass::Comm, OpKind::B},
    {"UNSHARD", TypeClass::Fsdp, OpKind::F},
    {"RESHARD", TypeClass::Fsdp, OpKind::F},
    {"REDUCE_GRAD", TypeClass::Fsdp, OpKind::F},
}};

const ActionType *findActionType(std::string_view name) {
  for (const ActionType &type : kActionTypes)
    if (type.name == name)
      return &type;
  return nullptr;
}

/// A parsed cell: nothing to run (empty, comm, FSDP), or a step.
struct ParsedCell {
  std::optional<Step> step;
};

/// Parses one cell; on failure returns nullopt and sets `problem` to the
/// "<what is wrong>" part of the message.
class CellParser {
public:
  explicit CellParser(std::string &problem) : problem(problem) {}

  std::optional<ParsedCell> parseCell(std::string_view cell) {
    if (cell.empty())
      return ParsedCell{};
    if (cell.front() == '(')
      return parseOverlap(cell);
    if (cell.find(')') != std::string_view::npos)
      return fail("unbalanced parenthesis");
    if (cell.find(';') != std::string_view::npos)
      return fail("';' outside an overlap");
    Action action;
    if (!parseAction(cell, action))
      return std::nullopt;
    if (action.type->typeClass != TypeClass::Compute)
      return ParsedCell{};
    return ParsedCell{Step{action.op, std::nullopt, -1}};
  }

private:
  struct Action {
    const ActionType *type = nullptr;
    ComputeOp op;
  };

  std::nullopt_t fail(std::string message) {
    problem = std::move(message);
    return std::nullopt;
  }

  /// Reads a non-negative decimal id bounded by `max`; `what` names it.
  bool parseId(std::string_view &rest, int64_t max, std::string_view what,
               int64_t &value) {
    if (!rest.empty() && rest.front() == '-')
      return failBool("negative " + std::string(what));
    if (rest.empty() || !isDigit(rest.front()))
      return failBool("missing " + std::string(what));
    value = 0;
    while (!rest.empty() && isDigit(rest.front())) {
      value = value * 10 + (rest.front() - '0');
      if (value > max)
        return failBool(std::string(what) + " exceeds " + std::to_string(max));
      rest.remove_prefix(1);
    }
    return true;
  }

  bool failBool(std::string message) {
    problem = std::move(message);
    return false;
  }

  bool parseAction(std::string_view text, Action &action) {
    std::string_view rest = text;
    if (!parseId(rest, kMaxStages - 1, "stage id", action.op.stage))
      return false;
    size_t typeLength = 0;
    while (typeLength < rest.size() && isTypeChar(rest[typeLength]))
      ++typeLength;
    std::string_view typeName = rest.substr(0, typeLength);
    if (typeName.empty())
      return failBool("missing action type");
    action.type = findActionType(typeName);
    if (!action.type)
      return failBool("unknown action type '" + std::string(typeName) + "'");
    action.op.kind = action.type->kind;
    rest.remove_prefix(typeLength);
    // FSDP actions apply to a whole stage; PyTorch writes them without mb.
    if (action.type->typeClass == TypeClass::Fsdp && rest.empty())
      return true;
    if (!parseId(rest, kMaxMicrobatches - 1, "micro-batch id", action.op.mb))
      return false;
    if (!rest.empty())
      return failBool("unexpected text after micro-batch id");
    return true;
  }

  std::optional<ParsedCell> parseOverlap(std::string_view cell) {
    size_t close = cell.find(')');
    if (close == std::string_view::npos)
      return fail("unbalanced parenthesis");
    std::string_view inner = cell.substr(1, close - 1);
    if (inner.find('(') != std::string_view::npos ||
        cell.find(')', close + 1) != std::string_view::npos)
      return fail("unbalanced parenthesis");
    if (cell.substr(close + 1) != kOverlapSuffix)
      return fail("overlap must end with " + std::string(kOverlapSuffix));
    size_t separator = inner.find(';');
    size_t parts = 1;
    for (char c : inner)
      parts += c == ';';
    if (parts != 2)
      return fail("overlap must hold exactly two actions, got " +
                  std::to_string(parts));
    Action forward, backward;
    if (!parseAction(trim(inner.substr(0, separator)), forward) ||
        !parseAction(trim(inner.substr(separator + 1)), backward))
      return std::nullopt;
    if (forward.type->typeClass != TypeClass::Compute ||
        backward.type->typeClass != TypeClass::Compute ||
        forward.op.kind != OpKind::F || backward.op.kind == OpKind::F)
      return fail("overlap must be a forward followed by a B, I or W");
    return ParsedCell{Step{forward.op, backward.op, -1}};
  }

  std::string &problem;
};

std::string quoteCell(std::string_view cell) {
  if (cell.size() <= kMaxQuotedCell)
    return std::string(cell);
  return std::string(cell.substr(0, kMaxQuotedCell)) + "...";
}

Finding cellError(const CsvCell &at, std::string_view problem,
                  std::string_view cell) {
  Finding finding;
  finding.message = std::string(problem) + " ('" + quoteCell(cell) + "')";
  finding.row = at.row;
  finding.column = at.column;
  return finding;
}

/// The placement kinds in tie-break order.
constexpr std::array<PlacementKind, 4> kInferenceOrder = {
    PlacementKind::Standard, PlacementKind::V, PlacementKind::Interleaved,
    PlacementKind::Dual};

int64_t countOnPlacedRank(const Schedule &schedule,
                          const Placement &placement) {
  int64_t count = 0;
  for (size_t rank = 0; rank < schedule.ranks.size(); ++rank) {
    for (const Step &step : schedule.ranks[rank]) {
      count += placement.rankOf(step.first.stage, step.first.mb) ==
               static_cast<int64_t>(rank);
      if (step.second)
        count += placement.rankOf(step.second->stage, step.second->mb) ==
                 static_cast<int64_t>(rank);
    }
  }
  return count;
}

/// The consistent placement under which the most ops sit on their rank, or
/// nullopt if the sizes fit no placement.
std::optional<Placement> inferPlacement(const Schedule &schedule) {
  std::optional<Placement> best;
  int64_t bestCount = -1;
  for (PlacementKind kind : kInferenceOrder) {
    Placement candidate = schedule.placement;
    candidate.kind = kind;
    if (!candidate.checkSizes().empty())
      continue;
    int64_t count = countOnPlacedRank(schedule, candidate);
    if (count > bestCount) {
      best = candidate;
      bestCount = count;
    }
  }
  return best;
}

/// Splits the file into rows and cells and parses each cell, recording the
/// position of every cell and the first cell that names the highest stage.
class CsvImporter {
public:
  CsvImporter(std::vector<Finding> &findings, std::vector<CsvCell> &positions)
      : findings(findings), positions(positions) {}

  std::optional<Schedule> run(std::string_view text) {
    if (text.empty()) {
      fail(cellError({1, 1, 1}, "empty input", ""));
      return std::nullopt;
    }
    if (text.back() == '\n')
      text.remove_suffix(1);
    int64_t row = 0;
    while (true) {
      size_t end = text.find('\n');
      std::string_view line = text.substr(0, end);
      if (!importRow(++row, line))
        return std::nullopt;
      if (end == std::string_view::npos)
        break;
      text.remove_prefix(end + 1);
    }
    return finish();
  }

private:
  bool importRow(int64_t row, std::string_view line) {
    if (row > kMaxRanks) {
      fail(cellError({row, 1, 1},
                     "more than " + std::to_string(kMaxRanks) + " rows",
                     trim(line.substr(0, line.find(',')))));
      return false;
    }
    schedule.ranks.emplace_back();
    if (trim(line).empty()) {
      fail(cellError({row, 1, 1}, "empty row", ""));
      return false;
    }
    int64_t cell = 0;
    size_t offset = 0; // of `line` within the row, for character columns
    while (true) {
      size_t end = line.find(',');
      std::string_view raw = line.substr(0, end);
      std::string_view text = trim(raw);
      // The cell's first non-blank character, as editors count columns.
      size_t lead = text.empty() ? 0 : size_t(text.data() - raw.data());
      CsvCell at{row, static_cast<int64_t>(offset + lead) + 1, ++cell};
      if (!importCell(at, text))
        return false;
      if (end == std::string_view::npos)
        return true;
      line.remove_prefix(end + 1);
      offset += end + 1;
    }
  }

  bool importCell(CsvCell at, std::string_view cell) {
    int64_t origin = static_cast<int64_t>(positions.size());
    positions.push_back(at);
    std::string problem;
    std::optional<ParsedCell> parsed = CellParser(problem).parseCell(cell);
    if (!parsed) {
      fail(cellError(at, problem, cell), origin);
      return false;
    }
    if (!parsed->step)
      return true;
    Step step = *parsed->step;
    step.origin = origin;
    noteSizes(step.first, origin);
    if (step.second)
      noteSizes(*step.second, origin);
    schedule.ranks.back().push_back(step);
    return true;
  }

  void noteSizes(const ComputeOp &op, int64_t origin) {
    if (op.stage + 1 > schedule.placement.stages) {
      schedule.placement.stages = op.stage + 1;
      highestStageOrigin = origin;
    }
    schedule.placement.microbatches =
        std::max(schedule.placement.microbatches, op.mb + 1);
  }

  std::optional<Schedule> finish() {
    schedule.placement.ranks = static_cast<int64_t>(schedule.ranks.size());
    if (highestStageOrigin < 0) {
      fail(cellError({1, 1, 1}, "no compute action in the file", ""));
      return std::nullopt;
    }
    std::optional<Placement> placement = inferPlacement(schedule);
    if (!placement) {
      const CsvCell &at = positions[highestStageOrigin];
      fail(cellError(at,
                     std::to_string(schedule.placement.stages) +
                         " stages fit no placement on " +
                         std::to_string(schedule.placement.ranks) + " ranks",
                     highestStageText(at)),
           highestStageOrigin);
      return std::nullopt;
    }
    schedule.placement = *placement;
    return std::move(schedule);
  }

  std::string highestStageText(const CsvCell &at) const {
    for (const Step &step : schedule.ranks[at.row - 1])
      if (step.origin == highestStageOrigin)
        return formatStep(step);
    return "";
  }

  /// `origin`: the cell's index in `positions`, when it is a cell.
  void fail(Finding finding, int64_t origin = -1) {
    finding.origin = origin;
    findings.push_back(std::move(finding));
  }

  std::vector<Finding> &findings;
  std::vector<CsvCell> &positions;
  Schedule schedule;
  int64_t highestStageOrigin = -1;
};

} // namespace

std::optional<Schedule> importTorchCsv(std::string_view text,
                                       std::vector<Finding> &findings,
                                       std::vector<CsvCell> *cells) {
  std::vector<CsvCell> positions;
  std::optional<Schedule> schedule = CsvImporter(findings, positions).run(text);
  if (cells)
    *cells = std::move(positions);
  return schedule;
}

} // namespace dualpipe
