//===- AutoProfileTest.cpp - auto against every fixed kind ----------------===//
//
// The table of issue 14 (docs/schedules.md prints it): on every cost profile
// auto is no slower than the best fixed kind that fits the same budget, and
// strictly faster when the stages are unequal (3 ranks and more). The
// budget is none or 1F1B's memory: one live stage activation
// per rank and stage ahead, or, with 1 GiB of activations per chunk, their
// bytes (a kind with two stages per rank holds half a chunk per activation,
// so zbv fits it).
//
//===----------------------------------------------------------------------===//

#include "dualpipe/Schedule/Plan.h"
#include "dualpipe/Schedule/Report.h"

#include <gtest/gtest.h>

#include <limits>
#include <optional>
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

enum class Budget { None, Count, Bytes };

const char *nameOf(Budget budget) {
  switch (budget) {
  case Budget::None:
    return "none";
  case Budget::Count:
    return "max-activations = ranks";
  case Budget::Bytes:
    return "max-activation-bytes = ranks GiB";
  }
  return "?";
}

Outcome planProfile(const Profile &profile, int64_t ranks, Budget budget) {
  PlanOptions o;
  o.ranks = ranks;
  o.microbatches = 2 * ranks;
  std::string cost = costOf(profile, ranks);
  if (budget == Budget::Count)
    o.maxActivations = ranks;
  if (budget == Budget::Bytes) {
    cost += ",act=1GiB";
    o.maxActivationBytes = static_cast<double>(ranks) * (int64_t(1) << 30);
  }
  EXPECT_EQ(applyCostOverrides(o.cost, cost), "");
  std::vector<Finding> findings;
  std::optional<PlanResult> r = plan(o, findings);
  EXPECT_TRUE(r) << joinFindings(findings);
  if (!r)
    return {};
  Outcome out;
  out.bestFixed = std::numeric_limits<double>::infinity();
  bool haveAuto = false, someOver = false;
  for (const PlanCandidate &c : r->candidates) {
    someOver |= c.skipped.empty() && !c.fits;
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
  // A budget binds: gpipe, holding every micro-batch, exceeds it.
  EXPECT_EQ(someOver, budget != Budget::None) << nameOf(budget);
  return out;
}

class AutoProfiles : public ::testing::TestWithParam<int64_t> {};

TEST_P(AutoProfiles, NoSlowerThanTheBestFixedKindStrictlyWithUnequalStages) {
  int64_t ranks = GetParam();
  for (const Profile &profile : kProfiles) {
    // On 2 ranks both chunks are the heavy ends: the stages are equal.
    bool unequal = profile.heavyEnds && ranks > 2;
    for (Budget budget : {Budget::None, Budget::Count, Budget::Bytes}) {
      Outcome o = planProfile(profile, ranks, budget);
      std::string where = std::string(profile.name) + ", budget " +
                          nameOf(budget) + ", best " + o.bestKind;
      EXPECT_LE(o.autoMakespan, o.bestFixed) << where;
      if (unequal)
        EXPECT_LT(o.autoMakespan, o.bestFixed) << where;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Ranks, AutoProfiles,
                         ::testing::Values(2, 3, 4, 6, 8, 16),
                         [](const auto &info) {
                           return std::to_string(info.param) + "ranks";
                         });

} // namespace
