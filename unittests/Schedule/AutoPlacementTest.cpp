//===- AutoPlacementTest.cpp - The placements kind=auto picks -------------===//
//
// Heavy first and last chunks leave one rank with a heavy chunk's whole work
// on every one-stage-per-rank placement (and on the V and dual ones); auto
// interleaves instead, two stages per rank, or more where that balances the
// ranks better (3 ranks: thirds give every rank a third of each chunk).
//
//===----------------------------------------------------------------------===//

#include "dualpipe/Schedule/Cost.h"
#include "dualpipe/Schedule/Finding.h"
#include "dualpipe/Schedule/Generate.h"
#include "dualpipe/Schedule/Simulate.h"

#include <gtest/gtest.h>

#include <string>

using namespace dualpipe;

namespace {

/// F:B:W 1:2:1 per chunk, the first and the last chunk twice as heavy.
CostModel heavyEnds(int64_t ranks) {
  CostModel cost;
  std::string last = std::to_string(ranks - 1);
  EXPECT_EQ(applyCostOverrides(cost, "f=1,b=2,w=1,f@0=2,b@0=4,w@0=2,f@" + last +
                                         "=2,b@" + last + "=4,w@" + last +
                                         "=2"),
            "");
  return cost;
}

GenerateOptions autoOptions(int64_t ranks, int64_t microbatches,
                            const CostModel &cost) {
  GenerateOptions o;
  o.kind = ScheduleKind::Auto;
  o.ranks = ranks;
  o.microbatches = microbatches;
  o.cost = cost;
  return o;
}

Schedule generateOrFail(const GenerateOptions &options) {
  std::vector<Finding> findings;
  std::optional<Schedule> s = generateSchedule(options, findings);
  EXPECT_TRUE(s) << joinFindings(findings);
  return s ? *s : Schedule{};
}

/// The simulated makespan under the chunk costs split as the schedule's
/// stages need (as the planner scores it).
double makespanOf(const Schedule &s, const CostModel &chunks, int64_t ranks) {
  std::vector<Finding> findings;
  std::optional<SimResult> sim =
      simulate(s, splitStages(chunks, ranks, s.placement.stages), findings);
  EXPECT_TRUE(sim) << (findings.empty() ? "" : findings.front().message);
  return sim ? sim->makespan : 0;
}

/// auto on heavy ends with 2 x ranks micro-batches interleaves `stages`
/// stages; its makespan lies between the heaviest rank's work there
/// (`work`) and on the placements with fewer stages per rank (`fewer`).
void expectInterleaved(int64_t ranks, int64_t stages, double fewer,
                       double work) {
  CostModel cost = heavyEnds(ranks);
  Schedule s = generateOrFail(autoOptions(ranks, 2 * ranks, cost));
  EXPECT_EQ(s.placement.kind, PlacementKind::Interleaved);
  EXPECT_EQ(s.placement.stages, stages);
  double makespan = makespanOf(s, cost, ranks);
  EXPECT_LT(makespan, fewer);
  EXPECT_GE(makespan, work);
}

TEST(AutoPlacement, HeavyEndsInterleaveTwoStagesPerRank) {
  // Every one-stage-per-rank placement gives rank 0 all of chunk 0:
  // 8 x (2 + 4) = 48. Interleaved, rank 0 holds half of chunk 0 and half of
  // chunk 2: 8 x 4.5 = 36.
  expectInterleaved(4, 8, 48, 36);
}

TEST(AutoPlacement, ThreeRanksInterleaveThirds) {
  // Halves leave a rank with two heavy halves (6 x 6 = 36); thirds give
  // every rank 2 + 1 + 2 = 5 per micro-batch.
  expectInterleaved(3, 9, 36, 30);
}

TEST(AutoPlacement, EqualStagesDoNotInterleaveDeeper) {
  // Deeper interleaving balances nothing here: every rank already carries
  // one chunk's work.
  CostModel cost;
  Schedule s = generateOrFail(autoOptions(3, 6, cost));
  EXPECT_LE(s.placement.stages, 6);
}

TEST(AutoPlacement, LargeSizesDoNotInterleaveDeeper) {
  // 3 ranks x 4 stages x 1400 micro-batches is past the search's wide
  // size: only the fixed kinds' placements and two stages per rank.
  CostModel cost = heavyEnds(3);
  Schedule s = generateOrFail(autoOptions(3, 1400, cost));
  EXPECT_LE(s.placement.stages, 6);
}

TEST(AutoPlacement, RestrictedPlacementsAreKept) {
  CostModel cost = heavyEnds(4);
  GenerateOptions o = autoOptions(4, 8, cost);
  o.autoPlacements = {PlacementKind::Standard, PlacementKind::Dual};
  Schedule s = generateOrFail(o);
  EXPECT_TRUE(s.placement.kind == PlacementKind::Standard ||
              s.placement.kind == PlacementKind::Dual)
      << toString(s.placement.kind);
  EXPECT_EQ(s.placement.stages, 4);
}

TEST(AutoPlacement, InterleavedWithinTheBudgetAndDeterministic) {
  CostModel cost = heavyEnds(8);
  GenerateOptions o = autoOptions(8, 16, cost);
  o.maxActivations = 8;
  Schedule a = generateOrFail(o);
  Schedule b = generateOrFail(o);
  ASSERT_EQ(a.ranks.size(), b.ranks.size());
  EXPECT_EQ(a.placement.kind, b.placement.kind);
  EXPECT_EQ(a.placement.stages, b.placement.stages);
  for (size_t r = 0; r < a.ranks.size(); ++r) {
    ASSERT_EQ(a.ranks[r].size(), b.ranks[r].size()) << "rank " << r;
    for (size_t k = 0; k < a.ranks[r].size(); ++k) {
      EXPECT_EQ(a.ranks[r][k].first, b.ranks[r][k].first);
      EXPECT_EQ(a.ranks[r][k].second, b.ranks[r][k].second);
    }
  }
  std::vector<Finding> findings;
  std::optional<SimResult> sim =
      simulate(a, splitStages(cost, 8, a.placement.stages), findings);
  ASSERT_TRUE(sim);
  for (const RankStats &rank : sim->ranks)
    EXPECT_LE(rank.peakActivations, 8);
}

} // namespace
