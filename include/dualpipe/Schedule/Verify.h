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
#include <string_view>
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
/// Spellings in options and docs: "by-key", "in-order".
std::string_view toString(MessageMatching matching);
std::optional<MessageMatching> parseMessageMatching(std::string_view text);

struct VerifyOptions {
  /// Checking stops once this many findings are collected.
  size_t maxFindings = kDefaultMaxFindings;
  /// Level 2 only: simulate the schedule to prove every op can run.
  bool executability = true;
  /// Level 3 only: the transport semantics the program is proven under.
  MessageMatching matching = MessageMatching::ByKey;
  /// Level 3 only: prove deadlock freedom (findDeadlock, or the in-order
  /// checks). Off skips the replay and keeps every per-instruction rule.
  bool deadlockFreedom = true;
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
/// freedom: under ByKey the rendezvous semantics of Schedule.h
/// (findDeadlock); under InOrder, instead, every pair's receives in the
/// order of its sends (findOrderMismatches) and then the in-order,
/// stream-blocking execution of CommGroups.h (findInOrderDeadlock).
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

/// InOrder, first half: for every (sender, receiver) pair, the k-th send
/// of the pair must carry the key of the k-th recv, as NCCL pairs them by
/// position. Only messages that pairMessages matched by key take part
/// (verifyProgram reports the others), so a difference is a reordering. One
/// finding per pair, at its first differing recv, e.g. "rank 1: message 1
/// from rank 0 to rank 1 is sent as activation(stage 0, mb 0) but received
/// as activation(stage 0, mb 1)", with notes at the send and at the recv of
/// the sent key. At most `maxFindings`; O(n log n).
std::vector<Finding>
findOrderMismatches(const std::vector<std::vector<FlatInstr>> &flat,
                    const std::vector<std::vector<int64_t>> &partner,
                    size_t maxFindings = kDefaultMaxFindings);

/// InOrder, second half: executes all ranks under the in-order,
/// stream-blocking semantics (CommGroups.h): per rank a compute stream (its
/// Waits and computations in program order) and a communication stream of
/// post groups. A group starts once the previous one is complete and every
/// Send in it has its producer computed; it completes once every message in
/// it has met its partner, i.e. the partner's group has started too. A Wait
/// blocks the compute stream until the group of its token's message is
/// complete. A stuck state is reported as its cycle of ranks, each blocked
/// at a message whose partner is queued behind the peer's blocked group:
/// "deadlock under in-order matching: rank 0 waits at recv grad(stage 1,
/// mb 0) from rank 1, rank 1 waits at recv activation(stage 0, mb 0) from
/// rank 0", notes "rank r is blocked here" and "rank q posts the matching
/// send later, here". `partner` must be the positional pairing, which equals
/// pairMessages' where findOrderMismatches finds nothing. Instructions that
/// cannot take part (unmatched messages, waits on unknown or later tokens,
/// sends before their producer) are skipped. Linear in the program size.
std::optional<Finding>
findInOrderDeadlock(const std::vector<std::vector<FlatInstr>> &flat,
                    const std::vector<std::vector<int64_t>> &partner,
                    int64_t stages);

/// Both InOrder checks, as verifyProgram runs them after its other checks:
/// the order findings, or else the deadlock, if any. The Program overload
/// flattens and pairs first (what scheduleComm uses on its result).
std::vector<Finding>
checkInOrder(const std::vector<std::vector<FlatInstr>> &flat,
             const std::vector<std::vector<int64_t>> &partner, int64_t stages,
             size_t maxFindings = kDefaultMaxFindings);
std::vector<Finding> checkInOrder(const Program &program,
                                  size_t maxFindings = kDefaultMaxFindings);

} // namespace dualpipe

#endif // DUALPIPE_SCHEDULE_VERIFY_H
