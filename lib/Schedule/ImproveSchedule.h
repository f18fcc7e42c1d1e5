//===- ImproveSchedule.h - Local improvement of a rank order ----*- C++ -*-===//
//
// Private to lib/Schedule: the second half of the `auto` search. Moves one
// step of one rank at a time and keeps a move when a fast replay of the
// compute dependencies (no comm instructions, links as latency + bytes /
// bandwidth) finishes sooner and no rank exceeds the memory budget.
//
//===----------------------------------------------------------------------===//
#ifndef DUALPIPE_LIB_SCHEDULE_IMPROVESCHEDULE_H
#define DUALPIPE_LIB_SCHEDULE_IMPROVESCHEDULE_H

#include "dualpipe/Schedule/Cost.h"
#include "dualpipe/Schedule/Schedule.h"

#include <cstdint>
#include <limits>

namespace dualpipe::detail {

/// The makespan of `schedule` replayed in its per-rank orders; infinity if
/// some rank waits on an op that its order puts later (an invalid order).
double replayMakespan(const Schedule &schedule, const CostModel &cost);

struct ImproveLimits {
  int64_t maxActivations = std::numeric_limits<int64_t>::max();
  double maxActivationBytes = std::numeric_limits<double>::infinity();
  /// Replays the search may spend; a count, not seconds, so that the result
  /// depends only on the input.
  int64_t evaluations = 256;
};

/// Hill-climbs on `schedule` in place; returns the number of replays spent.
int64_t improveSchedule(Schedule &schedule, const CostModel &cost,
                        const ImproveLimits &limits);

} // namespace dualpipe::detail

#endif // DUALPIPE_LIB_SCHEDULE_IMPROVESCHEDULE_H
