//===- ScheduleCommParts.h - pipe-schedule-comm internals -------*- C++ -*-===//
//
// Shared by the policies of scheduleComm (ScheduleComm.cpp, the eager
// policy; ScheduleCommReference.cpp and ScheduleCommInOrder.cpp): a rank
// program taken apart into compute steps and the comm tied to them by value,
// which a policy reassembles in the order it wants.
//
//===----------------------------------------------------------------------===//
#ifndef DUALPIPE_LIB_SCHEDULE_SCHEDULECOMMPARTS_H
#define DUALPIPE_LIB_SCHEDULE_SCHEDULECOMMPARTS_H

#include "dualpipe/Schedule/Schedule.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace dualpipe::detail {

struct PooledRecv {
  Instr recv;
  Instr wait; // the original wait when there was one (keeps its origin)
  int64_t consumer = -1;
};

struct PooledSend {
  Instr send;
  int64_t producer = -1;
};

/// A rank program as compute steps (Compute, or Overlap holding only its
/// computations) plus the comm tied to them, in program order.
struct RankParts {
  std::vector<Instr> steps;
  std::vector<PooledRecv> recvs;
  std::vector<PooledSend> sends;
};

/// A finding at `instr` of rank `rank`, its message prefixed with the rank.
Finding findingAt(int64_t rank, const Instr &instr, std::string message);

/// Takes rank `rank`'s program apart: every Recv tied to the step that
/// consumes its key, every Send to the step that produces it, a recv's first
/// Wait kept for its origin. Sets `error` at the instruction on comm that no
/// step of the rank consumes or produces, on a wait on an unknown token, or
/// on a nested overlap.
std::optional<RankParts> decomposeRank(int64_t rank, int64_t stages,
                                       const std::vector<Instr> &instrs,
                                       Finding &error);

/// `send` without its token: posted, waited by nobody.
Instr blockingSend(Instr send);

/// Tokens 0,1,2,... in program order, rank after rank.
void renumberTokens(Program &program);

/// The reference policy (Lower.h): one rank program per rank, or nullopt
/// with `error` set (at the step that leaves the order, where there is one).
std::optional<std::vector<std::vector<Instr>>>
placeReference(const Program &program, std::vector<RankParts> &ranks,
               Finding &error);

/// The in-order policy (Lower.h): one rank program per rank, or nullopt with
/// `error` set.
std::optional<std::vector<std::vector<Instr>>>
placeInOrder(std::vector<RankParts> &ranks, Finding &error);

} // namespace dualpipe::detail

#endif // DUALPIPE_LIB_SCHEDULE_SCHEDULECOMMPARTS_H
