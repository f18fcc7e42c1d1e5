//===- AutoPlacementTest.cpp - The placements kind=auto picks -------------===//
//
// Heavy first and last chunks leave one rank with a heavy chunk's whole work
// on every one-stage-per-rank placement of the even layout (and on the V
// and dual ones); auto moves the stage boundaries (Schedule::cut), or
// interleaves, two stages per rank, or more where that balances the ranks
// better (3 ranks: thirds give every rank a third of each chunk).
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
      simulate(s, scheduleCosts(chunks, s), findings);
  EXPECT_TRUE(sim) << (findings.empty() ? "" : findings.front().message);
  return sim ? sim->makespan : 0;
}

/// auto on heavy ends with 2 x ranks micro-batches, searched on
/// `placements` only, returns `stages` stages; its makespan lies
/// between the heaviest rank's work there (`work`) and on the placements
/// with fewer stages per rank (`fewer`).
Schedule expectPlaced(int64_t ranks, std::vector<PlacementKind> placements,
                      int64_t stages, double fewer, double work) {
  CostModel cost = heavyEnds(ranks);
  GenerateOptions o = autoOptions(ranks, 2 * ranks, cost);
  o.autoPlacements = std::move(placements);
  Schedule s = generateOrFail(o);
  EXPECT_EQ(s.placement.stages, stages);
  double makespan = makespanOf(s, cost, ranks);
  EXPECT_LT(makespan, fewer);
  EXPECT_GE(makespan, work);
  return s;
}

TEST(AutoPlacement, HeavyEndsInterleaveTwoStagesPerRank) {
  // Every one-stage-per-rank placement on the even layout gives rank 0 all
  // of chunk 0: 8 x (2 + 4) = 48. Interleaved, rank 0 holds half of chunk 0
  // and half of chunk 2: 8 x 4.5 = 36.
  expectPlaced(4, {PlacementKind::Interleaved}, 8, 48, 36);
}

TEST(AutoPlacement, ThreeRanksInterleaveThirdsWithoutCut) {
  // Even halves leave a rank with two heavy halves (6 x 6 = 36); thirds
  // give every rank 2 + 1 + 2 = 5 per micro-batch.
  CostModel cost = heavyEnds(3);
  GenerateOptions o = autoOptions(3, 6, cost);
  o.autoCut = false;
  Schedule s = generateOrFail(o);
  EXPECT_EQ(s.placement.kind, PlacementKind::Interleaved);
  EXPECT_EQ(s.placement.stages, 9);
  EXPECT_TRUE(s.cut.empty());
  EXPECT_LT(makespanOf(s, cost, 3), 36);
  EXPECT_GE(makespanOf(s, cost, 3), 30);
}

TEST(AutoPlacement, HeavyEndsMoveTheStageBoundaries) {
  // One stage per rank: a sixth of each heavy chunk moves to the middle
  // rank, and every rank carries 2 x 5/6 x 3 = 3 + 2 x 1/6 x 6 = 5 per
  // micro-batch: 6 x 5 = 30 of work instead of 36.
  Schedule s = expectPlaced(3, {PlacementKind::Standard}, 3, 39, 30);
  EXPECT_EQ(s.cut.chunkUnits, (std::vector<int64_t>{12, 12, 12}));
  EXPECT_EQ(s.cut.stageUnits, (std::vector<int64_t>{10, 16, 10}));
  // Under 1F1B's count of activations the moved stages are the only way
  // below zb-h1's 39: 3 stages of 5 run like zb-h1 on equal stages.
  CostModel cost = heavyEnds(3);
  GenerateOptions o = autoOptions(3, 6, cost);
  o.maxActivations = 3;
  Schedule budgeted = generateOrFail(o);
  EXPECT_FALSE(budgeted.cut.empty());
  EXPECT_DOUBLE_EQ(makespanOf(budgeted, cost, 3), 100.0 / 3);
}

TEST(AutoPlacement, InterleavedCutsKeepTheChunkBoundaries) {
  // Halves put two heavy halves on rank 1 (6 per micro-batch); cutting
  // chunk 0 7:5, chunk 1 6:6 and chunk 2 5:7 (twelfths) gives every rank 5.
  CostModel cost = heavyEnds(3);
  GenerateOptions o = autoOptions(3, 6, cost);
  o.autoPlacements = {PlacementKind::Interleaved};
  o.autoMaxVirtualStages = 2;
  Schedule s = generateOrFail(o);
  ASSERT_EQ(s.placement.stages, 6);
  EXPECT_EQ(s.cut.stageUnits, (std::vector<int64_t>{7, 5, 6, 6, 5, 7}));
  CostModel stages = scheduleCosts(cost, s);
  std::vector<double> work(3, 0);
  for (int64_t stage = 0; stage < 6; ++stage)
    work[s.placement.rankOf(stage, 0)] +=
        stages.stage(stage).f + stages.stage(stage).b;
  for (int64_t r = 0; r < 3; ++r)
    EXPECT_DOUBLE_EQ(work[r], 5) << "rank " << r;
  EXPECT_LT(makespanOf(s, cost, 3), 36);
}

TEST(AutoPlacement, CutsMoveWholeLayers) {
  // Four layers per chunk: the heavy chunks give one layer each to their
  // neighbours (the layout 3, 5, 5, 3).
  CostModel cost = heavyEnds(4);
  GenerateOptions o = autoOptions(4, 8, cost);
  o.autoChunkUnits = {4, 4, 4, 4};
  Schedule s = generateOrFail(o);
  EXPECT_EQ(s.cut.chunkUnits, (std::vector<int64_t>{4, 4, 4, 4}));
  EXPECT_EQ(s.cut.stageUnits, (std::vector<int64_t>{3, 5, 5, 3}));
  // A chunk of one layer cannot give one away: nothing to cut.
  o.autoChunkUnits = {1, 1, 1, 1};
  EXPECT_TRUE(generateOrFail(o).cut.empty());
}

TEST(AutoPlacement, EqualChunksAreNotCut) {
  Schedule s = generateOrFail(autoOptions(4, 8, CostModel{}));
  EXPECT_TRUE(s.cut.empty());
}

TEST(AutoPlacement, BadChunkUnitsAreRefused) {
  GenerateOptions o = autoOptions(4, 8, heavyEnds(4));
  o.autoChunkUnits = {4, 4, 4};
  std::vector<Finding> findings;
  EXPECT_FALSE(generateSchedule(o, findings));
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].field, "layout");
  EXPECT_EQ(findings[0].message, "auto: 3 chunk unit counts for 4 ranks");
  o.autoChunkUnits = {4, 0, 4, 4};
  findings.clear();
  EXPECT_FALSE(generateSchedule(o, findings));
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].message, "auto: chunk 1 has 0 units, fewer than 1");
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
  std::optional<SimResult> sim = simulate(a, scheduleCosts(cost, a), findings);
  ASSERT_TRUE(sim);
  for (const RankStats &rank : sim->ranks)
    EXPECT_LE(rank.peakActivations, 8);
}

} // namespace
