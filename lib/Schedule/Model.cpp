//===- Model.cpp - Model spec and stage partitioning ----------------------===//

#include "dualpipe/Schedule/Model.h"

#include "dualpipe/Schedule/ElementTypes.h"
#include "dualpipe/Schedule/Kernels.h"
#include "dualpipe/Schedule/Limits.h"

#include <algorithm>
#include <cmath>
#include <cstring>
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

std::vector<Finding> checkLayers(const ModelSpec &model) {
  if (model.layers.empty())
    return {Finding{"model " + quoted(model.name) + " has no layers"}};
  double total = 0;
  for (size_t i = 0; i < model.layers.size(); ++i) {
    const LayerSpec &layer = model.layers[i];
    std::string where = "model " + quoted(model.name) + " layer " +
                        std::to_string(i) + " (" + layer.kernel + ")";
    auto atLayer = [&](std::string message) {
      return std::vector<Finding>{
          Finding{std::move(message), {}, static_cast<int64_t>(i)}};
    };
    if (layer.repeat < 1)
      return atLayer(where + ": repeat must be >= 1, got " +
                     std::to_string(layer.repeat));
    for (auto [name, cost] : {std::pair{"f", layer.f}, std::pair{"b", layer.b},
                              std::pair{"w", layer.w}})
      if (std::string bad = checkCost(where + ": cost " + name, cost);
          !bad.empty())
        return atLayer(bad);
    // Repeats are bounded below, so this product cannot overflow to inf.
    total += (layer.f + layer.b + layer.w) *
             static_cast<double>(std::min(layer.repeat, kMaxLayers + 1));
  }
  if (std::string bad = checkCost(
          "model " + quoted(model.name) + ": the sum of all costs", total);
      !bad.empty())
    return {Finding{bad}};
  return {};
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
    // Entries past the layer count make the sum wrong however they add up;
    // stopping there keeps the sum inside int64.
    if (layout[i] > layers || total > layers - layout[i])
      return "layout entries up to layout[" + std::to_string(i) +
             "] sum to more than the model's " + std::to_string(layers) +
             " layers";
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
  explicit RangeCost(const std::vector<double> &work) : prefix{0.0} {
    for (double w : work)
      prefix.push_back(prefix.back() + w);
  }
  double operator()(size_t i, size_t j) const { return prefix[j] - prefix[i]; }
  size_t size() const { return prefix.size() - 1; }
};

/// Largest j in (i, n] with cost(i, j) <= limit (compared by `fits`), or i
/// if not even one layer fits; cost(i, j) grows with j.
template <typename Fits>
size_t reach(const RangeCost &cost, size_t i, Fits fits) {
  size_t lo = i, hi = cost.size();
  while (lo < hi) {
    size_t mid = lo + (hi - lo + 1) / 2;
    if (fits(cost(i, mid)))
      lo = mid;
    else
      hi = mid - 1;
  }
  return lo;
}

/// The exact minimum over partitions of the largest stage cost. Greedy
/// filling decides whether a bound admits `stages` stages (O(stages log n));
/// non-negative doubles order like their bit patterns, so bisecting the bits
/// finds the smallest such bound exactly in at most 64 rounds.
double minBottleneck(const RangeCost &cost, size_t stages) {
  size_t n = cost.size();
  auto feasible = [&](double limit) {
    size_t i = 0, used = 0;
    while (i < n && used <= stages) {
      size_t j = reach(cost, i, [&](double c) { return c <= limit; });
      if (j == i)
        return false;
      i = j;
      ++used;
    }
    return i == n && used <= stages;
  };
  auto bitsOf = [](double d) {
    uint64_t bits;
    std::memcpy(&bits, &d, sizeof bits);
    return bits;
  };
  uint64_t lo = 0, hi = bitsOf(cost(0, n));
  while (lo < hi) {
    uint64_t mid = lo + (hi - lo) / 2;
    double limit;
    std::memcpy(&limit, &mid, sizeof limit);
    if (feasible(limit))
      hi = mid;
    else
      lo = mid + 1;
  }
  double limit;
  std::memcpy(&limit, &lo, sizeof limit);
  return limit;
}

/// Suffix DP: rows[k][i - (stages - k)] = least sum of squared stage costs
/// of layers [i, n) in k non-empty stages no costlier than `limit`. Only i in
/// [stages - k, n - k] can occur, so every row has n - stages + 1 cells. A
/// stage cost's square obeys the quadrangle inequality, so the best split
/// point grows with i and divide and conquer fills a row in O(n log n).
class SquaresTable {
public:
  SquaresTable(const RangeCost &cost, size_t stages, double limit)
      : cost(cost), n(cost.size()), stages(stages), limit(limit),
        rows(stages + 1, std::vector<double>(n - stages + 1, kInf)) {
    for (size_t i = stages - 1; i + 1 <= n; ++i)
      if (fits(cost(i, n)))
        at(1, i) = cost(i, n) * cost(i, n);
    for (size_t k = 2; k <= stages; ++k)
      fill(k, stages - k, n - k, stages - k + 1, n - k + 1);
  }

  bool fits(double c) const { return lessOrClose(c, limit); }
  double value(size_t k, size_t i) const { return rows[k][i - (stages - k)]; }

private:
  double &at(size_t k, size_t i) { return rows[k][i - (stages - k)]; }

  /// Row k for i in [lo, hi], whose best split lies in [optLo, optHi].
  void fill(size_t k, size_t lo, size_t hi, size_t optLo, size_t optHi) {
    while (lo <= hi) {
      size_t mid = lo + (hi - lo) / 2;
      size_t best = optLo;
      double bestValue = kInf;
      for (size_t j = std::max(mid + 1, optLo); j <= optHi; ++j) {
        double c = cost(mid, j);
        if (!fits(c))
          break;
        double v = value(k - 1, j);
        if (v != kInf && c * c + v < bestValue) {
          bestValue = c * c + v;
          best = j;
        }
      }
      at(k, mid) = bestValue;
      // An infeasible mid has only infeasible cells to its left, which
      // need no bound; the right half keeps optLo.
      if (mid > lo)
        fill(k, lo, mid - 1, optLo, best);
      lo = mid + 1;
      optLo = best;
    }
  }

  const RangeCost &cost;
  size_t n, stages;
  double limit;
  std::vector<std::vector<double>> rows;
};

std::vector<int64_t> balancedLayout(const RangeCost &cost, size_t stages) {
  double bottleneck = minBottleneck(cost, stages);
  SquaresTable squares(cost, stages, bottleneck);
  // Forward reconstruction with the smallest feasible first stage each time
  // yields the lexicographically smallest layer counts among the optima.
  std::vector<int64_t> layout;
  size_t i = 0, n = cost.size();
  for (size_t k = stages; k > 1; --k) {
    size_t j = i + 1;
    for (; j + k - 1 <= n; ++j) {
      double c = cost(i, j);
      if (squares.fits(c) && squares.value(k - 1, j) != kInf &&
          lessOrClose(c * c + squares.value(k - 1, j), squares.value(k, i)))
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

std::optional<int64_t> positiveInt(const AttrMap &config,
                                   const std::string &key,
                                   const std::string &model,
                                   std::string &error) {
  const AttrValue *value = config.find(key);
  if (!value) {
    error = "model " + quoted(model) + " config: missing '" + key + "'";
    return std::nullopt;
  }
  if (!value->asInt() || *value->asInt() < 1) {
    error = "model " + quoted(model) + " config: '" + key +
            "' must be a positive integer, got " + value->text();
    return std::nullopt;
  }
  return value->asInt();
}

} // namespace

std::vector<int64_t> balancedUnitLayout(const std::vector<double> &work,
                                        int64_t stages) {
  return balancedLayout(RangeCost(work), static_cast<size_t>(stages));
}

int64_t expandedLayerCount(const ModelSpec &model) {
  int64_t count = 0;
  for (const LayerSpec &layer : model.layers) {
    if (layer.repeat < 1)
      return 0;
    std::optional<int64_t> sum = checkedAdd(count, layer.repeat);
    if (!sum)
      return std::numeric_limits<int64_t>::max();
    count = *sum;
  }
  return count;
}

std::optional<std::vector<StageSpec>> partitionStages(
    const ModelSpec &model, int64_t stages, const std::vector<int64_t> &layout,
    std::optional<ScheduleKind> kind, std::vector<Finding> &findings) {
  auto fail = [&](std::string message, std::string field = "") {
    findings.push_back(fieldFinding(std::move(field), std::move(message)));
    return std::nullopt;
  };
  if (std::vector<Finding> bad = checkLayers(model); !bad.empty()) {
    findings.insert(findings.end(), bad.begin(), bad.end());
    return std::nullopt;
  }
  if (stages < 1)
    return fail("stage count must be >= 1, got " + std::to_string(stages));
  if (std::string bad = checkPositiveAtMost("stage count", stages, kMaxStages);
      !bad.empty())
    return fail(bad);
  int64_t layers = expandedLayerCount(model);
  if (std::string bad =
          checkPositiveAtMost("model " + quoted(model.name) +
                                  ": the layer count (repeats expanded)",
                              layers, kMaxLayers);
      !bad.empty())
    return fail(bad);
  if (layers < stages)
    return fail("model " + quoted(model.name) + " has " +
                std::to_string(layers) + " layers, fewer than the " +
                std::to_string(stages) + " stages " +
                (kind ? std::string(toString(*kind)) + " needs" : "requested"));
  if (layout.empty()) {
    // The balancing table has (layers - stages + 1) cells per stage.
    if (std::string bad = checkProductAtMost(
            "model " + quoted(model.name) +
                ": stages * (layers - stages + 1) for balancing (give a "
                "layout instead)",
            stages, layers - stages + 1, kMaxLayerStages);
        !bad.empty())
      return fail(bad);
    std::vector<LayerSpec> expanded = expandRepeats(model);
    std::vector<double> work;
    work.reserve(expanded.size());
    for (const LayerSpec &layer : expanded)
      work.push_back(layer.f + layer.b);
    return buildStages(std::move(expanded), balancedUnitLayout(work, stages));
  }
  if (std::string bad = checkLayout(layout, stages, layers); !bad.empty())
    return fail("model " + quoted(model.name) + ": " + bad, "layout");
  return buildStages(expandRepeats(model), layout);
}

std::optional<std::vector<StageSpec>>
partitionStages(const ModelSpec &model, int64_t stages,
                const std::vector<int64_t> &layout,
                std::vector<Finding> &findings) {
  return partitionStages(model, stages, layout, std::nullopt, findings);
}

std::optional<TensorSpec> messageSpec(const ModelSpec &model,
                                      std::string &error) {
  const AttrMap &config = model.config;
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
  if (const AttrValue *dtype = config.find("dtype")) {
    if (!dtype->asString() || !findElementType(*dtype->asString())) {
      error = "model " + quoted(model.name) +
              " config: 'dtype' must be one of " + elementTypeNames() +
              ", got " + dtype->text();
      return std::nullopt;
    }
    spec.dtype = *dtype->asString();
  }
  return spec;
}

int64_t vocabSize(const ModelSpec &model) {
  if (model.layers.empty() || model.layers.front().kernel != kEmbeddingKernel)
    return 0;
  std::optional<int64_t> vocab = model.layers.front().attrs.getInt("vocab");
  return vocab && *vocab >= 1 ? *vocab : 0;
}

TensorSpec inputSpec(const ModelSpec &model, const TensorSpec &message) {
  if (model.layers.empty() || model.layers.front().kernel != kEmbeddingKernel)
    return message;
  return TensorSpec{{message.shape.begin(), message.shape.end() - 1}, "int64"};
}

int64_t elementCount(const TensorSpec &spec) {
  int64_t count = 1;
  for (int64_t dim : spec.shape)
    count *= dim;
  return count;
}

} // namespace dualpipe
