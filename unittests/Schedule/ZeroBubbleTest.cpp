//===- ZeroBubbleTest.cpp - ZB-H1 and ZB-V against the authors' scheduler -===//
//
// The reference makespans come from the zero-bubble authors' own schedulers
// (sail-sg/zero-bubble-pipeline-parallelism at commit 064369d:
// megatron/core/pipeline_parallel/zerobubble/scheduler/zbv.py, best of the
// four fill_f/fill_b variants of try_v_schedule with max_mem = 2P chunk
// activations; zb.py's initial_solution with max_mem = P), run unmodified by
// a throwaway Python harness with f_mem = 1, b_mem = -1, w_mem = 0 (this
// repository's memory model: an activation lives from F to I). Their "b" is
// this repository's I, so B = I + W; their c_cost is the link latency.
//
//===----------------------------------------------------------------------===//

#include "dualpipe/Schedule/Generate.h"
#include "dualpipe/Schedule/Simulate.h"

#include <gtest/gtest.h>

#include <algorithm>

using namespace dualpipe;

namespace {

struct Reference {
  int64_t f, i, w, latency, ranks, microbatches;
  int64_t zbv, zbh1; // the authors' makespans
};

// clang-format off
const Reference kReferences[] = {
    {1, 1, 1, 0, 2, 1, 9, 5},
    {1, 1, 1, 0, 2, 2, 13, 7},
    {1, 1, 1, 0, 2, 3, 19, 10},
    {1, 1, 1, 0, 2, 4, 25, 13},
    {1, 1, 1, 0, 2, 6, 37, 19},
    {1, 1, 1, 0, 3, 1, 13, 7},
    {1, 1, 1, 0, 3, 2, 16, 9},
    {1, 1, 1, 0, 3, 3, 20, 11},
    {1, 1, 1, 0, 3, 4, 26, 14},
    {1, 1, 1, 0, 3, 5, 32, 17},
    {1, 1, 1, 0, 3, 6, 38, 20},
    {1, 1, 1, 0, 3, 9, 56, 29},
    {1, 1, 1, 0, 4, 1, 17, 9},
    {1, 1, 1, 0, 4, 2, 19, 11},
    {1, 1, 1, 0, 4, 3, 23, 13},
    {1, 1, 1, 0, 4, 4, 27, 15},
    {1, 1, 1, 0, 4, 7, 45, 24},
    {1, 1, 1, 0, 4, 8, 51, 27},
    {1, 1, 1, 0, 4, 12, 75, 39},
    {1, 1, 1, 0, 6, 1, 25, 13},
    {1, 1, 1, 0, 6, 2, 27, 15},
    {1, 1, 1, 0, 6, 3, 29, 17},
    {1, 1, 1, 0, 6, 4, 33, 19},
    {1, 1, 1, 0, 6, 6, 41, 23},
    {1, 1, 1, 0, 6, 11, 71, 38},
    {1, 1, 1, 0, 6, 12, 77, 41},
    {1, 1, 1, 0, 6, 18, 113, 59},
    {1, 1, 1, 0, 8, 1, 33, 17},
    {1, 1, 1, 0, 8, 2, 35, 19},
    {1, 1, 1, 0, 8, 3, 37, 21},
    {1, 1, 1, 0, 8, 4, 39, 23},
    {1, 1, 1, 0, 8, 8, 55, 31},
    {1, 1, 1, 0, 8, 15, 97, 52},
    {1, 1, 1, 0, 8, 16, 103, 55},
    {1, 1, 1, 0, 8, 24, 151, 79},
    {1, 2, 1, 0, 2, 1, 13, 7},
    {1, 2, 1, 0, 2, 2, 18, 10},
    {1, 2, 1, 0, 2, 3, 26, 14},
    {1, 2, 1, 0, 2, 4, 34, 18},
    {1, 2, 1, 0, 2, 6, 50, 26},
    {1, 2, 1, 0, 3, 1, 19, 10},
    {1, 2, 1, 0, 3, 2, 23, 13},
    {1, 2, 1, 0, 3, 3, 28, 16},
    {1, 2, 1, 0, 3, 4, 36, 20},
    {1, 2, 1, 0, 3, 5, 44, 24},
    {1, 2, 1, 0, 3, 6, 52, 28},
    {1, 2, 1, 0, 3, 9, 76, 40},
    {1, 2, 1, 0, 4, 1, 25, 13},
    {1, 2, 1, 0, 4, 2, 29, 16},
    {1, 2, 1, 0, 4, 3, 33, 19},
    {1, 2, 1, 0, 4, 4, 38, 22},
    {1, 2, 1, 0, 4, 7, 62, 34},
    {1, 2, 1, 0, 4, 8, 70, 38},
    {1, 2, 1, 0, 4, 12, 102, 54},
    {1, 2, 1, 0, 6, 1, 37, 19},
    {1, 2, 1, 0, 6, 2, 41, 22},
    {1, 2, 1, 0, 6, 3, 45, 25},
    {1, 2, 1, 0, 6, 4, 49, 28},
    {1, 2, 1, 0, 6, 6, 58, 34},
    {1, 2, 1, 0, 6, 11, 98, 54},
    {1, 2, 1, 0, 6, 12, 106, 58},
    {1, 2, 1, 0, 6, 18, 154, 82},
    {1, 2, 1, 0, 8, 1, 49, 25},
    {1, 2, 1, 0, 8, 2, 53, 28},
    {1, 2, 1, 0, 8, 3, 57, 31},
    {1, 2, 1, 0, 8, 4, 61, 34},
    {1, 2, 1, 0, 8, 8, 78, 46},
    {1, 2, 1, 0, 8, 15, 134, 74},
    {1, 2, 1, 0, 8, 16, 142, 78},
    {1, 2, 1, 0, 8, 24, 206, 110},
    {2, 2, 1, 0, 2, 1, 17, 9},
    {2, 2, 1, 0, 2, 2, 22, 13},
    {2, 2, 1, 0, 2, 3, 32, 17},
    {2, 2, 1, 0, 2, 4, 42, 22},
    {2, 2, 1, 0, 2, 6, 62, 32},
    {2, 2, 1, 0, 3, 1, 25, 13},
    {2, 2, 1, 0, 3, 2, 29, 17},
    {2, 2, 1, 0, 3, 3, 34, 21},
    {2, 2, 1, 0, 3, 4, 44, 25},
    {2, 2, 1, 0, 3, 5, 54, 29},
    {2, 2, 1, 0, 3, 6, 64, 34},
    {2, 2, 1, 0, 3, 9, 94, 49},
    {2, 2, 1, 0, 4, 1, 33, 17},
    {2, 2, 1, 0, 4, 2, 37, 21},
    {2, 2, 1, 0, 4, 3, 41, 25},
    {2, 2, 1, 0, 4, 4, 46, 29},
    {2, 2, 1, 0, 4, 7, 76, 41},
    {2, 2, 1, 0, 4, 8, 86, 46},
    {2, 2, 1, 0, 4, 12, 126, 66},
    {2, 2, 1, 0, 6, 1, 49, 25},
    {2, 2, 1, 0, 6, 2, 53, 29},
    {2, 2, 1, 0, 6, 3, 57, 33},
    {2, 2, 1, 0, 6, 4, 61, 37},
    {2, 2, 1, 0, 6, 6, 70, 45},
    {2, 2, 1, 0, 6, 11, 120, 65},
    {2, 2, 1, 0, 6, 12, 130, 70},
    {2, 2, 1, 0, 6, 18, 190, 100},
    {2, 2, 1, 0, 8, 1, 65, 33},
    {2, 2, 1, 0, 8, 2, 69, 37},
    {2, 2, 1, 0, 8, 3, 73, 41},
    {2, 2, 1, 0, 8, 4, 77, 45},
    {2, 2, 1, 0, 8, 8, 94, 61},
    {2, 2, 1, 0, 8, 15, 164, 89},
    {2, 2, 1, 0, 8, 16, 174, 94},
    {2, 2, 1, 0, 8, 24, 254, 134},
    {1, 1, 1, 1, 2, 1, 13, 7},
    {1, 1, 1, 1, 2, 2, 16, 9},
    {1, 1, 1, 1, 2, 3, 22, 13},
    {1, 1, 1, 1, 2, 4, 28, 15},
    {1, 1, 1, 1, 2, 6, 40, 21},
    {1, 1, 1, 1, 3, 1, 21, 11},
    {1, 1, 1, 1, 3, 2, 23, 13},
    {1, 1, 1, 1, 3, 3, 27, 15},
    {1, 1, 1, 1, 3, 4, 33, 21},
    {1, 1, 1, 1, 3, 5, 38, 23},
    {1, 1, 1, 1, 3, 6, 44, 27},
    {1, 1, 1, 1, 3, 9, 62, 37},
    {1, 1, 1, 1, 4, 1, 29, 15},
    {1, 1, 1, 1, 4, 2, 31, 17},
    {1, 1, 1, 1, 4, 3, 35, 19},
    {1, 1, 1, 1, 4, 4, 39, 21},
    {1, 1, 1, 1, 4, 7, 54, 35},
    {1, 1, 1, 1, 4, 8, 60, 39},
    {1, 1, 1, 1, 4, 12, 84, 53},
    {1, 1, 1, 1, 6, 1, 45, 23},
    {1, 1, 1, 1, 6, 2, 47, 25},
    {1, 1, 1, 1, 6, 3, 51, 27},
    {1, 1, 1, 1, 6, 4, 55, 29},
    {1, 1, 1, 1, 6, 6, 63, 33},
    {1, 1, 1, 1, 6, 11, 86, 59},
    {1, 1, 1, 1, 6, 12, 92, 63},
    {1, 1, 1, 1, 6, 18, 128, 85},
    {1, 1, 1, 1, 8, 1, 61, 31},
    {1, 1, 1, 1, 8, 2, 63, 33},
    {1, 1, 1, 1, 8, 3, 67, 35},
    {1, 1, 1, 1, 8, 4, 71, 37},
    {1, 1, 1, 1, 8, 8, 87, 45},
    {1, 1, 1, 1, 8, 15, 118, 83},
    {1, 1, 1, 1, 8, 16, 124, 87},
    {1, 1, 1, 1, 8, 24, 172, 117},
};
// clang-format on

CostModel costOf(const Reference &ref) {
  CostModel cost;
  cost.uniform.f = static_cast<double>(ref.f);
  cost.uniform.w = static_cast<double>(ref.w);
  cost.uniform.b = static_cast<double>(ref.i + ref.w);
  cost.intraNode.latency = static_cast<double>(ref.latency);
  return cost;
}

std::string label(ScheduleKind kind, const Reference &ref) {
  return std::string(toString(kind)) + " " + std::to_string(ref.ranks) + "x" +
         std::to_string(ref.microbatches) + " f=" + std::to_string(ref.f) +
         " i=" + std::to_string(ref.i) + " w=" + std::to_string(ref.w) +
         " latency=" + std::to_string(ref.latency);
}

/// Makespan and the largest per-rank peak of live activations.
std::pair<double, int64_t> simulated(ScheduleKind kind, const Reference &ref,
                                     bool tellCosts) {
  GenerateOptions options{kind, ref.ranks, ref.microbatches};
  if (tellCosts)
    options.cost = costOf(ref);
  std::vector<Finding> findings;
  std::optional<Schedule> schedule = generateSchedule(options, findings);
  EXPECT_TRUE(schedule) << label(kind, ref) << ": " << joinFindings(findings);
  if (!schedule)
    return {0, 0};
  std::optional<SimResult> sim = simulate(*schedule, costOf(ref), findings);
  EXPECT_TRUE(sim) << label(kind, ref) << ": " << joinFindings(findings);
  if (!sim)
    return {0, 0};
  int64_t peak = 0;
  for (const RankStats &rank : sim->ranks)
    peak = std::max(peak, rank.peakActivations);
  return {sim->makespan, peak};
}

TEST(ZeroBubble, ZBVAtLeastAsFastAsTheAuthors) {
  for (const Reference &ref : kReferences) {
    auto [makespan, peak] = simulated(ScheduleKind::ZBV, ref, true);
    EXPECT_LE(makespan, static_cast<double>(ref.zbv))
        << label(ScheduleKind::ZBV, ref);
    EXPECT_LE(peak, 2 * ref.ranks) << label(ScheduleKind::ZBV, ref);
  }
}

TEST(ZeroBubble, ZBH1AtLeastAsFastAsTheAuthors) {
  for (const Reference &ref : kReferences) {
    auto [makespan, peak] = simulated(ScheduleKind::ZBH1, ref, true);
    EXPECT_LE(makespan, static_cast<double>(ref.zbh1))
        << label(ScheduleKind::ZBH1, ref);
    EXPECT_LE(peak, ref.ranks) << label(ScheduleKind::ZBH1, ref);
  }
}

// The sizes under F = 1, I = 1, W = 1 (B = 2), with the generator told
// nothing about the costs: its default is exactly those unit costs.
TEST(ZeroBubble, ZBVIssueSizesUnderUnitCosts) {
  const std::pair<Reference, double> cases[] = {
      {{1, 1, 1, 0, 2, 2, 13, 0}, 13},
      {{1, 1, 1, 0, 4, 4, 27, 0}, 27},
      {{1, 1, 1, 0, 8, 7, 51, 0}, 51}};
  for (const auto &[ref, authors] : cases) {
    auto [makespan, peak] = simulated(ScheduleKind::ZBV, ref, false);
    EXPECT_LE(makespan, authors) << label(ScheduleKind::ZBV, ref);
    EXPECT_LE(peak, 2 * ref.ranks) << label(ScheduleKind::ZBV, ref);
  }
}

} // namespace
