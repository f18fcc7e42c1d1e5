//===- ScheduleComm.cpp - pipe-schedule-comm ------------------------------===//
//
// Each rank program is taken apart into its compute steps and a pool of comm
// (ScheduleCommParts.h), then reassembled in the order a policy wants: eager
// here, reference in ScheduleCommReference.cpp, in-order in
// ScheduleCommInOrder.cpp.
//
//===----------------------------------------------------------------------===//

#include "ScheduleCommParts.h"

#include "dualpipe/Schedule/Dependencies.h"
#include "dualpipe/Schedule/Lower.h"
#include "dualpipe/Schedule/Verify.h"

#include <algorithm>

namespace dualpipe {

std::string_view toString(CommPolicy policy) {
  switch (policy) {
  case CommPolicy::Eager:
    return "eager";
  case CommPolicy::Reference:
    return "reference";
  case CommPolicy::InOrder:
    return "in-order";
  }
  return "eager";
}

std::optional<CommPolicy> parseCommPolicy(std::string_view text) {
  if (text == "eager")
    return CommPolicy::Eager;
  if (text == "reference")
    return CommPolicy::Reference;
  if (text == "in-order")
    return CommPolicy::InOrder;
  return std::nullopt;
}

namespace {

using detail::blockingSend;
using detail::PooledRecv;
using detail::RankParts;

//===----------------------------------------------------------------------===//
// Eager
//===----------------------------------------------------------------------===//

std::vector<Instr> placeEager(RankParts &parts, int64_t lookahead) {
  size_t steps = parts.steps.size();
  std::vector<std::vector<size_t>> postedAt(steps), consumedAt(steps),
      producedAt(steps);
  for (size_t i = 0; i < parts.recvs.size(); ++i) {
    int64_t consumer = parts.recvs[i].consumer;
    int64_t post =
        lookahead < 0 ? 0 : std::max<int64_t>(0, consumer - lookahead);
    postedAt[post].push_back(i);
    consumedAt[consumer].push_back(i);
  }
  for (size_t i = 0; i < parts.sends.size(); ++i)
    producedAt[parts.sends[i].producer].push_back(i);

  std::vector<Instr> out;
  for (size_t step = 0; step < steps; ++step) {
    std::stable_sort(postedAt[step].begin(), postedAt[step].end(),
                     [&](size_t a, size_t b) {
                       return parts.recvs[a].consumer < parts.recvs[b].consumer;
                     });
    Instr &shell = parts.steps[step];
    bool overlap = shell.kind == InstrKind::Overlap;
    // An overlap keeps its own comm inside; everything else stays outside.
    std::vector<Instr> before;
    for (size_t i : postedAt[step]) {
      bool own =
          overlap && parts.recvs[i].consumer == static_cast<int64_t>(step);
      (own ? before : out).push_back(parts.recvs[i].recv);
    }
    for (size_t i : consumedAt[step])
      before.push_back(parts.recvs[i].wait);
    std::vector<Instr> after;
    for (size_t i : producedAt[step])
      after.push_back(blockingSend(parts.sends[i].send));
    if (!overlap) {
      out.insert(out.end(), before.begin(), before.end());
      out.push_back(std::move(shell));
      out.insert(out.end(), after.begin(), after.end());
      continue;
    }
    before.insert(before.end(), shell.body.begin(), shell.body.end());
    before.insert(before.end(), after.begin(), after.end());
    shell.body = std::move(before);
    out.push_back(std::move(shell));
  }
  return out;
}

} // namespace

std::vector<Finding> scheduleComm(Program &program,
                                  const ScheduleCommOptions &options) {
  Finding error;
  std::vector<RankParts> ranks;
  ranks.reserve(program.ranks.size());
  for (size_t rank = 0; rank < program.ranks.size(); ++rank) {
    std::optional<RankParts> parts = detail::decomposeRank(
        static_cast<int64_t>(rank), program.placement.stages,
        program.ranks[rank], error);
    if (!parts)
      return {error};
    ranks.push_back(std::move(*parts));
  }

  Program result;
  result.kind = program.kind;
  result.placement = program.placement;
  if (options.policy == CommPolicy::Eager) {
    for (RankParts &parts : ranks)
      result.ranks.push_back(placeEager(parts, options.lookahead));
  } else {
    std::optional<std::vector<std::vector<Instr>>> placed =
        options.policy == CommPolicy::Reference
            ? detail::placeReference(program, ranks, error)
            : detail::placeInOrder(ranks, error);
    if (!placed)
      return {error};
    result.ranks = std::move(*placed);
  }
  detail::renumberTokens(result);

  std::string policy =
      "the " + std::string(toString(options.policy)) + " policy";
  if (options.policy == CommPolicy::Eager && options.lookahead >= 0)
    policy += " with lookahead " + std::to_string(options.lookahead);
  std::vector<std::vector<FlatInstr>> flat;
  for (const std::vector<Instr> &instrs : result.ranks)
    flat.push_back(flattenRank(instrs));
  std::vector<std::vector<int64_t>> partner = pairMessages(flat);
  // The verifier's findings keep their origins and notes; only the message
  // says which policy made the program.
  if (std::optional<Finding> deadlock = findDeadlock(flat, partner)) {
    deadlock->message =
        policy + " would deadlock: " +
        deadlock->message.substr(std::string("deadlock: ").size());
    return {*deadlock};
  }
  // The in-order policy's promise, checked like the rendezvous one.
  if (options.policy == CommPolicy::InOrder)
    if (std::vector<Finding> inOrder =
            checkInOrder(flat, partner, result.placement.stages, 1);
        !inOrder.empty()) {
      inOrder.front().message =
          policy + " would break in-order matching: " + inOrder.front().message;
      return {inOrder.front()};
    }
  program = std::move(result);
  return {};
}

} // namespace dualpipe
