//===- Lower.h - Level-2 to level-3 lowering (explicit comm) ----*- C++ -*-===//
//
// The three steps of the lowering, each a pass of its own in the pipe
// dialect (pipe-insert-comm, pipe-fuse-overlap, pipe-schedule-comm):
// insertComm makes every cross-rank dependency an explicit message,
// fuseOverlap gives each overlapped pair its own communication, and
// scheduleComm moves posts, waits and sends where a policy wants them.
// Semantics of the instructions: Schedule.h; rules and messages:
// docs/lowering.md.
//
//===----------------------------------------------------------------------===//
#ifndef DUALPIPE_SCHEDULE_LOWER_H
#define DUALPIPE_SCHEDULE_LOWER_H

#include "dualpipe/Schedule/Schedule.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dualpipe {

enum class CommPolicy {
  Eager,     // "eager"
  Reference, // "reference"
  InOrder,   // "in-order"
};
std::string_view toString(CommPolicy policy);
std::optional<CommPolicy> parseCommPolicy(std::string_view text);

/// pipe-insert-comm: every cross-rank dependency becomes a Send right after
/// its producer step and a Recv + Wait right before its consumer step (token
/// ids unique per program, 0,1,2,... in program order, rank after rank).
/// Overlapped Steps become an Overlap Instr whose body holds the two Compute
/// instrs only (comm stays outside, around it). Instr.origin = the
/// Step.origin it came from for compute/overlap; -1 for new comm. Ops whose
/// stage or micro-batch is out of range get no comm (the verifier reports
/// them).
Program insertComm(const Schedule &schedule);

/// pipe-fuse-overlap: moves into each Overlap body the recvs+waits its two
/// computations need (posted before them) and the sends they produce (after
/// them). Only instructions adjacent to the overlap move, so the execution
/// order, and with it the program's behaviour, is unchanged. Idempotent.
void fuseOverlap(Program &program);

/// pipe-schedule-comm: re-places posts (Recv), waits and sends according to
/// the policy.
///  eager (default): each Recv posted as early as possible (`lookahead`
///    compute steps before its consumer; lookahead < 0 = at program start),
///    Wait right before the consumer, blocking Send right after the producer.
///  reference (dualpipe/dualpipev only, else error): DualPipe's
///    commit-and-wait batching: the receives a compute step needs are posted
///    together with the (asynchronous) sends of the step before it, and
///    everything outstanding is waited right before each compute step, with
///    the few early posts and late sends of deepseek-ai/DualPipe's step().
///  in-order (every kind): valid under MessageMatching::InOrder (NCCL) as
///    well as by key. The compute steps are given rounds by a unit-time
///    simulation (a step runs one round after the latest of its rank's
///    previous step and the producers of its inputs); each message travels
///    in the round of its producer: its send and its recv are posted, on
///    both ranks, in one post group right after the rank's step of that
///    round (receives first, then sends, each by the sender's step and key),
///    and waited right before the consumer. So every pair's receives follow
///    its sends, and a round's group only waits for groups of the same
///    round. Needs every message matched and the compute order executable.
/// Overlap bodies keep their comm inside (posted before / waited before /
/// sent after; in-order keeps posts and sends outside, in its groups).
/// Tokens are renumbered 0,1,2,... in program order. Returns one finding,
/// leaving `program` unchanged, if the policy does not apply, a comm
/// instruction has no compute op to attach to, or the result would deadlock
/// (in-order: under either matching). The finding's origin is the
/// instruction it concerns (the step that leaves the reference order, the
/// comm without a step; a deadlock's blocked op, with notes at the others).
struct ScheduleCommOptions {
  CommPolicy policy = CommPolicy::Eager;
  int64_t lookahead = -1;
};
std::vector<Finding> scheduleComm(Program &program,
                                  const ScheduleCommOptions &options);

/// Level 2 to level 3 as pipe-lower does it before verification:
/// insertComm, fuseOverlap, then scheduleComm with `options`. Returns
/// nullopt and appends scheduleComm's findings (their `where` refers to the
/// lowered program) where it refuses. insertComm and fuseOverlap cannot
/// fail: what they cannot place is left for the verifier to report.
std::optional<Program> lowerSchedule(const Schedule &schedule,
                                     const ScheduleCommOptions &options,
                                     std::vector<Finding> &findings);

} // namespace dualpipe

#endif // DUALPIPE_SCHEDULE_LOWER_H
