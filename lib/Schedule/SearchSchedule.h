//===- SearchSchedule.h - Score and pick among candidate orders -*- C++ -*-===//
//
// Private to lib/Schedule. Every candidate is judged by the simulator (the
// eager lowering and replay that the report and the planner use), not by
// the greedy's own timing, so that "better" means better where it is
// measured.
//
//===----------------------------------------------------------------------===//
#ifndef DUALPIPE_LIB_SCHEDULE_SEARCHSCHEDULE_H
#define DUALPIPE_LIB_SCHEDULE_SEARCHSCHEDULE_H

#include "ListSchedule.h"

#include "dualpipe/Schedule/Cost.h"
#include "dualpipe/Schedule/Schedule.h"

#include <cstdint>
#include <optional>
#include <vector>

namespace dualpipe::detail {

struct Score {
  double makespan = 0;
  int64_t peakActivations = 0;    // max over ranks
  double peakActivationBytes = 0; // max over ranks
};

/// The simulated makespan and peaks; nullopt if the simulator rejects the
/// schedule (which would make it no candidate at all).
std::optional<Score> scoreSchedule(const Schedule &schedule,
                                   const CostModel &cost);

/// The fast replay (replayMakespan) leaves out only constraints that the
/// simulator adds (a wait on a message ends no earlier than the producer's
/// end plus the link), so its makespan is a lower bound of the simulated
/// one: an order that replays no faster than `best` cannot simulate faster
/// and is not worth a simulation.
inline bool cannotBeat(double replayed, double best) {
  return replayed >= best;
}

/// Above this many stage x micro-batch pairs the zero-bubble kinds keep
/// the published order: scoring candidates costs a simulation each.
inline constexpr int64_t kMaxSearchedStageMicrobatches = int64_t(1) << 16;

/// Candidates simulated after the fast replay has ranked them.
inline constexpr size_t kSimulatedCandidates = 3;

using RankOrders = std::vector<std::vector<Step>>;

/// The list scheduler's order for each policy that completes.
std::vector<RankOrders> greedyOrders(const Placement &placement,
                                     const CostModel &cost,
                                     const std::vector<ListPolicy> &policies);

/// The orders of the zero-bubble authors' ZB-V construction (zbv.py's
/// try_v_schedule, every fill variant and refinement pass), timed under
/// `cost`; a V placement with 2P activations per rank.
std::vector<RankOrders> authorsZBVOrders(const Placement &placement,
                                         const CostModel &cost);

/// Replaces `schedule.ranks` by each candidate in turn that simulates
/// strictly faster under `cost` (ties keep the earlier one, so the
/// published order wins them), then by the local improvement of the winner
/// (at most `evaluations` replays, within `maxActivations` per rank) if that
/// is strictly faster again.
void keepFastest(Schedule &schedule, const CostModel &cost,
                 std::vector<RankOrders> candidates, int64_t maxActivations,
                 int64_t evaluations);

} // namespace dualpipe::detail

#endif // DUALPIPE_LIB_SCHEDULE_SEARCHSCHEDULE_H
