//===- LossCheckTest.cpp - --check's loss comparison ----------------------===//

#include "dualpipe/Runtime/Runner.h"

#include <gtest/gtest.h>

#include <cmath>

using namespace dualpipe::runtime;

namespace {

using Losses = std::vector<std::pair<int64_t, torch::Tensor>>;

torch::Tensor scalar(float value) { return torch::tensor(value); }

// A validation loss one float32 ulp away from the reference's is a finding
// that names where, the micro-batch and both values; the equal one is not.
TEST(LossDifferences, OneUlpIsAFindingNamingTheEvalAndBothValues) {
  float reference = 0.6931472f;
  std::vector<torch::Tensor> expected = {scalar(1.5f), scalar(reference)};
  Losses losses = {{0, scalar(1.5f)},
                   {1, scalar(std::nextafter(reference, 1.0f))}};
  std::vector<std::string> found =
      lossDifferences("rank 1: eval step 0: ", "val loss", losses, expected);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0], "rank 1: eval step 0: mb 1 val loss 0.69314724206924438 "
                      "differs from the sequential reference "
                      "0.69314718246459961");
}

TEST(LossDifferences, BitwiseEqualLossesHaveNone) {
  std::vector<torch::Tensor> expected = {scalar(2.0f), scalar(0.25f)};
  Losses losses = {{1, scalar(0.25f)}, {0, scalar(2.0f)}};
  EXPECT_TRUE(lossDifferences("", "loss", losses, expected).empty());
}

// The comparison is of bytes, not values: another dtype differs even where
// the value is the same.
TEST(LossDifferences, AnotherDtypeIsAFinding) {
  std::vector<torch::Tensor> expected = {scalar(0.5f)};
  Losses losses = {{0, torch::tensor(0.5, torch::kFloat64)}};
  EXPECT_EQ(lossDifferences("step 1: ", "loss", losses, expected).size(), 1u);
}

} // namespace
