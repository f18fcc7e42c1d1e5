//===- Cost.h - Per-stage compute, memory and link costs --------*- C++ -*-===//
//
// The cost model behind the simulator and the planner. Times are in an
// arbitrary unit (the same for compute and links); bytes are plain bytes.
// docs/cost-model.md describes the rules, in particular how an overlapped pair
// of two different stages and an overlapped F&I pair are timed.
//
//===----------------------------------------------------------------------===//
#ifndef DUALPIPE_SCHEDULE_COST_H
#define DUALPIPE_SCHEDULE_COST_H

#include "dualpipe/Schedule/Schedule.h"

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dualpipe {

/// Costs of one stage. I (backward for input) is B - W.
struct StageCost {
  double f = 1;               // forward
  double b = 2;               // full backward (I + W)
  double w = 1;               // backward for weights
  std::optional<double> fb;   // overlapped F&B pair; unset means f + b
  double activationBytes = 1; // stored per micro-batch from F until I/B
  double paramBytes = 1;      // parameters of the stage
  double messageBytes = 0;    // activation sent to the next stage (and the
                              // gradient sent back, which has its shape)

  double i() const { return b - w; }
  double overlapped() const { return fb ? *fb : f + b; }
};

/// One class of link: a message of n bytes takes latency + n / bandwidth.
struct LinkCost {
  double latency = 0;
  double bandwidth = std::numeric_limits<double>::infinity(); // bytes / unit

  double transferTime(double bytes) const;
};

struct CostModel {
  /// Costs of stages without an entry in `stages`.
  StageCost uniform;
  /// Per-stage costs; stage s uses stages[s] when s < stages.size().
  std::vector<StageCost> stages;
  LinkCost intraNode;
  LinkCost interNode;
  /// Ranks r1, r2 share a node iff r1 / ranksPerNode == r2 / ranksPerNode;
  /// 0 puts every rank on one node.
  int64_t ranksPerNode = 0;

  const StageCost &stage(int64_t s) const;
  /// Duration of a single compute op.
  double computeTime(const ComputeOp &op) const;
  /// Duration of an overlapped pair: `fwd` is an F, `bwd` a B or an I, the
  /// stages may differ (see docs/cost-model.md, "Overlapped pairs").
  double pairTime(const ComputeOp &fwd, const ComputeOp &bwd) const;
  /// Transfer time of `bytes` from rank `src` to rank `dst`.
  double linkTime(int64_t src, int64_t dst, double bytes) const;
  /// Bytes of the message produced by `key`'s stage.
  double messageBytes(const MsgKey &key) const;

  /// Empty if every stage and link is valid, else the first problem, e.g.
  /// "stage 2: fb = 5 is outside [max(f, b), f + b] = [2, 4]".
  std::string validate() const;
};

/// Applies comma-separated `key=value` overrides, left to right, to `model`.
/// Keys: f, b, w, fb, act, param, msg (stage costs; `key@S=v` sets stage S
/// only, a plain key sets every stage), latency, bandwidth (intra-node
/// links), inter-latency, inter-bandwidth, ranks-per-node. Byte-valued keys
/// accept K/M/G/T (powers of 1000) and Ki/Mi/Gi/Ti suffixes with an optional
/// trailing B; bandwidths accept "inf". Returns an empty string on success,
/// else the error (the model is then unspecified). Validates the result.
std::string applyCostOverrides(CostModel &model, std::string_view spec);

/// Parses a byte count such as "512", "1.5e9", "64MiB" or "2G" (the suffixes
/// of applyCostOverrides); nullopt if malformed, negative or not finite.
std::optional<double> parseByteSize(std::string_view text);

/// A model that treats the costs of `model`, given for `chunks` equal parts
/// of the network (one per rank under 1F1B), as split into `stages` stages:
/// stage s belongs to chunk s * chunks / stages and gets that chunk's compute
/// time and memory scaled by chunks / stages. Message sizes and links are
/// unchanged. Requires stages to be a multiple of chunks.
CostModel splitStages(const CostModel &model, int64_t chunks, int64_t stages);

/// A model that treats the costs of `model`, given per rank-sized chunk, as
/// cut into the stages of `cut`: a stage gets, of every chunk it overlaps,
/// the share of the chunk's units it holds of its compute time and memory,
/// and sends the message of the chunk it ends in. Links are unchanged.
/// Requires cut.check(chunks, stages) to pass.
CostModel cutStages(const CostModel &model, const StageCut &cut);

/// The per-stage costs `schedule` runs under, given the costs of `model`
/// per rank-sized chunk: its cut (Schedule::cut) or the even split of its
/// placement.
CostModel scheduleCosts(const CostModel &model, const Schedule &schedule);

} // namespace dualpipe

#endif // DUALPIPE_SCHEDULE_COST_H
