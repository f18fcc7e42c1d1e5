//===- Schedule.cpp - Spellings and placement of the schedule model -------===//
//
// Spellings are the ones used in IR, options and docs; parsing is exact so
// that a typo is reported instead of silently mapped to a default.
//
//===----------------------------------------------------------------------===//

#include "dualpipe/Schedule/Schedule.h"

#include "dualpipe/Schedule/Limits.h"

#include <algorithm>
#include <array>
#include <utility>

namespace dualpipe {

namespace {

constexpr std::array<std::pair<ScheduleKind, std::string_view>, 8>
    kScheduleKindNames = {{
        {ScheduleKind::DualPipe, "dualpipe"},
        {ScheduleKind::DualPipeV, "dualpipev"},
        {ScheduleKind::OneFOneB, "1f1b"},
        {ScheduleKind::Interleaved1F1B, "interleaved-1f1b"},
        {ScheduleKind::ZBH1, "zb-h1"},
        {ScheduleKind::ZBV, "zbv"},
        {ScheduleKind::GPipe, "gpipe"},
        {ScheduleKind::Auto, "auto"},
    }};

constexpr std::array<std::pair<PlacementKind, std::string_view>, 4>
    kPlacementKindNames = {{
        {PlacementKind::Standard, "standard"},
        {PlacementKind::Interleaved, "interleaved"},
        {PlacementKind::V, "v"},
        {PlacementKind::Dual, "dual"},
    }};

template <typename Enum, size_t N>
std::string_view
nameOf(const std::array<std::pair<Enum, std::string_view>, N> &table,
       Enum value) {
  for (const auto &[candidate, name] : table)
    if (candidate == value)
      return name;
  return "<invalid>";
}

template <typename Enum, size_t N>
std::optional<Enum>
valueOf(const std::array<std::pair<Enum, std::string_view>, N> &table,
        std::string_view text) {
  for (const auto &[value, name] : table)
    if (name == text)
      return value;
  return std::nullopt;
}

// Stage s of a V placement lives on rank s on the way down and on rank
// 2P-1-s on the way back; written so that no intermediate can overflow.
int64_t vRankOf(int64_t stage, int64_t ranks) {
  return stage < ranks ? stage : ranks - 1 - (stage - ranks);
}

std::string positiveError(std::string_view what, int64_t value) {
  return std::string(what) + " must be positive, got " + std::to_string(value);
}

} // namespace

std::string_view toString(ScheduleKind kind) {
  return nameOf(kScheduleKindNames, kind);
}

std::optional<ScheduleKind> parseScheduleKind(std::string_view text) {
  return valueOf(kScheduleKindNames, text);
}

const std::vector<ScheduleKind> &allScheduleKinds() {
  static const std::vector<ScheduleKind> kinds = [] {
    std::vector<ScheduleKind> result;
    for (const auto &entry : kScheduleKindNames)
      if (entry.first != ScheduleKind::Auto)
        result.push_back(entry.first);
    return result;
  }();
  return kinds;
}

std::string_view toString(PlacementKind kind) {
  return nameOf(kPlacementKindNames, kind);
}

std::optional<PlacementKind> parsePlacementKind(std::string_view text) {
  return valueOf(kPlacementKindNames, text);
}

PlacementKind placementFor(ScheduleKind kind) {
  switch (kind) {
  case ScheduleKind::DualPipe:
    return PlacementKind::Dual;
  case ScheduleKind::DualPipeV:
  case ScheduleKind::ZBV:
    return PlacementKind::V;
  case ScheduleKind::Interleaved1F1B:
    return PlacementKind::Interleaved;
  case ScheduleKind::OneFOneB:
  case ScheduleKind::ZBH1:
  case ScheduleKind::GPipe:
  case ScheduleKind::Auto:
    return PlacementKind::Standard;
  }
  return PlacementKind::Standard;
}

bool allowsPlacement(ScheduleKind kind, PlacementKind placement) {
  return kind == ScheduleKind::Auto || placementFor(kind) == placement;
}

// Out-of-range arguments yield -1 rather than a wrapped-around rank, so that a
// caller that skipped checkSizes() gets an obviously wrong answer, not UB.
int64_t Placement::rankOf(int64_t stage, int64_t mb) const {
  if (ranks <= 0 || stage < 0 || stage >= stages || mb < 0 ||
      mb >= microbatches)
    return -1;
  switch (kind) {
  case PlacementKind::Standard:
    return stage;
  case PlacementKind::Interleaved:
    return stage % ranks;
  case PlacementKind::V:
    return vRankOf(stage, ranks);
  case PlacementKind::Dual:
    return direction(mb) == 0 ? stage : ranks - 1 - stage;
  }
  return -1;
}

bool Placement::holds(int64_t rank, int64_t stage) const {
  if (rank < 0 || rank >= ranks || stage < 0 || stage >= stages)
    return false;
  switch (kind) {
  case PlacementKind::Standard:
    return stage == rank;
  case PlacementKind::Interleaved:
    return stage % ranks == rank;
  case PlacementKind::V:
    return vRankOf(stage, ranks) == rank;
  case PlacementKind::Dual:
    return stage == rank || stage == ranks - 1 - rank;
  }
  return false;
}

std::vector<int64_t> Placement::stagesOn(int64_t rank) const {
  std::vector<int64_t> result;
  if (rank < 0 || rank >= ranks)
    return result;
  switch (kind) {
  case PlacementKind::Standard:
    result = {rank};
    break;
  case PlacementKind::Interleaved:
    for (int64_t stage = rank; stage < stages; stage += ranks)
      result.push_back(stage);
    break;
  case PlacementKind::V:
    result = {rank, ranks + (ranks - 1 - rank)};
    break;
  case PlacementKind::Dual:
    result = {rank, ranks - 1 - rank};
    break;
  }
  std::sort(result.begin(), result.end());
  result.erase(std::unique(result.begin(), result.end()), result.end());
  // Sizes inconsistent with the kind must not invent stages that do not exist.
  result.erase(std::remove_if(result.begin(), result.end(),
                              [&](int64_t s) { return s < 0 || s >= stages; }),
               result.end());
  return result;
}

int64_t Placement::direction(int64_t mb) const {
  if (kind != PlacementKind::Dual)
    return 0;
  return mb >= microbatches / 2 ? 1 : 0;
}

std::string Placement::checkSizes() const {
  if (ranks <= 0)
    return positiveError("ranks", ranks);
  if (stages <= 0)
    return positiveError("stages", stages);
  if (microbatches <= 0)
    return positiveError("microbatches", microbatches);
  std::string name(toString(kind));
  switch (kind) {
  case PlacementKind::Standard:
    if (stages != ranks)
      return name + " placement requires stages == ranks (" +
             std::to_string(ranks) + "), got " + std::to_string(stages);
    break;
  case PlacementKind::Interleaved:
    if (stages % ranks != 0)
      return name + " placement requires stages to be a multiple of ranks (" +
             std::to_string(ranks) + "), got " + std::to_string(stages);
    break;
  case PlacementKind::V:
    if (stages - ranks != ranks)
      return name + " placement requires stages == 2 * ranks (" +
             (ranks > INT64_MAX / 2 ? "2 * " + std::to_string(ranks)
                                    : std::to_string(2 * ranks)) +
             "), got " + std::to_string(stages);
    break;
  case PlacementKind::Dual:
    if (stages != ranks)
      return name + " placement requires stages == ranks (" +
             std::to_string(ranks) + "), got " + std::to_string(stages);
    // With an odd count the middle rank would hold both directions' copy of
    // one stage in a single copy, and mirror reduction would double it.
    if (ranks % 2 != 0)
      return name + " placement requires an even number of ranks, got " +
             std::to_string(ranks);
    // The two directions split the micro-batches in halves.
    if (microbatches % 2 != 0)
      return name + " placement requires an even number of microbatches, got " +
             std::to_string(microbatches);
    break;
  }
  return checkPlacementBounds(ranks, stages, microbatches);
}

std::string StageCut::check(int64_t chunks, int64_t stages) const {
  auto sizeError = [](const char *what, size_t got, int64_t want) {
    return std::string(what) + " has " + std::to_string(got) +
           " entries, not " + std::to_string(want);
  };
  if (static_cast<int64_t>(chunkUnits.size()) != chunks)
    return sizeError("the cut's chunk units", chunkUnits.size(), chunks);
  if (static_cast<int64_t>(stageUnits.size()) != stages)
    return sizeError("the cut's stage units", stageUnits.size(), stages);
  int64_t chunkTotal = 0, stageTotal = 0;
  for (const std::vector<int64_t> *units : {&chunkUnits, &stageUnits})
    for (int64_t u : *units) {
      // Bounded by kMaxLayers where they come from; the check keeps the
      // sums inside int64 all the same.
      if (u < 1 || u > (int64_t(1) << 40))
        return "the cut has a unit count of " + std::to_string(u) +
               ", outside [1, 2^40]";
      (units == &chunkUnits ? chunkTotal : stageTotal) += u;
    }
  if (chunkTotal != stageTotal)
    return "the cut's stages hold " + std::to_string(stageTotal) +
           " units, its chunks " + std::to_string(chunkTotal);
  return "";
}

char toChar(OpKind kind) {
  switch (kind) {
  case OpKind::F:
    return 'F';
  case OpKind::B:
    return 'B';
  case OpKind::I:
    return 'I';
  case OpKind::W:
    return 'W';
  }
  return '?';
}

std::string_view toString(MsgKind kind) {
  return kind == MsgKind::Activation ? "activation" : "grad";
}

} // namespace dualpipe
