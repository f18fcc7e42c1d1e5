//===- SimulateTestSupport.h - Cost models and replays for tests -*- C++
//-*-===//
#ifndef DUALPIPE_UNITTESTS_SCHEDULE_SIMULATETESTSUPPORT_H
#define DUALPIPE_UNITTESTS_SCHEDULE_SIMULATETESTSUPPORT_H

#include "dualpipe/Schedule/Cost.h"
#include "dualpipe/Schedule/Simulate.h"

#include <gtest/gtest.h>

#include <string_view>

namespace dualpipe::test {

/// The default model with `spec`'s overrides, which must be valid.
inline CostModel costs(std::string_view spec) {
  CostModel c;
  std::string err = applyCostOverrides(c, spec);
  EXPECT_EQ(err, "") << spec;
  return c;
}

/// The replay of `p`, which must succeed.
inline SimResult mustSimulate(const Program &p, const CostModel &c = {}) {
  std::vector<Finding> findings;
  std::optional<SimResult> r = simulate(p, c, findings);
  EXPECT_TRUE(r.has_value()) << joinFindings(findings);
  return r ? *r : SimResult{};
}

} // namespace dualpipe::test

#endif // DUALPIPE_UNITTESTS_SCHEDULE_SIMULATETESTSUPPORT_H
