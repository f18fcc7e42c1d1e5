//===- ListSchedule.h - Greedy list scheduling of a placement ---*- C++ -*-===//
//
// The constructive heuristic behind ZB-H1, ZB-V and `auto` (private to
// lib/Schedule). It replays time rank by rank under a cost model and, each
// time a rank is free, runs the most urgent ready op: a backward (the chain of
// input gradients is the critical path), else a forward the memory limit
// admits, else a deferred weight gradient when it fits the wait for the next
// op. This is the greedy of the zero-bubble paper (Qi et al., arXiv
// 2401.10241, section 3) generalised to the standard, V, dual and
// interleaved placements.
//
//===----------------------------------------------------------------------===//
#ifndef DUALPIPE_LIB_SCHEDULE_LISTSCHEDULE_H
#define DUALPIPE_LIB_SCHEDULE_LISTSCHEDULE_H

#include "dualpipe/Schedule/Cost.h"
#include "dualpipe/Schedule/Schedule.h"

#include <cstdint>
#include <limits>
#include <optional>
#include <vector>

namespace dualpipe::detail {

struct ListPolicy {
  /// Backwards become I (critical) and W (deferred); else one B each.
  bool splitBackward = true;
  /// A ready forward and a ready backward on one rank run as one overlapped
  /// pair when the cost model makes the pair cheaper than the two in turn.
  bool pairs = false;
  /// A deferred W runs while the rank waits only if the wait is at least
  /// weightSlack x W long (1: never delays the next op; 0: any wait).
  double weightSlack = 1;
  /// Of two ready backwards (two stages on one rank), the later stage first.
  bool laterStageFirst = true;
  /// Of a rank's ready forwards, the later stage first (depth-first: the
  /// micro-batch further down its way goes on before a new one starts);
  /// else the one ready first.
  bool depthFirst = false;
  /// Per-rank budget on live activations (F done, its I/B not yet).
  int64_t maxActivations = std::numeric_limits<int64_t>::max();
  double maxActivationBytes = std::numeric_limits<double>::infinity();
};

struct ListResult {
  std::vector<std::vector<Step>> ranks;
  /// The makespan the greedy's own timing predicts (links as latency +
  /// bytes / bandwidth after the producer ends).
  double makespan = 0;
};

/// Schedules every F, I/B and W of `placement` (any kind). Returns
/// nullopt if the memory budget leaves no op runnable (too tight for the
/// placement); the result is then not a schedule.
std::optional<ListResult> listSchedule(const Placement &placement,
                                       const CostModel &cost,
                                       const ListPolicy &policy);

} // namespace dualpipe::detail

#endif // DUALPIPE_LIB_SCHEDULE_LISTSCHEDULE_H
