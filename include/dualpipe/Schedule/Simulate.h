//===- Simulate.h - Timed replay of per-rank programs -----------*- C++ -*-===//
//
// Replays a level-3 Program under the blocking semantics documented in
// Schedule.h (rendezvous sends, asynchronous posts, waits) and a cost model,
// and reports makespan, per-rank busy/idle time, peak live activations,
// parameter bytes and a timeline for rendering. A level-2 Schedule is first
// lowered with the eager policy (insertComm, fuseOverlap, scheduleComm).
// docs/cost-model.md gives the exact rules.
//
//===----------------------------------------------------------------------===//
#ifndef DUALPIPE_SCHEDULE_SIMULATE_H
#define DUALPIPE_SCHEDULE_SIMULATE_H

#include "dualpipe/Schedule/Cost.h"
#include "dualpipe/Schedule/Schedule.h"
#include "dualpipe/Schedule/Timeline.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace dualpipe {

struct RankStats {
  int64_t rank = 0;
  double busy = 0;        // sum of compute durations (a pair counts once)
  double idle = 0;        // makespan - busy
  double utilization = 0; // busy / makespan
  double finish = 0;      // when the rank's last instruction completed
  int64_t computeOps = 0; // compute ops run (a pair counts two)
  int64_t peakActivations = 0;
  double peakActivationBytes = 0;
  double paramBytes = 0;
  int64_t stagesHeld = 0;
};

struct SimResult {
  std::optional<ScheduleKind> kind;
  Placement placement;
  double makespan = 0;
  double bubbleRatio = 0; // total idle / (ranks * makespan)
  double maxBubble = 0;   // largest per-rank idle
  std::vector<RankStats> ranks;
  std::vector<RankTimeline> timeline;
};

/// Replays `program`. Returns nullopt and appends findings (rank, op, rule)
/// when the program is malformed (bad peer, undefined token, malformed
/// overlap), deadlocks, or leaves a message unmatched; also when `cost` is
/// invalid.
std::optional<SimResult> simulate(const Program &program, const CostModel &cost,
                                  std::vector<Finding> &findings);

/// Lowers `schedule` with the eager policy (insertComm, fuseOverlap,
/// scheduleComm with CommPolicy::Eager) and replays the result.
std::optional<SimResult> simulate(const Schedule &schedule,
                                  const CostModel &cost,
                                  std::vector<Finding> &findings);

} // namespace dualpipe

#endif // DUALPIPE_SCHEDULE_SIMULATE_H
