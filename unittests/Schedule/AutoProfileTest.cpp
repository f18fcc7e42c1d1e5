//===- AutoProfileTest.cpp - auto against every fixed kind ----------------===//
//
// The table of issue 14 (docs/schedules.md prints it): on every cost profile
// auto is no slower than the best fixed kind that fits the same budget, and
// strictly faster when the stages are unequal. The budget is 1F1B's memory
// (one live activation per rank and stage ahead); unbounded, the heavy-end
// profiles are bound by the heavy rank's own work (N x (f + b)), which the
// best fixed kinds reach on even ranks, so there only "no slower" can hold.
//
//===----------------------------------------------------------------------===//

#include "dualpipe/Schedule/Plan.h"
#include "dualpipe/Schedule/Report.h"

#include <gtest/gtest.h>

#include <limits>
#include <string>

using namespace dualpipe;

namespace {

struct Profile {
  const char *name;
  double f, b, w; // per rank-sized chunk
  bool heavyEnds; // first and last stage cost twice as much
};

constexpr Profile kProfiles[] = {
    {"equal 1:2:1", 1, 2, 1, false},
    {"equal 1:1.5:0.5", 1, 1.5, 0.5, false},
    {"heavy ends 1:2:1", 1, 2, 1, true},
    {"heavy ends 1:1.5:0.5", 1, 1.5, 0.5, true},
};

std::string costOf(const Profile &p, int64_t ranks) {
  auto num = [](double v) { return formatQuantity(v); };
  std::string text = "f=" + num(p.f) + ",b=" + num(p.b) + ",w=" + num(p.w);
  if (p.heavyEnds)
    for (int64_t s : {int64_t(0), ranks - 1})
      text += ",f@" + std::to_string(s) + "=" + num(2 * p.f) + ",b@" +
              std::to_string(s) + "=" + num(2 * p.b) + ",w@" +
              std::to_string(s) + "=" + num(2 * p.w);
  return text;
}

struct Outcome {
  double autoMakespan = 0;
  double bestFixed = 0;
  std::string bestKind;
};

Outcome planProfile(const Profile &profile, int64_t ranks,
                    std::optional<int64_t> budget) {
  PlanOptions o;
  o.ranks = ranks;
  o.microbatches = 2 * ranks;
  o.maxActivations = budget;
  EXPECT_EQ(applyCostOverrides(o.cost, costOf(profile, ranks)), "");
  std::vector<Finding> findings;
  std::optional<PlanResult> r = plan(o, findings);
  EXPECT_TRUE(r) << joinFindings(findings);
  if (!r)
    return {};
  Outcome out;
  out.bestFixed = std::numeric_limits<double>::infinity();
  bool haveAuto = false;
  for (const PlanCandidate &c : r->candidates) {
    if (!c.skipped.empty() || !c.fits)
      continue;
    if (c.kind == ScheduleKind::Auto) {
      out.autoMakespan = c.makespan;
      haveAuto = true;
    } else if (c.makespan < out.bestFixed) {
      out.bestFixed = c.makespan;
      out.bestKind = toString(c.kind);
    }
  }
  EXPECT_TRUE(haveAuto) << "auto did not fit the budget";
  EXPECT_FALSE(out.bestKind.empty()) << "no fixed kind fits the budget";
  return out;
}

class AutoProfiles : public ::testing::TestWithParam<int64_t> {};

TEST_P(AutoProfiles, NoSlowerThanTheBestFixedKindStrictlyWithUnequalStages) {
  int64_t ranks = GetParam();
  for (const Profile &profile : kProfiles) {
    // On 2 ranks both stages are the heavy ends: the stages are equal. On
    // odd ranks (no dual placement) auto ties zb-h1 at 1:2:1 (3 ranks: 39 =
    // 39, above the bound of 38); issue 14 leaves that open, so only "no
    // slower" is asserted there.
    bool unequal = profile.heavyEnds && ranks > 2 && ranks % 2 == 0;
    Outcome bounded = planProfile(profile, ranks, ranks);
    EXPECT_LE(bounded.autoMakespan, bounded.bestFixed)
        << profile.name << ", budget " << ranks << ", best "
        << bounded.bestKind;
    if (unequal)
      EXPECT_LT(bounded.autoMakespan, bounded.bestFixed)
          << profile.name << ", budget " << ranks << ", best "
          << bounded.bestKind;
    Outcome free = planProfile(profile, ranks, std::nullopt);
    EXPECT_LE(free.autoMakespan, free.bestFixed)
        << profile.name << ", no budget, best " << free.bestKind;
    // The heavy rank's work bounds every schedule; with the dual placement
    // (even ranks) auto reaches it.
    if (profile.heavyEnds && ranks % 2 == 0)
      EXPECT_EQ(free.autoMakespan, 2 * ranks * 2 * (profile.f + profile.b))
          << profile.name << ", no budget";
  }
}

INSTANTIATE_TEST_SUITE_P(Ranks, AutoProfiles,
                         ::testing::Values(2, 3, 4, 6, 8, 16),
                         [](const auto &info) {
                           return std::to_string(info.param) + "ranks";
                         });

} // namespace
