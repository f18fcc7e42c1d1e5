//===- SearchSchedule.cpp - Score and pick among candidate orders ---------===//

#include "SearchSchedule.h"
#include "ImproveSchedule.h"

#include "dualpipe/Schedule/Simulate.h"

#include <algorithm>

namespace dualpipe::detail {

std::optional<Score> scoreSchedule(const Schedule &schedule,
                                   const CostModel &cost) {
  std::vector<Finding> findings;
  std::optional<SimResult> sim = simulate(schedule, cost, findings);
  if (!sim)
    return std::nullopt;
  Score score;
  score.makespan = sim->makespan;
  for (const RankStats &rank : sim->ranks) {
    score.peakActivations =
        std::max(score.peakActivations, rank.peakActivations);
    score.peakActivationBytes =
        std::max(score.peakActivationBytes, rank.peakActivationBytes);
  }
  return score;
}

std::vector<RankOrders> greedyOrders(const Placement &placement,
                                     const CostModel &cost,
                                     const std::vector<ListPolicy> &policies) {
  std::vector<RankOrders> orders;
  for (const ListPolicy &policy : policies)
    if (std::optional<ListResult> greedy =
            listSchedule(placement, cost, policy))
      orders.push_back(std::move(greedy->ranks));
  return orders;
}

void keepFastest(Schedule &schedule, const CostModel &cost,
                 std::vector<RankOrders> candidates, int64_t maxActivations,
                 int64_t evaluations) {
  std::optional<Score> best = scoreSchedule(schedule, cost);
  // The fast replay ranks the candidates; only the most promising few pay
  // for a simulation.
  Schedule candidate = schedule;
  std::vector<std::pair<double, size_t>> ranked;
  for (size_t i = 0; i < candidates.size(); ++i) {
    candidate.ranks = candidates[i];
    ranked.push_back({replayMakespan(candidate, cost), i});
  }
  std::sort(ranked.begin(), ranked.end());
  for (size_t k = 0; k < ranked.size() && k < kSimulatedCandidates; ++k) {
    if (best && cannotBeat(ranked[k].first, best->makespan))
      break; // the rest replay no faster either
    candidate.ranks = std::move(candidates[ranked[k].second]);
    std::optional<Score> score = scoreSchedule(candidate, cost);
    if (score && score->peakActivations <= maxActivations &&
        (!best || score->makespan < best->makespan)) {
      best = score;
      schedule.ranks = candidate.ranks;
    }
  }
  if (evaluations <= 0)
    return;
  Schedule improved = schedule;
  ImproveLimits limits;
  limits.maxActivations = maxActivations;
  limits.evaluations = evaluations;
  improveSchedule(improved, cost, limits);
  if (best && cannotBeat(replayMakespan(improved, cost), best->makespan))
    return;
  std::optional<Score> score = scoreSchedule(improved, cost);
  if (score && (!best || score->makespan < best->makespan))
    schedule.ranks = std::move(improved.ranks);
}

} // namespace dualpipe::detail
