//===- CostTest.cpp - Cost overrides obey the one cost bound --------------===//

#include "dualpipe/Schedule/Cost.h"
#include "dualpipe/Schedule/Limits.h"

#include <gtest/gtest.h>

#include <limits>

using namespace dualpipe;

namespace {

std::string overrideError(const char *spec) {
  CostModel model;
  return applyCostOverrides(model, spec);
}

// A --cost value is held to the bound of spec and program-file costs
// (checkCost): finite sums over a whole schedule need every cost <= 1e100.
TEST(CostOverrides, UseTheOneCostBound) {
  struct Case {
    const char *spec;
    const char *error;
  } cases[] = {
      {"f=5e307", "f must be finite, >= 0 and <= 1e+100, got 5e+307"},
      {"b=1e101,w=0", "b must be finite, >= 0 and <= 1e+100, got 1e+101"},
      {"w=-0.5", "w must be finite, >= 0 and <= 1e+100, got -0.5"},
      {"f@3=2e100",
       "stage 3: f must be finite, >= 0 and <= 1e+100, got 2e+100"},
      {"act=1e200", "act must be finite, >= 0 and <= 1e+100, got 1e+200"},
      {"param=-1KiB", "param must be finite, >= 0 and <= 1e+100, got -1024"},
      {"msg=-1", "msg must be finite, >= 0 and <= 1e+100, got -1"},
      {"latency=1e300",
       "intra-node latency must be finite, >= 0 and <= 1e+100, got 1e+300"},
  };
  for (const Case &c : cases) {
    EXPECT_EQ(overrideError(c.spec), c.error) << c.spec;
  }
  EXPECT_EQ(overrideError("f=1e100,b=1e100,w=1e100"), "");
  EXPECT_EQ(overrideError("bandwidth=inf,latency=0"), "");
}

// A model built in code, not parsed, is validated the same way.
TEST(CostOverrides, ValidateCatchesNanAndInfSetInCode) {
  CostModel model;
  model.uniform.f = std::numeric_limits<double>::quiet_NaN();
  EXPECT_EQ(model.validate(), "f must be finite, >= 0 and <= 1e+100, got nan");
  model.uniform.f = 1;
  model.stages.assign(2, model.uniform);
  model.stages[1].b = std::numeric_limits<double>::infinity();
  EXPECT_EQ(model.validate(),
            "stage 1: b must be finite, >= 0 and <= 1e+100, got inf");
}

} // namespace
