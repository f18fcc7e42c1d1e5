//===- Model.h - Model spec and stage partitioning --------------*- C++ -*-===//
//
// A model is a sequence of layers; a schedule needs it cut into a fixed number
// of contiguous stages (ranks, 2 x ranks or ranks x v, depending on the
// schedule). Keeping the model independent of the stage count lets one spec
// run under every schedule and rank count.
//
//===----------------------------------------------------------------------===//
#ifndef DUALPIPE_SCHEDULE_MODEL_H
#define DUALPIPE_SCHEDULE_MODEL_H

#include "dualpipe/Schedule/AttrMap.h"
#include "dualpipe/Schedule/Schedule.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace dualpipe {

/// One layer kind, possibly repeated. Costs are per layer (one repeat).
struct LayerSpec {
  std::string kernel;
  int64_t repeat = 1;
  /// The kernel's attributes (the kernel says which it reads).
  AttrMap attrs;
  double f = 1, b = 2, w = 1;
};

/// Config keys (all optional here; messageSpec() and the runtime say which
/// they need):
///   "loss": "mse" | "cross_entropy"     "optimizer": "sgd" | "adam"
///   "lr": number   "seed": int   "microbatch_size": int (rows per micro-batch)
///   "hidden": int (activation width)   "seq_len": int (activations are
///   [mb, seq, hidden] then, else [mb, hidden])   "classes": int
///   (cross_entropy: targets in [0, classes), logits = the first `classes`
///   columns of the last stage's output; a language model's classes are
///   its vocabulary, vocabSize())   "dtype": one of ElementTypes.h
struct ModelSpec {
  std::string name;
  std::vector<LayerSpec> layers;
  AttrMap config;
};

/// A contiguous group of layers; repeats are expanded (every layer has
/// repeat 1) and the costs are the sums over its layers.
struct StageSpec {
  int64_t stage = 0;
  std::vector<LayerSpec> layers;
  double f = 0, b = 0, w = 0;
};

/// Groups consecutive layers (repeats expanded) into `stages` stages.
///
/// With an empty `layout` the partition balances the per-layer cost f+b:
///  1. it minimises the largest stage cost;
///  2. among those partitions, it minimises the sum of squared stage costs
///     (so the stages that are not the bottleneck are balanced too);
///  3. remaining ties go to the partition whose layer counts are
///     lexicographically smallest, i.e. earlier stages get fewer layers.
/// Costs are compared with a relative tolerance of 1e-9.
/// Otherwise layout[i] is the layer count of stage i (each >= 1, summing to
/// the layer count).
/// Refusals append one finding: empty model, stages < 1, repeat < 1, bad
/// cost (origin = the index of the layer in model.layers), fewer layers than
/// stages, bad layout (field "layout").
std::optional<std::vector<StageSpec>>
partitionStages(const ModelSpec &model, int64_t stages,
                const std::vector<int64_t> &layout,
                std::vector<Finding> &findings);

/// As above; `kind` (the schedule that needs the stages) only makes the
/// error for too few layers name it: "model 'mlp' has 6 layers, fewer than
/// the 8 stages dualpipe needs".
std::optional<std::vector<StageSpec>> partitionStages(
    const ModelSpec &model, int64_t stages, const std::vector<int64_t> &layout,
    std::optional<ScheduleKind> kind, std::vector<Finding> &findings);

/// The layout (units per stage) of a sequence of units with the costs
/// `work` (f + b each) into `stages` non-empty stages, balanced by the rule
/// of partitionStages above. Requires 1 <= stages <= work.size() and
/// stages * (work.size() - stages + 1) <= kMaxLayerStages (the table's
/// cells).
std::vector<int64_t> balancedUnitLayout(const std::vector<double> &work,
                                        int64_t stages);

/// Number of layers once repeats are expanded (0 if some repeat is < 1).
int64_t expandedLayerCount(const ModelSpec &model);

struct TensorSpec {
  std::vector<int64_t> shape;
  std::string dtype = "float32";
  friend bool operator==(const TensorSpec &a, const TensorSpec &b) {
    return a.shape == b.shape && a.dtype == b.dtype;
  }
  friend bool operator!=(const TensorSpec &a, const TensorSpec &b) {
    return !(a == b);
  }
};

/// Activation/gradient message shape from config: [microbatch_size, hidden]
/// or [microbatch_size, seq_len, hidden] when "seq_len" is present. The
/// error names the missing or bad key.
std::optional<TensorSpec> messageSpec(const ModelSpec &model,
                                      std::string &error);

/// The vocabulary of a language model: the "vocab" attribute of its first
/// layer when that is an embedding; 0 otherwise, or when "vocab" is not a
/// positive integer (the runtime's kernel check names that).
int64_t vocabSize(const ModelSpec &model);

/// What the first stage reads: for a model whose first layer is an
/// embedding, token ids, int64 of the message shape without its last
/// dimension; otherwise the message itself. (The last stage's target
/// follows from the loss: the message for mse, int64 class ids of the
/// message shape without its last dimension for cross_entropy.)
TensorSpec inputSpec(const ModelSpec &model, const TensorSpec &message);

/// Number of elements of a shape (1 for a scalar).
int64_t elementCount(const TensorSpec &spec);

} // namespace dualpipe

#endif // DUALPIPE_SCHEDULE_MODEL_H
