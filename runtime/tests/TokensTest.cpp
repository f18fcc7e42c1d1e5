//===- TokensTest.cpp - Token windows -------------------------------------===//

#include "dualpipe/Runtime/Tokens.h"

#include <gtest/gtest.h>

#include <numeric>

using namespace dualpipe::runtime;

namespace {

TrainConfig languageConfig(int64_t rows, int64_t seq, int64_t vocab) {
  TrainConfig config;
  config.loss = LossKind::CrossEntropy;
  config.classes = vocab;
  config.seed = 9;
  config.messageShape = {rows, seq, 4};
  config.inputShape = {rows, seq};
  config.tokenInput = true;
  return config;
}

std::vector<int64_t> ramp(int64_t n, int64_t vocab) {
  std::vector<int64_t> tokens(n);
  for (int64_t i = 0; i < n; ++i)
    tokens[i] = i % vocab;
  return tokens;
}

TEST(TokenSource, WindowsDependOnlyOnSeedStepAndMicrobatch) {
  TrainConfig config = languageConfig(3, 5, 1000);
  TokenSource a(ramp(1000, 1000), "data", config);
  TokenSource b(ramp(1000, 1000), "data", config);
  EXPECT_TRUE(torch::equal(a.input(4, 2), b.input(4, 2)));
  EXPECT_TRUE(torch::equal(a.target(4, 2), b.target(4, 2)));
  EXPECT_FALSE(torch::equal(a.input(4, 2), a.input(5, 2)));
  EXPECT_FALSE(torch::equal(a.input(4, 2), a.input(4, 3)));
  config.seed = 10;
  TokenSource c(ramp(1000, 1000), "data", config);
  EXPECT_FALSE(torch::equal(a.input(4, 2), c.input(4, 2)));
}

TEST(TokenSource, TargetIsTheInputShiftedByOne) {
  TrainConfig config = languageConfig(2, 6, 500);
  TokenSource source(ramp(500, 500), "data", config);
  torch::Tensor input = source.input(0, 1), target = source.target(0, 1);
  ASSERT_EQ(input.sizes(), torch::IntArrayRef({2, 6}));
  ASSERT_EQ(input.scalar_type(), torch::kLong);
  // The ramp has no wrap inside a window of 7 in 500 tokens unless it
  // starts within 6 of the end, which the window bound rules out.
  EXPECT_TRUE(torch::equal(target, input + 1));
}

TEST(TokenSource, EveryWindowFitsAStreamOfExactlyOneWindow) {
  TrainConfig config = languageConfig(4, 7, 256);
  TokenSource source(ramp(8, 256), "data", config);
  for (int64_t step = 0; step < 5; ++step)
    EXPECT_TRUE(torch::equal(source.window(step, 0)[0],
                             torch::arange(8, torch::kLong)));
}

TEST(TokenSource, RefusesShortStreamsTokensOutOfRangeAndNonLanguageModels) {
  TrainConfig config = languageConfig(1, 7, 256);
  EXPECT_THROW(
      {
        try {
          TokenSource(ramp(7, 256), "mem", config);
        } catch (const std::invalid_argument &e) {
          EXPECT_STREQ(e.what(), "mem: 7 tokens, too short for one window of "
                                 "seq_len + 1 = 8 (the data ends at token "
                                 "offset 7)");
          throw;
        }
      },
      std::invalid_argument);
  std::vector<int64_t> tokens = ramp(20, 256);
  tokens[11] = 256;
  EXPECT_THROW(
      {
        try {
          TokenSource(tokens, "mem", config);
        } catch (const std::invalid_argument &e) {
          EXPECT_STREQ(e.what(), "mem: token 256 at token offset 11 is outside "
                                 "the vocabulary [0, 256)");
          throw;
        }
      },
      std::invalid_argument);
  config.tokenInput = false;
  EXPECT_THROW(TokenSource(ramp(20, 256), "mem", config),
               std::invalid_argument);
}

TEST(TokenFormat, Names) {
  EXPECT_EQ(parseTokenFormat("uint16"), TokenFormat::Uint16);
  EXPECT_EQ(parseTokenFormat("bytes"), TokenFormat::Bytes);
  EXPECT_FALSE(parseTokenFormat("utf8"));
}

} // namespace
