//===- Timeline.h - What ran when, on each rank -----------------*- C++ -*-===//
//
// The record of an execution, simulated (Simulate.h) or measured (the
// runtime's executor), in one form so that both are rendered by the same
// code and compared side by side. Its own header so that the runtime records
// timelines without including the simulator.
//
//===----------------------------------------------------------------------===//
#ifndef DUALPIPE_SCHEDULE_TIMELINE_H
#define DUALPIPE_SCHEDULE_TIMELINE_H

#include "dualpipe/Schedule/Schedule.h"

#include <cstdint>
#include <optional>
#include <vector>

namespace dualpipe {

/// A compute op (or overlapped pair) as it ran.
struct ComputeInterval {
  double start = 0;
  double end = 0;
  ComputeOp op;                    // the only op, or the F of a pair
  std::optional<ComputeOp> paired; // the backward of an overlapped pair
  /// Of a pair, the forward's share of its standalone time, F / (F + X);
  /// pictures split the pair's box there.
  double firstShare = 1;
  InstrRef where; // the Compute (or Overlap) instruction
  int64_t origin = -1;
};

/// One side of a point-to-point message as it ran. Both the sender and the
/// receiver record one; a transfer starts at the rendezvous (send issued and
/// receive posted) and lasts the link time.
struct CommEvent {
  enum class Kind { Send, Recv };
  Kind kind = Kind::Send;
  MsgKey key;
  int64_t peer = -1;
  double issue = 0;      // this rank reached the Send / posted the Recv
  double start = 0;      // rendezvous: both sides present
  double end = 0;        // transfer complete
  bool blocking = false; // a Send without token: the rank waited until
                         // `start`
  InstrRef where;
  int64_t origin = -1;
};

struct RankTimeline {
  std::vector<ComputeInterval> compute; // in program order (= time order)
  std::vector<CommEvent> comm;          // in program order
};

} // namespace dualpipe

#endif // DUALPIPE_SCHEDULE_TIMELINE_H
