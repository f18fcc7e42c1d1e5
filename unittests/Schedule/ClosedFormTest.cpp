//===- ClosedFormTest.cpp - Simulator vs. published bubble formulas -------===//
//
// The DualPipe README's table (PP = stages): 1F1B (PP-1)(F+B), ZB1P
// (PP-1)(F+B-2W), DualPipe and DualPipeV (PP/2-1)(F&B+B-3W) with PP+1
// activations per device. Every comparison is EXACT: costs are integers, and
// the simulator only adds and takes maxima. docs/cost-model.md explains which
// per-rank quantity each formula describes and why.
//
//===----------------------------------------------------------------------===//

#include "dualpipe/Schedule/Generate.h"
#include "dualpipe/Schedule/Simulate.h"

#include <gtest/gtest.h>

#include <algorithm>

using namespace dualpipe;

namespace {

struct Costs {
  int64_t f, b, w, fb;
  std::string spec() const {
    return "f=" + std::to_string(f) + ",b=" + std::to_string(b) +
           ",w=" + std::to_string(w) + ",fb=" + std::to_string(fb);
  }
};

std::string label(ScheduleKind kind, int64_t ranks, int64_t mbs,
                  const Costs &c) {
  return std::string(toString(kind)) + " " + std::to_string(ranks) + "x" +
         std::to_string(mbs) + " " + c.spec();
}

struct Replay {
  Schedule schedule;
  SimResult sim;
};

/// Generates and simulates (eager lowering, zero latency); nullopt when the
/// kind rejects the sizes.
std::optional<Replay> run(ScheduleKind kind, int64_t ranks, int64_t mbs,
                          const Costs &c) {
  GenerateOptions g{kind, ranks, mbs};
  std::vector<Finding> findings;
  std::optional<Schedule> s = generateSchedule(g, findings);
  if (!s)
    return std::nullopt;
  CostModel cost;
  EXPECT_EQ(applyCostOverrides(cost, c.spec()), "");
  std::optional<SimResult> sim = simulate(*s, cost, findings);
  EXPECT_TRUE(sim) << label(kind, ranks, mbs, c) << ": "
                   << joinFindings(findings);
  if (!sim)
    return std::nullopt;
  return Replay{std::move(*s), std::move(*sim)};
}

int64_t pairsOn(const std::vector<Step> &program) {
  return std::count_if(program.begin(), program.end(),
                       [](const Step &s) { return s.isOverlap(); });
}

TEST(ClosedForm, OneFOneBBubbleOnEveryRank) {
  int64_t checked = 0;
  for (int64_t p = 1; p <= 10; ++p)
    for (int64_t n = 1; n <= 3 * p + 1; n += 1 + p / 4)
      for (int64_t f = 1; f <= 3; ++f)
        for (int64_t b = 1; b <= 4; ++b) {
          Costs c{f, b, 0, f + b};
          std::optional<Replay> r = run(ScheduleKind::OneFOneB, p, n, c);
          ASSERT_TRUE(r) << label(ScheduleKind::OneFOneB, p, n, c);
          ++checked;
          for (const RankStats &s : r->sim.ranks) {
            EXPECT_EQ(s.idle, (p - 1) * (f + b))
                << label(ScheduleKind::OneFOneB, p, n, c) << " rank " << s.rank;
            EXPECT_EQ(s.busy, n * (f + b));
          }
        }
  EXPECT_GT(checked, 400);
}

TEST(ClosedForm, OneFOneBPeakActivationsArePPMinusRank) {
  for (int64_t p = 1; p <= 12; ++p)
    for (int64_t n : {p, p + 1, 2 * p, 3 * p + 2}) {
      std::optional<Replay> r = run(ScheduleKind::OneFOneB, p, n, {1, 2, 1, 3});
      ASSERT_TRUE(r);
      for (const RankStats &s : r->sim.ranks)
        EXPECT_EQ(s.peakActivations, p - s.rank)
            << "1f1b " << p << "x" << n << " rank " << s.rank;
    }
  // Fewer micro-batches than stages cap the count at n.
  std::optional<Replay> r = run(ScheduleKind::OneFOneB, 8, 3, {1, 2, 1, 3});
  ASSERT_TRUE(r);
  for (const RankStats &s : r->sim.ranks)
    EXPECT_EQ(s.peakActivations, std::min<int64_t>(8 - s.rank, 3));
}

TEST(ClosedForm, ZeroBubbleH1BubbleOnEveryRank) {
  // Regime: W <= min(F, B - W) and at least PP micro-batches.
  int64_t checked = 0;
  for (int64_t p = 1; p <= 10; ++p)
    for (int64_t n = p; n <= 3 * p + 1; n += 1 + p / 3)
      for (int64_t f = 1; f <= 3; ++f)
        for (int64_t b = 2; b <= 6; ++b)
          for (int64_t w = 0; w <= std::min(f, b - w); ++w) {
            Costs c{f, b, w, f + b};
            std::optional<Replay> r = run(ScheduleKind::ZBH1, p, n, c);
            ASSERT_TRUE(r) << label(ScheduleKind::ZBH1, p, n, c);
            ++checked;
            for (const RankStats &s : r->sim.ranks)
              EXPECT_EQ(s.idle, (p - 1) * (f + b - 2 * w))
                  << label(ScheduleKind::ZBH1, p, n, c) << " rank " << s.rank;
            EXPECT_EQ(r->sim.ranks[0].peakActivations, p);
          }
  EXPECT_GT(checked, 1000);
}

TEST(ClosedForm, ZeroBubbleH1NeedsPPMicrobatches) {
  // Below PP micro-batches the W ops cannot fill the ramp: the bubble is
  // larger than the formula (documented in docs/cost-model.md).
  Costs c{1, 2, 1, 3};
  std::optional<Replay> r = run(ScheduleKind::ZBH1, 4, 2, c);
  ASSERT_TRUE(r);
  EXPECT_GT(r->sim.maxBubble, 3 * (c.f + c.b - 2 * c.w));
}

/// DualPipe and DualPipeV in the regime F = W = B/2, max(F,B) <= FB <= F+B:
///  - the largest per-rank bubble (makespan - busy) is (PP/2-1)(FB+B-3W);
///  - it is reached on the ranks that run the most overlapped pairs, and
///    every other rank idles (F+B-FB) less per pair it runs fewer, because a
///    pair takes FB instead of F+B: idle_r = formula - (maxPairs -
///    pairs_r)(F+B-FB);
///  - every rank peaks at PP+1 live activations.
void checkDualPipe(ScheduleKind kind, int64_t ranks, int64_t mbs,
                   const Costs &c) {
  std::optional<Replay> r = run(kind, ranks, mbs, c);
  ASSERT_TRUE(r) << label(kind, ranks, mbs, c);
  int64_t pp = r->schedule.placement.stages;
  int64_t formula = (pp / 2 - 1) * (c.fb + c.b - 3 * c.w);
  EXPECT_EQ(r->sim.maxBubble, formula) << label(kind, ranks, mbs, c);
  int64_t maxPairs = 0;
  for (const auto &program : r->schedule.ranks)
    maxPairs = std::max(maxPairs, pairsOn(program));
  for (const RankStats &s : r->sim.ranks) {
    int64_t pairs = pairsOn(r->schedule.ranks[s.rank]);
    EXPECT_EQ(s.idle, formula - (maxPairs - pairs) * (c.f + c.b - c.fb))
        << label(kind, ranks, mbs, c) << " rank " << s.rank;
    EXPECT_EQ(s.peakActivations, pp + 1)
        << label(kind, ranks, mbs, c) << " rank " << s.rank;
  }
}

TEST(ClosedForm, DualPipePairCountsExplainTheRelation) {
  // docs/cost-model.md: rank r (h = min(r, P-1-r)) of DualPipe(P, N) runs
  // 2n - 2P + H + 1 + min(h, H-2) pairs, n = N/2, H = P/2.
  for (int64_t p = 2; p <= 16; p += 2)
    for (int64_t n = p; n <= 2 * p + 4; ++n) {
      std::optional<Replay> r =
          run(ScheduleKind::DualPipe, p, 2 * n, {1, 2, 1, 3});
      ASSERT_TRUE(r);
      for (int64_t rank = 0; rank < p; ++rank) {
        int64_t h = std::min(rank, p - 1 - rank), half = p / 2;
        EXPECT_EQ(pairsOn(r->schedule.ranks[rank]),
                  2 * n - 2 * p + half + 1 + std::min(h, half - 2))
            << "dualpipe " << p << "x" << 2 * n << " rank " << rank;
      }
    }
}

TEST(ClosedForm, DualPipeBubbleAndActivations) {
  for (int64_t p = 2; p <= 16; p += 2)
    for (int64_t n = 2 * p; n <= 4 * p + 4; n += 2 * (1 + p / 4))
      for (int64_t a = 1; a <= 3; ++a)
        for (int64_t fb = 2 * a; fb <= 3 * a; ++fb)
          checkDualPipe(ScheduleKind::DualPipe, p, n, {a, 2 * a, a, fb});
}

TEST(ClosedForm, DualPipeVBubbleAndActivations) {
  for (int64_t p = 1; p <= 8; ++p)
    for (int64_t n = 2 * p; n <= 4 * p + 4; n += 1 + p / 4)
      for (int64_t a = 1; a <= 3; ++a)
        for (int64_t fb = 2 * a; fb <= 3 * a; ++fb)
          checkDualPipe(ScheduleKind::DualPipeV, p, n, {a, 2 * a, a, fb});
}

TEST(ClosedForm, DualPipeVMatchesDualPipeOnTwiceTheRanks) {
  // DESIGN.md: DualPipeV(P, N) runs rank r's order of DualPipe(2P, 2N).
  for (int64_t p : {2, 4, 6})
    for (int64_t fb : {4, 5, 6}) {
      Costs c{2, 4, 2, fb};
      std::optional<Replay> v = run(ScheduleKind::DualPipeV, p, 2 * p + 2, c);
      std::optional<Replay> d =
          run(ScheduleKind::DualPipe, 2 * p, 4 * p + 4, c);
      ASSERT_TRUE(v && d);
      EXPECT_EQ(v->sim.maxBubble, d->sim.maxBubble);
      EXPECT_EQ(v->sim.makespan, d->sim.makespan);
    }
}

TEST(ClosedForm, OverlapOnlyHelpsWhenFBIsBelowFPlusB) {
  // With FB = F + B a pair is just F then B: every rank idles the formula.
  for (int64_t p : {4, 8}) {
    std::optional<Replay> r =
        run(ScheduleKind::DualPipe, p, 2 * p + 4, {1, 2, 1, 3});
    ASSERT_TRUE(r);
    for (const RankStats &s : r->sim.ranks)
      EXPECT_EQ(s.idle, (p / 2 - 1) * 2);
  }
}

} // namespace
