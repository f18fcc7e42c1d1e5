//===- Model.cpp - Model spec and stage partitioning ----------------------===//

#include "dualpipe/Schedule/Model.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace dualpipe {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

/// Costs come from user specs and sums of doubles, so "equal" must tolerate
/// rounding or the tie rules would depend on summation order.
bool lessOrClose(double a, double b) {
  return a <= b + 1e-9 * std::max({1.0, std::fabs(a), std::fabs(b)});
}

std::string quoted(const std::string &name) { return "'" + name + "'"; }

std::string checkLayers(const ModelSpec &model) {
  if (model.layers.empty())
    return "model " + quoted(model.name) + " has no layers";
  for (size_t i = 0; i < model.layers.size(); ++i) {
    const LayerSpec &layer = model.layers[i];
    std::string where = "model " + quoted(model.name) + " layer " +
                        std::to_string(i) + " (" + layer.kernel + ")";
    if (layer.repeat < 1)
      return where + ": repeat must be >= 1, got " +
             std::to_string(layer.repeat);
    if (!(layer.f >= 0 && layer.b >= 0 && layer.w >= 0) ||
        !std::isfinite(layer.f + layer.b + layer.w))
      return where + ": costs must be finite and >= 0";
  }
  return "";
}

std::vector<LayerSpec> expandRepeats(const ModelSpec &model) {
  std::vector<LayerSpec> layers;
  for (const LayerSpec &layer : model.layers) {
    LayerSpec one = layer;
    one.repeat = 1;
    for (int64_t i = 0; i < layer.repeat; ++i)
      layers.push_back(one);
  }
  return layers;
}

std::string checkLayout(const std::vector<int64_t> &layout, int64_t stages,
                        int64_t layers) {
  if (static_cast<int64_t>(layout.size()) != stages)
    return "layout has " + std::to_string(layout.size()) +
           " entries, expected one per stage (" + std::to_string(stages) + ")";
  int64_t total = 0;
  for (size_t i = 0; i < layout.size(); ++i) {
    if (layout[i] < 1)
      return "layout[" + std::to_string(i) + "] is " +
             std::to_string(layout[i]) + ", every stage needs >= 1 layer";
    total += layout[i];
  }
  if (total != layers)
    return "layout sums to " + std::to_string(total) +
           " layers, the model has " + std::to_string(layers);
  return "";
}

/// Cost of layers [i, j) from prefix sums.
struct RangeCost {
  std::vector<double> prefix;
  explicit RangeCost(const std::vector<LayerSpec> &layers) : prefix{0.0} {
    for (const LayerSpec &layer : layers)
      prefix.push_back(prefix.back() + layer.f + layer.b);
  }
  double operator()(size_t i, size_t j) const { return prefix[j] - prefix[i]; }
  size_t size() const { return prefix.size() - 1; }
};

/// Suffix DP: table[k][i] = best value for layers [i, L) in k non-empty
/// stages, where a stage of cost c combines with the rest as combine(c, rest)
/// and stages costlier than `limit` are not allowed.
template <typename Combine>
std::vector<std::vector<double>> suffixTable(const RangeCost &cost,
                                             size_t stages, double limit,
                                             Combine combine) {
  size_t n = cost.size();
  std::vector<std::vector<double>> table(stages + 1,
                                         std::vector<double>(n + 1, kInf));
  for (size_t i = 0; i < n; ++i)
    if (lessOrClose(cost(i, n), limit))
      table[1][i] = combine(cost(i, n), 0.0);
  for (size_t k = 2; k <= stages; ++k)
    for (size_t i = 0; i + k <= n; ++i)
      for (size_t j = i + 1; j + k - 1 <= n; ++j) {
        double c = cost(i, j);
        if (!lessOrClose(c, limit) || table[k - 1][j] == kInf)
          continue;
        table[k][i] = std::min(table[k][i], combine(c, table[k - 1][j]));
      }
  return table;
}

std::vector<int64_t> balancedLayout(const RangeCost &cost, size_t stages) {
  auto maxCombine = [](double c, double rest) { return std::max(c, rest); };
  double bottleneck = suffixTable(cost, stages, kInf, maxCombine)[stages][0];
  auto squareCombine = [](double c, double rest) { return c * c + rest; };
  auto squares = suffixTable(cost, stages, bottleneck, squareCombine);
  // Forward reconstruction with the smallest feasible first stage each time
  // yields the lexicographically smallest layer counts among the optima.
  std::vector<int64_t> layout;
  size_t i = 0, n = cost.size();
  for (size_t k = stages; k > 1; --k) {
    size_t j = i + 1;
    for (; j + k - 1 <= n; ++j) {
      double c = cost(i, j);
      if (lessOrClose(c, bottleneck) && squares[k - 1][j] != kInf &&
          lessOrClose(c * c + squares[k - 1][j], squares[k][i]))
        break;
    }
    layout.push_back(static_cast<int64_t>(j - i));
    i = j;
  }
  layout.push_back(static_cast<int64_t>(n - i));
  return layout;
}

std::vector<StageSpec> buildStages(std::vector<LayerSpec> layers,
                                   const std::vector<int64_t> &layout) {
  std::vector<StageSpec> stages;
  size_t next = 0;
  for (size_t s = 0; s < layout.size(); ++s) {
    StageSpec stage;
    stage.stage = static_cast<int64_t>(s);
    for (int64_t i = 0; i < layout[s]; ++i, ++next) {
      stage.f += layers[next].f;
      stage.b += layers[next].b;
      stage.w += layers[next].w;
      stage.layers.push_back(std::move(layers[next]));
    }
    stages.push_back(std::move(stage));
  }
  return stages;
}

std::optional<int64_t> positiveInt(const nlohmann::json &config,
                                   const std::string &key,
                                   const std::string &model,
                                   std::string &error) {
  auto it = config.find(key);
  if (it == config.end()) {
    error = "model " + quoted(model) + " config: missing '" + key + "'";
    return std::nullopt;
  }
  if (!it->is_number_integer() || it->get<int64_t>() < 1) {
    error = "model " + quoted(model) + " config: '" + key +
            "' must be a positive integer, got " + it->dump();
    return std::nullopt;
  }
  return it->get<int64_t>();
}

} // namespace

int64_t expandedLayerCount(const ModelSpec &model) {
  int64_t count = 0;
  for (const LayerSpec &layer : model.layers) {
    if (layer.repeat < 1)
      return 0;
    count += layer.repeat;
  }
  return count;
}

std::optional<std::vector<StageSpec>>
partitionStages(const ModelSpec &model, int64_t stages,
                const std::vector<int64_t> &layout,
                std::optional<ScheduleKind> kind, std::string &error) {
  if (std::string bad = checkLayers(model); !bad.empty()) {
    error = bad;
    return std::nullopt;
  }
  if (stages < 1) {
    error = "stage count must be >= 1, got " + std::to_string(stages);
    return std::nullopt;
  }
  int64_t layers = expandedLayerCount(model);
  if (layers < stages) {
    error = "model " + quoted(model.name) + " has " + std::to_string(layers) +
            " layers, fewer than the " + std::to_string(stages) + " stages " +
            (kind ? std::string(toString(*kind)) + " needs" : "requested");
    return std::nullopt;
  }
  std::vector<LayerSpec> expanded = expandRepeats(model);
  if (layout.empty())
    return buildStages(std::move(expanded),
                       balancedLayout(RangeCost(expanded), stages));
  if (std::string bad = checkLayout(layout, stages, layers); !bad.empty()) {
    error = "model " + quoted(model.name) + ": " + bad;
    return std::nullopt;
  }
  return buildStages(std::move(expanded), layout);
}

std::optional<std::vector<StageSpec>>
partitionStages(const ModelSpec &model, int64_t stages,
                const std::vector<int64_t> &layout, std::string &error) {
  return partitionStages(model, stages, layout, std::nullopt, error);
}

std::optional<TensorSpec> messageSpec(const ModelSpec &model,
                                      std::string &error) {
  const nlohmann::json &config = model.config;
  if (!config.is_object()) {
    error = "model " + quoted(model.name) + " config must be an object";
    return std::nullopt;
  }
  TensorSpec spec;
  auto rows = positiveInt(config, "microbatch_size", model.name, error);
  if (!rows)
    return std::nullopt;
  auto hidden = positiveInt(config, "hidden", model.name, error);
  if (!hidden)
    return std::nullopt;
  spec.shape.push_back(*rows);
  if (config.contains("seq_len")) {
    auto seq = positiveInt(config, "seq_len", model.name, error);
    if (!seq)
      return std::nullopt;
    spec.shape.push_back(*seq);
  }
  spec.shape.push_back(*hidden);
  if (auto it = config.find("dtype"); it != config.end()) {
    if (!it->is_string() || (*it != "float32" && *it != "float64")) {
      error = "model " + quoted(model.name) +
              " config: 'dtype' must be \"float32\" or \"float64\", got " +
              it->dump();
      return std::nullopt;
    }
    spec.dtype = it->get<std::string>();
  }
  return spec;
}

int64_t elementCount(const TensorSpec &spec) {
  int64_t count = 1;
  for (int64_t dim : spec.shape)
    count *= dim;
  return count;
}

} // namespace dualpipe
