//===- AutoPlacements.cpp - The placements kind=auto searches -------------===//

#include "AutoPlacements.h"

#include "dualpipe/Schedule/Limits.h"
#include "dualpipe/Schedule/Model.h"

#include <algorithm>

namespace dualpipe::detail {

namespace {

// Relative, so that splitting a chunk in v inexact parts does not count as
// a gain.
constexpr double kGain = 1e-9;
/// Rounds of balancedCut over all chunks; it settles in a few.
constexpr int kCutRounds = 16;

double heaviest(const std::vector<double> &work) {
  return *std::max_element(work.begin(), work.end());
}

} // namespace

std::vector<double> rankWork(const Placement &placement,
                             const CostModel &stages) {
  std::vector<double> work(placement.ranks, 0);
  for (int64_t s = 0; s < placement.stages; ++s)
    work[placement.rankOf(s, 0)] += stages.stage(s).f + stages.stage(s).b;
  return work;
}

double heaviestRankWork(const CostModel &chunks, int64_t ranks, int64_t v) {
  Placement p;
  p.kind = PlacementKind::Interleaved;
  p.ranks = ranks;
  p.stages = ranks * v;
  p.microbatches = 1;
  return heaviest(rankWork(p, splitStages(chunks, ranks, p.stages)));
}

namespace {

/// F + B of one unit of each chunk.
std::vector<double> unitWork(const CostModel &chunks,
                             const std::vector<int64_t> &chunkUnits) {
  std::vector<double> work;
  for (size_t c = 0; c < chunkUnits.size(); ++c) {
    const StageCost &cost = chunks.stage(static_cast<int64_t>(c));
    work.push_back((cost.f + cost.b) / static_cast<double>(chunkUnits[c]));
  }
  return work;
}

/// One stage per rank (standard, dual): the stage boundaries move across
/// the chunks to the layout of the units that partitionStages would choose.
std::vector<int64_t> rebalancedLayout(const CostModel &chunks,
                                      const std::vector<int64_t> &chunkUnits) {
  std::vector<double> perUnit = unitWork(chunks, chunkUnits), work;
  for (size_t c = 0; c < chunkUnits.size(); ++c)
    work.insert(work.end(), chunkUnits[c], perUnit[c]);
  int64_t stages = static_cast<int64_t>(chunkUnits.size());
  int64_t n = static_cast<int64_t>(work.size());
  if (stages > kMaxLayerStages / std::max<int64_t>(1, n - stages + 1))
    return {};
  return balancedUnitLayout(work, stages);
}

/// Several stages per chunk (V, interleaved): each chunk in turn spreads its
/// units over its stages, a unit at a time to the least loaded rank, until
/// no chunk changes; the boundaries of the chunks stay.
std::vector<int64_t> spreadChunks(const CostModel &chunks,
                                  const Placement &placement,
                                  const StageCut &even) {
  int64_t ranks = placement.ranks;
  int64_t perChunk = placement.stages / ranks;
  const std::vector<int64_t> &chunkUnits = even.chunkUnits;
  std::vector<double> perUnit = unitWork(chunks, chunkUnits);
  std::vector<int64_t> units = even.stageUnits;
  auto rankOf = [&](int64_t s) { return placement.rankOf(s, 0); };
  for (int round = 0; round < kCutRounds; ++round) {
    bool changed = false;
    // Summed afresh every round, so rounding does not build up; within a
    // round each chunk takes its own work out and puts it back.
    std::vector<double> load(ranks, 0);
    for (int64_t s = 0; s < placement.stages; ++s)
      load[rankOf(s)] += units[s] * perUnit[s / perChunk];
    for (int64_t c = 0; c < ranks; ++c) {
      int64_t first = c * perChunk;
      std::vector<int64_t> cut(perChunk, 1);
      for (int64_t j = 0; j < perChunk; ++j)
        load[rankOf(first + j)] -= (units[first + j] - 1) * perUnit[c];
      for (int64_t u = perChunk; u < chunkUnits[c]; ++u) {
        // The least loaded rank; of its stages, the one with fewer units,
        // so that a chunk with two stages on one rank stays even.
        int64_t pick = 0;
        for (int64_t j = 1; j < perChunk; ++j) {
          double lj = load[rankOf(first + j)], lp = load[rankOf(first + pick)];
          if (lj < lp || (lj == lp && cut[j] < cut[pick]))
            pick = j;
        }
        ++cut[pick];
        load[rankOf(first + pick)] += perUnit[c];
      }
      for (int64_t j = 0; j < perChunk; ++j) {
        changed |= units[first + j] != cut[j];
        units[first + j] = cut[j];
      }
    }
    if (!changed)
      break;
  }
  return units;
}

} // namespace

StageCut balancedCut(const CostModel &chunks, const Placement &placement,
                     const std::vector<int64_t> &chunkUnits) {
  int64_t ranks = placement.ranks;
  if (ranks < 1 || placement.stages < ranks || placement.stages % ranks != 0 ||
      (!chunkUnits.empty() && static_cast<int64_t>(chunkUnits.size()) != ranks))
    return {};
  // Equal chunks are balanced already on every placement; the search for a
  // cut would cost time (and a table of stages x units cells) for nothing.
  auto chunkWork = [&](int64_t c) {
    return chunks.stage(c).f + chunks.stage(c).b;
  };
  bool equal = true;
  for (int64_t c = 1; c < ranks; ++c)
    equal &= chunkWork(c) == chunkWork(0);
  if (equal)
    return {};
  int64_t perChunk = placement.stages / ranks;
  StageCut even;
  even.chunkUnits = chunkUnits.empty()
                        ? std::vector<int64_t>(ranks, kCutUnitsPerChunk)
                        : chunkUnits;
  for (int64_t c = 0; c < ranks; ++c) {
    if (even.chunkUnits[c] < perChunk)
      return {};
    for (int64_t j = 0; j < perChunk; ++j)
      even.stageUnits.push_back(even.chunkUnits[c] / perChunk +
                                (j < even.chunkUnits[c] % perChunk));
  }
  StageCut cut = even;
  bool oneStagePerRank = placement.kind == PlacementKind::Standard ||
                         placement.kind == PlacementKind::Dual;
  cut.stageUnits = oneStagePerRank ? rebalancedLayout(chunks, even.chunkUnits)
                                   : spreadChunks(chunks, placement, even);
  if (cut.stageUnits.empty() || cut.stageUnits == even.stageUnits)
    return {};
  // rankWork follows the first micro-batch: on dual, its direction puts
  // stage s on rank s, so the heaviest stage stands for the heaviest rank
  // (the other direction mirrors the same layout).
  auto heaviestOf = [&](const StageCut &c) {
    return heaviest(rankWork(placement, cutStages(chunks, c)));
  };
  if (!(heaviestOf(cut) < heaviestOf(even) * (1 - kGain)))
    return {};
  return cut;
}

std::vector<Placement> autoPlacements(const CostModel &chunks, int64_t ranks,
                                      int64_t microbatches,
                                      int64_t maxVirtualStages) {
  auto make = [&](PlacementKind kind, int64_t stages) {
    Placement p;
    p.kind = kind;
    p.ranks = ranks;
    p.stages = stages;
    p.microbatches = microbatches;
    return p;
  };
  std::vector<Placement> out = {make(PlacementKind::Standard, ranks),
                                make(PlacementKind::V, 2 * ranks),
                                make(PlacementKind::Dual, ranks),
                                make(PlacementKind::Interleaved, 2 * ranks)};
  int64_t deepest = std::min(kMaxAutoVirtualStages, maxVirtualStages);
  if (deepest <= 2 || ranks <= 1)
    return out;
  double best = heaviestRankWork(chunks, ranks, 2);
  int64_t bestV = 2;
  for (int64_t v = 3; v <= deepest; ++v) {
    double work = heaviestRankWork(chunks, ranks, v);
    if (work < best * (1 - kGain)) {
      best = work;
      bestV = v;
    }
  }
  if (bestV != 2)
    out.push_back(make(PlacementKind::Interleaved, bestV * ranks));
  return out;
}

} // namespace dualpipe::detail
