//===- Generate.h - Level-2 schedule generation for every kind --*- C++ -*-===//
//
// Turns (kind, ranks, micro-batches) into per-rank compute programs. Each
// fixed kind follows a published reference order (see docs/schedules.md):
// DualPipe/DualPipeV the deepseek-ai/DualPipe `step` methods, 1F1B Megatron's
// PipeDream-flush, interleaved 1F1B / ZB-H1 / ZB-V PyTorch's pipelining
// schedules, GPipe fill-drain; ZB-H1 and ZB-V switch to the zero-bubble
// authors' greedy where it is faster. `auto` searches an order for the costs
// and the memory budget.
//
//===----------------------------------------------------------------------===//
#ifndef DUALPIPE_SCHEDULE_GENERATE_H
#define DUALPIPE_SCHEDULE_GENERATE_H

#include "dualpipe/Schedule/Cost.h"
#include "dualpipe/Schedule/Limits.h"
#include "dualpipe/Schedule/Schedule.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace dualpipe {

struct GenerateOptions {
  ScheduleKind kind = ScheduleKind::DualPipe;
  int64_t ranks = 0;
  int64_t microbatches = 0;
  int64_t virtualStages = 2; // interleaved-1f1b only (stages = ranks * v)
  bool overlap = true;       // dualpipe/dualpipev: false => F then B
  bool forwardOnly = false;  // inference: only forwards, same relative order
  /// zb-h1 and zbv: the costs their greedy is timed with, per stage of the
  /// kind (unset: F = 1, B = 2, W = 1 on every stage, no latency). The
  /// published order is kept unless the greedy is strictly faster under them.
  /// auto: the costs per rank-sized chunk of the model (one stage per rank;
  /// placements with more stages split each evenly, and the search may move
  /// the boundaries: Schedule::cut).
  std::optional<CostModel> cost;
  /// auto only: budget on any rank's peak live activations, as a count of
  /// stage activations (as the simulator and the planner count them) and
  /// in bytes; unset means unbounded.
  std::optional<int64_t> maxActivations;
  std::optional<double> maxActivationBytes;
  /// auto only: the placements searched (empty: all four; the
  /// fixed kinds of those placements seed the search).
  std::vector<PlacementKind> autoPlacements;
  /// auto only: at most this many stages per rank on the interleaved
  /// placement (0: as many as the search tries).
  int64_t autoMaxVirtualStages = 0;
  /// auto only: whether the search may move stage boundaries off the even
  /// split (Schedule::cut), and the units (layers) of each rank-sized chunk
  /// it moves them by (empty: twelfths of every chunk). Off where nothing
  /// records the cut (a schedule without a layout).
  bool autoCut = true;
  std::vector<int64_t> autoChunkUnits;
  /// auto only: how many orders local improvement may replay. A count, not
  /// seconds, so that the result depends only on the input.
  int64_t searchEvaluations = 256;
};

/// Number of stages the kind needs for `ranks` (ranks, 2*ranks, ranks*v).
/// Saturates at INT64_MAX instead of overflowing.
int64_t stagesFor(ScheduleKind kind, int64_t ranks, int64_t virtualStages);

/// The violated constraint, if any, as one finding on the option it concerns
/// (Finding::field: "ranks", "microbatches", "virtual-stages",
/// "max-activations", "max-activation-bytes", "search-evaluations", "cost"),
/// e.g. "dualpipe requires an even number of ranks, got 3"; a constraint
/// stated in terms of a second option notes that option's value. Empty if
/// the options are valid.
std::vector<Finding> checkGenerateOptions(const GenerateOptions &options);

/// Generates the level-2 schedule (kind, placement and per-rank Steps set;
/// origin = -1). On invalid options, or when auto finds no order within the
/// budget, returns std::nullopt and appends the finding (checkGenerateOptions'
/// for invalid options) to `findings`.
std::optional<Schedule> generateSchedule(const GenerateOptions &options,
                                         std::vector<Finding> &findings);

} // namespace dualpipe

#endif // DUALPIPE_SCHEDULE_GENERATE_H
