//===- PlanTest.cpp - Schedule planner ------------------------------------===//

#include "dualpipe/Schedule/Plan.h"
#include "dualpipe/Schedule/Generate.h"
#include "dualpipe/Schedule/Simulate.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

using namespace dualpipe;

namespace {

PlanOptions options(int64_t ranks, int64_t mbs, std::string_view cost = "") {
  PlanOptions o;
  o.ranks = ranks;
  o.microbatches = mbs;
  EXPECT_EQ(applyCostOverrides(o.cost, cost), "");
  return o;
}

PlanResult mustPlan(const PlanOptions &o) {
  std::vector<Finding> findings;
  std::optional<PlanResult> r = plan(o, findings);
  EXPECT_TRUE(r) << joinFindings(findings);
  return r ? *r : PlanResult{};
}

const PlanCandidate &candidate(const PlanResult &r, ScheduleKind kind) {
  for (const PlanCandidate &c : r.candidates)
    if (c.kind == kind)
      return c;
  ADD_FAILURE() << "no candidate " << toString(kind);
  static PlanCandidate none;
  return none;
}

TEST(Plan, SimulatesEveryKindThatApplies) {
  PlanResult r = mustPlan(options(4, 16, "fb=2.5"));
  // Every fixed kind, then auto.
  ASSERT_EQ(r.candidates.size(), allScheduleKinds().size() + 1);
  EXPECT_EQ(r.candidates.back().kind, ScheduleKind::Auto);
  for (const PlanCandidate &c : r.candidates) {
    EXPECT_EQ(c.skipped, "") << toString(c.kind);
    EXPECT_GT(c.makespan, 0) << toString(c.kind);
    EXPECT_TRUE(c.fits);
  }
  // Same model on every kind: total busy time is the same, so a kind's
  // makespan is only as good as its bubble.
  const PlanCandidate &dp = candidate(r, ScheduleKind::DualPipe);
  EXPECT_EQ(dp.stages, 4);
  EXPECT_EQ(dp.paramCopies, 2);
  EXPECT_EQ(dp.maxParamBytes, 2);
  const PlanCandidate &dpv = candidate(r, ScheduleKind::DualPipeV);
  EXPECT_EQ(dpv.stages, 8);
  EXPECT_EQ(dpv.paramCopies, 1);
  EXPECT_EQ(dpv.maxParamBytes, 1);         // two half-size stages
  EXPECT_EQ(dpv.peakActivations, 9);       // PP + 1 stage activations ...
  EXPECT_EQ(dpv.peakActivationBytes, 4.5); // ... of half a chunk each
  const PlanCandidate &f1b = candidate(r, ScheduleKind::OneFOneB);
  EXPECT_EQ(f1b.makespan, 16 * 3 + 3 * 3);
  EXPECT_EQ(f1b.peakActivations, 4);
  EXPECT_EQ(f1b.paramCopies, 1);
}

/// The fixed kind with the lowest makespan that fits (not auto); null if
/// none fits.
const PlanCandidate *fastestFixed(const PlanResult &r) {
  const PlanCandidate *fastest = nullptr;
  for (const PlanCandidate &c : r.candidates)
    if (c.kind != ScheduleKind::Auto && c.skipped.empty() && c.fits &&
        (!fastest || c.makespan < fastest->makespan))
      fastest = &c;
  return fastest;
}

TEST(Plan, RecommendsTheFastestThatFits) {
  PlanResult r = mustPlan(options(4, 16, "fb=2.5"));
  ASSERT_TRUE(r.recommended);
  const PlanCandidate &best = candidate(r, *r.recommended);
  for (const PlanCandidate &c : r.candidates)
    EXPECT_LE(best.makespan, c.makespan) << toString(c.kind);
  EXPECT_EQ(r.reason.rfind(std::string(toString(*r.recommended)) +
                               ": lowest makespan (",
                           0),
            0u);
  // auto, searched for these costs, beats dualpipe (44), the fastest fixed
  // kind.
  const PlanCandidate *fastest = fastestFixed(r);
  ASSERT_TRUE(fastest) << "no fixed kind fits";
  const PlanCandidate &fixed = *fastest;
  EXPECT_EQ(fixed.kind, ScheduleKind::DualPipe);
  EXPECT_EQ(fixed.makespan, 44);
  EXPECT_EQ(*r.recommended, ScheduleKind::Auto);
  EXPECT_EQ(best.makespan, 43.5);

  // A budget below that fixed kind's peak excludes it; auto, searched again
  // under the budget, still fits.
  PlanOptions tight = options(4, 16, "fb=2.5");
  tight.maxActivations = fixed.peakActivations - 1;
  PlanResult t = mustPlan(tight);
  EXPECT_FALSE(candidate(t, fixed.kind).fits);
  EXPECT_EQ(candidate(t, fixed.kind).overBudget,
            "peak activations " + std::to_string(fixed.peakActivations) +
                " > " + std::to_string(fixed.peakActivations - 1));
  ASSERT_TRUE(t.recommended);
  EXPECT_NE(*t.recommended, fixed.kind);
  EXPECT_LE(candidate(t, *t.recommended).peakActivations,
            *tight.maxActivations);
  EXPECT_TRUE(candidate(t, ScheduleKind::Auto).fits);
}

TEST(Plan, TiesGoToLessActivationMemory) {
  // 1F1B and GPipe finish together; GPipe keeps every micro-batch alive.
  PlanOptions o = options(4, 8);
  o.kinds = {ScheduleKind::GPipe, ScheduleKind::OneFOneB};
  PlanResult r = mustPlan(o);
  ASSERT_EQ(r.candidates.size(), 2u);
  EXPECT_EQ(r.candidates[0].makespan, r.candidates[1].makespan);
  EXPECT_GT(r.candidates[0].peakActivations, r.candidates[1].peakActivations);
  EXPECT_EQ(r.recommended, ScheduleKind::OneFOneB);
  EXPECT_EQ(r.reason, "1f1b: lowest makespan (33); less activation memory "
                      "than gpipe");
}

TEST(Plan, ByteBudget) {
  PlanOptions o = options(4, 8, "act=1GiB");
  o.maxActivationBytes = 0;
  PlanResult r = mustPlan(o);
  EXPECT_FALSE(r.recommended);
  EXPECT_EQ(r.reason, "no kind fits the memory budget");
  EXPECT_EQ(candidate(r, ScheduleKind::OneFOneB).overBudget,
            "peak activation bytes 4 GiB > 0");
}

TEST(Plan, SkippedKindsSayWhy) {
  PlanResult r = mustPlan(options(3, 6));
  const PlanCandidate &dp = candidate(r, ScheduleKind::DualPipe);
  EXPECT_NE(dp.skipped, "");
  GenerateOptions g{ScheduleKind::DualPipe, 3, 6};
  EXPECT_EQ(dp.skipped, firstFindingText(checkGenerateOptions(g)));
  EXPECT_EQ(candidate(r, ScheduleKind::OneFOneB).skipped, "");
  std::string text = renderPlanText(r);
  EXPECT_NE(text.find("skipped:\n  dualpipe: " + dp.skipped + "\n"),
            std::string::npos);
}

TEST(Plan, NothingApplies) {
  PlanOptions o = options(3, 1);
  o.kinds = {ScheduleKind::DualPipe};
  PlanResult r = mustPlan(o);
  EXPECT_FALSE(r.recommended);
  EXPECT_EQ(r.reason, "no kind applies to these sizes");
  EXPECT_NE(renderPlanText(r).find("no recommendation: no kind applies"),
            std::string::npos);
}

TEST(Plan, InvalidOptions) {
  struct Case {
    PlanOptions o;
    const char *error;
  };
  PlanOptions badCost = options(4, 8);
  badCost.cost.uniform.fb = 99;
  PlanOptions badBudget = options(4, 8);
  badBudget.maxActivations = -1;
  PlanOptions badBytes = options(4, 8);
  badBytes.maxActivationBytes = -2;
  PlanOptions badV = options(4, 8);
  badV.virtualStages = 0;
  Case cases[] = {
      {options(0, 8), "ranks must be >= 1, got 0"},
      {options(4, -1), "micro-batches must be >= 1, got -1"},
      {badV, "virtual stages must be >= 1, got 0"},
      {badCost, "invalid cost model: fb = 99 is outside [max(f, b), f + b] "
                "= [2, 3]"},
      {badBudget, "max activations must be >= 0, got -1"},
      {badBytes, "max activation bytes must be >= 0, got -2"},
  };
  for (const Case &c : cases) {
    std::vector<Finding> findings;
    EXPECT_FALSE(plan(c.o, findings));
    EXPECT_EQ(firstFindingText(findings), c.error);
    EXPECT_EQ(findings.size(), 1u);
  }
  EXPECT_EQ(checkPlanOptions(options(0, 8)).at(0).field, "ranks");
  EXPECT_EQ(checkPlanOptions(badBytes).at(0).field, "max-activation-bytes");
}

TEST(Plan, Json) {
  PlanOptions o = options(4, 8);
  o.maxActivations = 6;
  PlanResult r = mustPlan(o);
  nlohmann::json j = nlohmann::json::parse(renderPlanJson(r));
  EXPECT_EQ(j["ranks"], 4);
  EXPECT_EQ(j["microbatches"], 8);
  EXPECT_EQ(j["virtual_stages"], 2);
  EXPECT_EQ(j["budget"]["max_activations"], 6);
  EXPECT_EQ(j["budget"]["max_activation_bytes"], nullptr);
  ASSERT_TRUE(j["candidates"].is_array());
  size_t listed = j["candidates"].size() + j["skipped"].size();
  EXPECT_EQ(listed, allScheduleKinds().size() + 1); // and auto
  for (const nlohmann::json &c : j["candidates"])
    for (const char *key :
         {"kind", "stages", "makespan", "bubble_ratio", "max_bubble",
          "peak_activations", "peak_activation_bytes", "param_copies",
          "max_param_bytes", "fits", "over_budget"})
      EXPECT_TRUE(c.contains(key)) << key;
  EXPECT_EQ(j["recommended"], std::string(toString(*r.recommended)));
  EXPECT_EQ(j["reason"], r.reason);
}

TEST(Plan, TextTableMarksTheRecommendation) {
  PlanResult r = mustPlan(options(4, 8));
  std::string text = renderPlanText(r);
  EXPECT_EQ(text.rfind("4 ranks, 8 micro-batches\nkind", 0), 0u);
  EXPECT_NE(text.find(std::string(toString(*r.recommended)) + " *"),
            std::string::npos);
  EXPECT_NE(text.find("recommended: " + r.reason + "\n"), std::string::npos);
}

} // namespace
