//===- ModelTest.cpp - Model spec, stage partitioning, message shape ------===//

#include "dualpipe/Schedule/Model.h"

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <limits>
#include <numeric>
#include <random>

using namespace dualpipe;

namespace {

/// One layer per cost, f = cost, b = 0, w = 0, kernel "k<i>".
ModelSpec modelWithCosts(const std::vector<double> &costs) {
  ModelSpec model;
  model.name = "m";
  for (size_t i = 0; i < costs.size(); ++i) {
    LayerSpec layer;
    layer.kernel = "k" + std::to_string(i);
    layer.f = costs[i];
    layer.b = 0;
    layer.w = 0;
    model.layers.push_back(layer);
  }
  return model;
}

ModelSpec uniformModel(int64_t layers) {
  ModelSpec model;
  model.name = "mlp";
  LayerSpec layer;
  layer.kernel = "mlp";
  layer.repeat = layers;
  layer.attrs = {{"hidden", 8}};
  model.layers.push_back(layer);
  return model;
}

std::vector<int64_t> layoutOf(const std::vector<StageSpec> &stages) {
  std::vector<int64_t> layout;
  for (const StageSpec &stage : stages)
    layout.push_back(static_cast<int64_t>(stage.layers.size()));
  return layout;
}

std::vector<int64_t> balanced(const ModelSpec &model, int64_t stages) {
  std::vector<Finding> findings;
  auto result = partitionStages(model, stages, {}, findings);
  EXPECT_TRUE(result) << joinFindings(findings);
  return result ? layoutOf(*result) : std::vector<int64_t>();
}

std::string partitionError(const ModelSpec &model, int64_t stages,
                           const std::vector<int64_t> &layout = {}) {
  std::vector<Finding> findings;
  EXPECT_FALSE(partitionStages(model, stages, layout, findings));
  EXPECT_EQ(findings.size(), 1u);
  return joinFindings(findings);
}

/// The one finding of a refused partition.
Finding partitionFinding(const ModelSpec &model, int64_t stages,
                         const std::vector<int64_t> &layout = {}) {
  std::vector<Finding> findings;
  EXPECT_FALSE(partitionStages(model, stages, layout, findings));
  return findings.empty() ? Finding{} : findings.front();
}

TEST(PartitionStages, EqualLayersSplitEvenlyWithExtrasAtTheEnd) {
  EXPECT_EQ(balanced(uniformModel(8), 4), (std::vector<int64_t>{2, 2, 2, 2}));
  EXPECT_EQ(balanced(uniformModel(10), 4), (std::vector<int64_t>{2, 2, 3, 3}));
  EXPECT_EQ(balanced(uniformModel(7), 7),
            (std::vector<int64_t>{1, 1, 1, 1, 1, 1, 1}));
}

TEST(PartitionStages, MinimisesTheBottleneck) {
  EXPECT_EQ(balanced(modelWithCosts({1, 1, 1, 1, 10}), 2),
            (std::vector<int64_t>{4, 1}));
  EXPECT_EQ(balanced(modelWithCosts({5, 1, 1, 1, 1, 1}), 2),
            (std::vector<int64_t>{1, 5}));
}

TEST(PartitionStages, BalancesTheStagesBehindTheBottleneck) {
  // Any partition has a stage of cost >= 10; a bottleneck-only rule would
  // accept [1, 1, 3], the sum of squares picks the even [1, 2, 2].
  EXPECT_EQ(balanced(modelWithCosts({10, 1, 1, 1, 1}), 3),
            (std::vector<int64_t>{1, 2, 2}));
}

TEST(PartitionStages, UsesForwardPlusBackwardCost) {
  ModelSpec model = modelWithCosts({1, 1, 1, 1});
  model.layers[0].b = 2; // layer 0 costs 3 = layers 1..3 together
  EXPECT_EQ(balanced(model, 2), (std::vector<int64_t>{1, 3}));
}

TEST(PartitionStages, ExpandsRepeatsAndSumsCosts) {
  ModelSpec model;
  model.name = "mix";
  LayerSpec a;
  a.kernel = "a";
  a.repeat = 3;
  a.f = 1;
  a.b = 2;
  a.w = 0.5;
  a.attrs = {{"hidden", 4}};
  LayerSpec b = a;
  b.kernel = "b";
  b.repeat = 1;
  model.layers = {a, b};
  std::vector<Finding> findings;
  auto stages = partitionStages(model, 2, {}, findings);
  ASSERT_TRUE(stages) << joinFindings(findings);
  EXPECT_EQ(layoutOf(*stages), (std::vector<int64_t>{2, 2}));
  const StageSpec &second = (*stages)[1];
  EXPECT_EQ(second.stage, 1);
  EXPECT_EQ(second.layers[0].kernel, "a");
  EXPECT_EQ(second.layers[1].kernel, "b");
  EXPECT_EQ(second.layers[1].repeat, 1);
  EXPECT_EQ(second.layers[1].attrs, a.attrs);
  EXPECT_DOUBLE_EQ(second.f, 2);
  EXPECT_DOUBLE_EQ(second.b, 4);
  EXPECT_DOUBLE_EQ(second.w, 1);
}

TEST(PartitionStages, FollowsAnExplicitLayout) {
  std::vector<Finding> findings;
  auto stages = partitionStages(uniformModel(6), 3, {1, 2, 3}, findings);
  ASSERT_TRUE(stages) << joinFindings(findings);
  EXPECT_EQ(layoutOf(*stages), (std::vector<int64_t>{1, 2, 3}));
}

TEST(PartitionStages, RejectsBadLayouts) {
  EXPECT_EQ(partitionError(uniformModel(6), 3, {3, 3}),
            "model 'mlp': layout has 2 entries, expected one per stage (3)");
  EXPECT_EQ(partitionError(uniformModel(6), 3, {3, 0, 3}),
            "model 'mlp': layout[1] is 0, every stage needs >= 1 layer");
  EXPECT_EQ(partitionError(uniformModel(6), 3, {1, 2, 2}),
            "model 'mlp': layout sums to 5 layers, the model has 6");
}

// The dialect reports a finding about a layer at its pipe.layer op and one
// about the layout at the pipeline.
TEST(PartitionStages, FindingsNameTheLayerOrTheLayout) {
  EXPECT_EQ(partitionFinding(modelWithCosts({1, -1}), 1).origin, 1);
  Finding layout = partitionFinding(uniformModel(6), 3, {3, 3});
  EXPECT_EQ(layout.origin, -1);
  EXPECT_EQ(layout.field, "layout");
  EXPECT_EQ(partitionFinding(uniformModel(6), 8).origin, -1);
}

TEST(PartitionStages, RejectsTooFewLayers) {
  std::vector<Finding> findings;
  EXPECT_FALSE(partitionStages(uniformModel(6), 8, {}, ScheduleKind::DualPipe,
                               findings));
  EXPECT_EQ(joinFindings(findings),
            "model 'mlp' has 6 layers, fewer than the 8 stages dualpipe needs");
  EXPECT_EQ(partitionError(uniformModel(6), 8),
            "model 'mlp' has 6 layers, fewer than the 8 stages requested");
}

TEST(PartitionStages, RejectsBadModels) {
  ModelSpec empty;
  empty.name = "e";
  EXPECT_EQ(partitionError(empty, 1), "model 'e' has no layers");
  ModelSpec zero = uniformModel(0);
  EXPECT_EQ(partitionError(zero, 1),
            "model 'mlp' layer 0 (mlp): repeat must be >= 1, got 0");
  ModelSpec negative = modelWithCosts({1, -1});
  EXPECT_EQ(partitionError(negative, 1),
            "model 'm' layer 1 (k1): cost f must be finite, >= 0 and <= "
            "1e+100, got -1");
  EXPECT_EQ(partitionError(uniformModel(4), 0),
            "stage count must be >= 1, got 0");
}

TEST(PartitionStages, LargeModelsStayFast) {
  auto layout = balanced(uniformModel(1000), 64);
  ASSERT_EQ(layout.size(), 64u);
  EXPECT_EQ(std::accumulate(layout.begin(), layout.end(), int64_t(0)), 1000);
  EXPECT_EQ(*std::max_element(layout.begin(), layout.end()), 16);
  EXPECT_TRUE(std::is_sorted(layout.begin(), layout.end()));
}

// Issue 11: layout entries whose sum overflows int64 read past the layers.
TEST(PartitionStages, RejectsLayoutsThatOverflowWhenSummed) {
  const int64_t max = std::numeric_limits<int64_t>::max();
  EXPECT_EQ(partitionError(uniformModel(6), 3, {max, max, 8}),
            "model 'mlp': layout entries up to layout[0] sum to more than "
            "the model's 6 layers");
  EXPECT_EQ(partitionError(uniformModel(6), 3, {3, 3, max}),
            "model 'mlp': layout entries up to layout[2] sum to more than "
            "the model's 6 layers");
}

// Issue 11: repeat(INT64_MAX) expanded one copy per repeat (OOM), and two of
// them overflowed the count ("-2 layers").
TEST(PartitionStages, RejectsHugeRepeatsBeforeExpanding) {
  const int64_t max = std::numeric_limits<int64_t>::max();
  ModelSpec model = uniformModel(max);
  EXPECT_EQ(partitionError(model, 4),
            "model 'mlp': the layer count (repeats expanded) must be at most "
            "262144, got 9223372036854775807");
  model.layers.push_back(model.layers[0]);
  EXPECT_EQ(expandedLayerCount(model), max);
  EXPECT_EQ(partitionError(model, 4),
            "model 'mlp': the layer count (repeats expanded) must be at most "
            "262144, got 9223372036854775807");
}

TEST(PartitionStages, RejectsTooManyStagesOrCellsBeforeWork) {
  EXPECT_EQ(partitionError(uniformModel(4), int64_t(1) << 40),
            "stage count must be at most 262144, got 1099511627776");
  EXPECT_EQ(partitionError(uniformModel(200000), 4097),
            "model 'mlp': stages * (layers - stages + 1) for balancing (give "
            "a layout instead) must be at most 16777216, got 802618688");
}

// Issue 11: 5e307 per layer is finite, the sums overflowed to inf and gave an
// empty stage. Costs and their sums are bounded well below DBL_MAX now.
TEST(PartitionStages, RejectsCostsWhoseSumIsNotFinite) {
  EXPECT_EQ(partitionError(modelWithCosts({5e307, 5e307, 5e307, 5e307}), 2),
            "model 'm' layer 0 (k0): cost f must be finite, >= 0 and <= "
            "1e+100, got 5e+307");
  EXPECT_EQ(partitionError(modelWithCosts({1e100, 1e100, 1e100, 1e100}), 2),
            "model 'm': the sum of all costs must be finite, >= 0 and <= "
            "1e+100, got 4e+100");
  ModelSpec nan = modelWithCosts({1, std::nan("")});
  EXPECT_EQ(partitionError(nan, 1),
            "model 'm' layer 1 (k1): cost f must be finite, >= 0 and <= "
            "1e+100, got nan");
}

/// Every composition of n layers into k stages, ranked by the documented
/// rules (bottleneck, squares, lexicographic), exhaustively.
std::vector<int64_t> bruteForce(const std::vector<double> &costs, size_t k) {
  size_t n = costs.size();
  std::vector<int64_t> best;
  double bestMax = 0, bestSquares = 0;
  auto close = [](double a, double b) {
    return std::fabs(a - b) <= 1e-9 * std::max({1.0, a, b});
  };
  std::vector<int64_t> layout(k, 1);
  std::function<void(size_t, size_t)> visit = [&](size_t stage, size_t left) {
    if (stage + 1 == k) {
      layout[stage] = static_cast<int64_t>(left);
      double maxCost = 0, squares = 0;
      size_t at = 0;
      for (int64_t count : layout) {
        double c = 0;
        for (int64_t i = 0; i < count; ++i)
          c += costs[at++];
        maxCost = std::max(maxCost, c);
        squares += c * c;
      }
      bool better = best.empty() ||
                    (!close(maxCost, bestMax) && maxCost < bestMax) ||
                    (close(maxCost, bestMax) && !close(squares, bestSquares) &&
                     squares < bestSquares);
      if (better) {
        best = layout;
        bestMax = maxCost;
        bestSquares = squares;
      }
      return;
    }
    for (size_t c = 1; c + (k - stage - 1) <= left; ++c) {
      layout[stage] = static_cast<int64_t>(c);
      visit(stage + 1, left - c);
    }
  };
  visit(0, n);
  return best;
}

TEST(PartitionStages, MatchesExhaustiveSearch) {
  std::mt19937 random(11);
  std::uniform_int_distribution<int> pick(0, 4);
  for (int trial = 0; trial < 400; ++trial) {
    size_t n = 1 + random() % 9;
    size_t k = 1 + random() % n;
    std::vector<double> costs(n);
    for (double &c : costs)
      c = pick(random); // small integers: exact sums, many ties and zeros
    SCOPED_TRACE("trial " + std::to_string(trial));
    EXPECT_EQ(balanced(modelWithCosts(costs), static_cast<int64_t>(k)),
              bruteForce(costs, k));
  }
}

// Issue 11: the old table was O(stages x layers^2); 100,000 layers took
// minutes. bench/ measures the time; this checks the result.
TEST(PartitionStages, HundredThousandLayers) {
  auto layout = balanced(uniformModel(100000), 8);
  EXPECT_EQ(layout, (std::vector<int64_t>(8, 12500)));
}

ModelSpec configured(AttrMap config) {
  ModelSpec model = uniformModel(2);
  model.config = std::move(config);
  return model;
}

std::string messageError(AttrMap config) {
  std::string error;
  EXPECT_FALSE(messageSpec(configured(std::move(config)), error));
  return error;
}

TEST(MessageSpec, ShapeFromConfig) {
  std::string error;
  auto flat =
      messageSpec(configured({{"microbatch_size", 4}, {"hidden", 8}}), error);
  ASSERT_TRUE(flat) << error;
  EXPECT_EQ(flat->shape, (std::vector<int64_t>{4, 8}));
  EXPECT_EQ(flat->dtype, "float32");
  EXPECT_EQ(elementCount(*flat), 32);
  auto seq = messageSpec(configured({{"microbatch_size", 2},
                                     {"hidden", 8},
                                     {"seq_len", 5},
                                     {"dtype", "float64"}}),
                         error);
  ASSERT_TRUE(seq) << error;
  EXPECT_EQ(seq->shape, (std::vector<int64_t>{2, 5, 8}));
  EXPECT_EQ(seq->dtype, "float64");
}

TEST(MessageSpec, NamesTheMissingOrBadKey) {
  EXPECT_EQ(messageError({{"hidden", 8}}),
            "model 'mlp' config: missing 'microbatch_size'");
  EXPECT_EQ(messageError({{"microbatch_size", 4}, {"hidden", "8"}}),
            "model 'mlp' config: 'hidden' must be a positive integer, got "
            "\"8\"");
  EXPECT_EQ(
      messageError({{"microbatch_size", 4}, {"hidden", 8}, {"seq_len", 0}}),
      "model 'mlp' config: 'seq_len' must be a positive integer, got 0");
  EXPECT_EQ(
      messageError({{"microbatch_size", 4}, {"hidden", 8}, {"dtype", "bf16"}}),
      "model 'mlp' config: 'dtype' must be one of \"float32\", "
      "\"float64\", \"bfloat16\", got \"bf16\"");
}

} // namespace
