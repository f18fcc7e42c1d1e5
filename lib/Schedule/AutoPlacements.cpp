//===- AutoPlacements.cpp - The placements kind=auto searches -------------===//

#include "AutoPlacements.h"

#include <algorithm>

namespace dualpipe::detail {

double heaviestRankWork(const CostModel &chunks, int64_t ranks, int64_t v) {
  int64_t stages = ranks * v;
  CostModel split = splitStages(chunks, ranks, stages);
  std::vector<double> work(ranks, 0);
  for (int64_t s = 0; s < stages; ++s)
    work[s % ranks] += split.stage(s).f + split.stage(s).b;
  return *std::max_element(work.begin(), work.end());
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
  // Relative, so that splitting a chunk in v inexact parts does not count
  // as a gain.
  constexpr double kGain = 1e-9;
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
