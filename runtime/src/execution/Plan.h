//===- Plan.h - A rank's instructions as stream operations ------*- C++ -*-===//
//
// The plan is computed once per rank from the program, before any step: for
// every instruction (overlap bodies inlined) the stream it runs on, the
// events its stream waits on first, and which earlier operation's output it
// consumes. runStep only walks it. Keeping it a plain value makes the
// ordering logic testable without running anything.
//
// Rules:
//  * send, recv and wait run on the comm stream, in program order;
//  * a compute runs on the forward stream; in an overlap region the forward
//    runs on the forward stream and the other compute on the backward
//    stream, which forks from the forward stream at the region's start and
//    joins back into it before the next forward-stream operation (so at most
//    one forward and one backward-family op of a rank run at once);
//  * sends and receives are bracketed by post groups (CommGroups.h);
//  * an operation waits on the event of every input that another stream
//    produces: the value it consumes (Dependencies.h's consumedValue: a
//    received message or a local producer) and its local prerequisite
//    (Dependencies.h's localPrerequisite).
//
//===----------------------------------------------------------------------===//
#ifndef DUALPIPE_RUNTIME_EXECUTION_PLAN_H
#define DUALPIPE_RUNTIME_EXECUTION_PLAN_H

#include "execution/Stream.h"

#include "dualpipe/Schedule/Schedule.h"

#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

namespace dualpipe::runtime {

struct PlanOp {
  enum class Kind : uint8_t { Compute, Send, Recv, Wait };
  Kind kind = Kind::Compute;
  StreamRole stream = StreamRole::Forward;
  const Instr *instr = nullptr;
  InstrRef ref;
  /// Operations whose event this operation's stream waits on first; never
  /// on its own stream.
  std::vector<int32_t> waits;
  /// The operation whose output this one consumes: a compute's input, the
  /// tensor a send sends. -1 for none.
  int32_t input = -1;
  /// How many operations consume this one's output.
  int32_t uses = 0;
  /// The event recorded after this operation (some other stream waits on
  /// it), or -1.
  int32_t event = -1;
  /// The other compute of an overlap pair, or -1.
  int32_t partner = -1;
  /// The last-stage forward: its output is the micro-batch's loss.
  bool loss = false;
  /// Post groups (CommGroups.h): the first message of a group, and on the
  /// last one the index of the first (-1 elsewhere). Only the NCCL
  /// transport issues a group together.
  bool groupBegin = false;
  int32_t groupStart = -1;
};

struct RankPlan {
  std::vector<PlanOp> ops;
  int32_t events = 0;
  /// Largest number of graphs held at once, counted in program order.
  int64_t peakLive = 0;
};

/// A program the plan cannot run: a consumer without its input, a wait
/// without its post. Names the instruction.
class PlanError : public std::runtime_error {
public:
  PlanError(InstrRef ref, const Instr &instr, const std::string &what)
      : std::runtime_error(what), ref(std::move(ref)), instr(&instr) {}
  InstrRef ref;
  const Instr *instr;
};

/// Throws PlanError.
RankPlan planRank(const Program &program, int64_t rank);

/// Builds a plan in program order (Plan.cpp; overlap regions in
/// Overlap.cpp).
class PlanBuilder {
public:
  PlanBuilder(const Program &program, int64_t rank);
  void add(const Instr &instr, const InstrRef &ref);
  RankPlan finish();

private:
  /// Appends a compute on `stream`; returns its index.
  int32_t addCompute(const Instr &instr, const InstrRef &ref,
                     StreamRole stream);
  void addComm(const Instr &instr, const InstrRef &ref);
  void addOverlap(const Instr &instr, const InstrRef &ref);
  int32_t push(PlanOp op);
  void waitOn(PlanOp &op, int32_t producer);
  void countGraphs(const std::vector<const ComputeOp *> &ops);
  void markPostGroups();

  const Program &program_;
  const Placement &placement_;
  int64_t rank_;
  RankPlan plan_;
  std::map<MsgKey, int32_t> available_;
  std::map<int64_t, int32_t> postedRecvs_;
  std::map<int64_t, int32_t> postedSends_;
  std::map<std::tuple<int, int64_t, int64_t>, int32_t> computes_;
  int32_t lastOn_[kStreamRoles] = {-1, -1, -1};
  /// The backward-stream op the forward stream still has to join.
  int32_t pendingJoin_ = -1;
  int64_t heldGraphs_ = 0;
};

} // namespace dualpipe::runtime

#endif // DUALPIPE_RUNTIME_EXECUTION_PLAN_H
