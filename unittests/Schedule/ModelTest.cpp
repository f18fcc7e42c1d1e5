//===- ModelTest.cpp - Model spec, stage partitioning, message shape ------===//

#include "dualpipe/Schedule/Model.h"

#include <gtest/gtest.h>

#include <numeric>

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
  std::string error;
  auto result = partitionStages(model, stages, {}, error);
  EXPECT_TRUE(result) << error;
  return result ? layoutOf(*result) : std::vector<int64_t>();
}

std::string partitionError(const ModelSpec &model, int64_t stages,
                           const std::vector<int64_t> &layout = {}) {
  std::string error;
  EXPECT_FALSE(partitionStages(model, stages, layout, error));
  return error;
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
  std::string error;
  auto stages = partitionStages(model, 2, {}, error);
  ASSERT_TRUE(stages) << error;
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
  std::string error;
  auto stages = partitionStages(uniformModel(6), 3, {1, 2, 3}, error);
  ASSERT_TRUE(stages) << error;
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

TEST(PartitionStages, RejectsTooFewLayers) {
  std::string error;
  EXPECT_FALSE(
      partitionStages(uniformModel(6), 8, {}, ScheduleKind::DualPipe, error));
  EXPECT_EQ(error,
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
            "model 'm' layer 1 (k1): costs must be finite and >= 0");
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

ModelSpec configured(nlohmann::json config) {
  ModelSpec model = uniformModel(2);
  model.config = std::move(config);
  return model;
}

std::string messageError(nlohmann::json config) {
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
      "model 'mlp' config: 'dtype' must be \"float32\" or \"float64\", "
      "got \"bf16\"");
  EXPECT_EQ(messageError(nlohmann::json::array()),
            "model 'mlp' config must be an object");
}

} // namespace
