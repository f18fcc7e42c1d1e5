//===- Verify.h - Correctness checks for schedules and programs -*- C++ -*-===//
//
// Proves a level-2 schedule or a level-3 program correct before any GPU time
// is spent on it, or explains why not: every finding names the rank, the op
// and the rule it breaks, and points at the instruction (where/origin) so the
// dialect reports it as a diagnostic on the right op. Hand-written, broken or
// adversarial input is expected; all checks run in O(n log n) and never
// crash or hang. docs/lowering.md lists every rule with its message.
//
//===----------------------------------------------------------------------===//
#ifndef DUALPIPE_SCHEDULE_VERIFY_H
#define DUALPIPE_SCHEDULE_VERIFY_H

#include "dualpipe/Schedule/Schedule.h"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

namespace dualpipe {

inline constexpr size_t kDefaultMaxFindings = 20;

/// How a level-3 program's sends meet its receives.
///  ByKey:   by message key, receives posted early never block (the threads
///           and Gloo transports; the semantics of Schedule.h).
///  InOrder: NCCL's: no tags, the k-th send from a to b meets the k-th recv
///           on b from a, and each rank's messages run in post groups on one
///           in-order stream (CommGroups.h).
enum class MessageMatching { ByKey, InOrder };

struct VerifyOptions {
  /// Checking stops once this many findings are collected.
  size_t maxFindings = kDefaultMaxFindings;
  /// Level 2 only: simulate the schedule to prove every op can run.
  bool executability = true;
  /// Level 3 only: the transport semantics the program is proven under.
  MessageMatching matching = MessageMatching::ByKey;
};

/// Level 2 checks: sizes (placement consistent, one program per rank, kind
/// matching the placement), ranges, overlap shape (first is F, second is
/// B/I/W), placement (each op on placement.rankOf), completeness (each
/// (stage,mb) has F and B, or I then W, exactly once: missing, duplicate, B
/// together with I/W, W without I, I without W), local order on a rank (B/I
/// after its own F, W after its I, F(s,m) after F(s-1,m) and B/I(s,m) after
/// B/I(s+1,m) when on the same rank; never both in one overlap) and
/// executability (a simulation with unbounded buffering; a cycle of ranks
/// that wait on each other is reported as a deadlock). forwardOnly schedules
/// (no backward op at all) are valid when every F is present. Findings come
/// in a deterministic order: sizes, then per op in program order, then
/// completeness by (stage, mb), local order, executability.
std::vector<Finding> verifySchedule(const Schedule &schedule);
std::vector<Finding> verifySchedule(const Schedule &schedule,
                                    const VerifyOptions &options);

/// Level 3 checks: the level-2 checks on the compute ops (executability is
/// subsumed by the deadlock check below), plus: instruction shape (an overlap
/// holds exactly two computations and no overlap), message ranges and peers,
/// keys that correspond to a real cross-rank dependency with the right
/// producer and consumer ranks, matching (each Send has exactly one Recv with
/// equal key on the peer and vice versa), tokens (each recv token waited
/// exactly once, async send tokens at most once, no wait on an unknown or
/// not yet defined token), data (a recv and its wait before every compute
/// that needs a remote input; a send after its producer) and deadlock
/// freedom under the rendezvous semantics of Schedule.h (findDeadlock).
std::vector<Finding> verifyProgram(const Program &program);
std::vector<Finding> verifyProgram(const Program &program,
                                   const VerifyOptions &options);

/// Executes all rank programs under the rendezvous semantics of Schedule.h
/// and, if some rank can never finish, returns one finding whose message
/// names the ranks and ops of the wait cycle, e.g. "deadlock: rank 0 waits at
/// send activation(stage 0, mb 1) to rank 1, rank 1 waits at wait for recv
/// grad(stage 1, mb 0) from rank 0", with a note "rank r is blocked here" per
/// blocked op of the cycle. Instructions that cannot take part in a
/// rendezvous (unmatched messages, bad peers, waits on unknown tokens) are
/// skipped: verifyProgram reports them on their own. The execution is linear
/// in the program size; pairing the messages sorts them.
std::optional<Finding> findDeadlock(const Program &program);

//===----------------------------------------------------------------------===//
// Building blocks of the level-3 checks, for tools that replay programs.
//===----------------------------------------------------------------------===//

/// One instruction of a rank program in execution order, overlap bodies
/// inlined (one level: an overlap nested in a body stays opaque).
struct FlatInstr {
  const Instr *instr = nullptr;
  int64_t top = -1;   // index in the rank's instruction list
  int64_t inner = -1; // index inside the overlap body at `top`, or -1
  InstrRef where(int64_t rank) const;
};
std::vector<FlatInstr> flattenRank(const std::vector<Instr> &instrs);

/// Pairs sends with receives: the k-th Send from rank a to rank b with key K
/// meets the k-th Recv on rank b from rank a with key K (keys are explicit,
/// so the order of different keys never matters). result[r][i] is the flat
/// index, on the peer rank, of the partner of flat[r][i]; -1 for an
/// unmatched message or for anything but a Send/Recv with a valid peer.
std::vector<std::vector<int64_t>>
pairMessages(const std::vector<std::vector<FlatInstr>> &flat);

/// The cycle reached by following `waitsOn` (a blocked rank -> the rank it
/// waits for) from `start`, rotated to begin at its lowest rank, so that the
/// report does not depend on where the search started. Every rank reached
/// must itself be blocked.
std::vector<int64_t> waitCycle(int64_t start, int64_t ranks,
                               const std::function<int64_t(int64_t)> &waitsOn);

/// findDeadlock on rank programs already flattened and paired.
std::optional<Finding>
findDeadlock(const std::vector<std::vector<FlatInstr>> &flat,
             const std::vector<std::vector<int64_t>> &partner);

} // namespace dualpipe

#endif // DUALPIPE_SCHEDULE_VERIFY_H
