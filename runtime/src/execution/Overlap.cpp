//===- Overlap.cpp - Overlap regions on two compute streams ---------------===//
//
// An overlap region's two compute ops run concurrently: the forward on the
// forward stream, the other op on the backward stream. This replaces the
// former lane thread with the stream model's fork/join:
//  * fork: the backward stream waits on the forward stream's last operation
//    before the region, so the backward half sees every earlier compute of
//    the rank (its local prerequisite among them) and never runs beside an
//    earlier backward-family op of the forward stream;
//  * join: the forward stream's next operation after the region waits on the
//    backward half, so no later compute runs beside it either.
// A StageWorker allows exactly this: one forward concurrently with one
// backward-family op. The region's comm ops stay on the comm stream in body
// order; a send inside the region waits only on the compute producing its
// message.
//
//===----------------------------------------------------------------------===//

#include "execution/Plan.h"

namespace dualpipe::runtime {

namespace {

/// The forward of the region goes to the forward stream, everything else to
/// the backward stream; a region without a forward keeps its first compute
/// on the forward stream.
std::vector<StreamRole> overlapStreams(const std::vector<const Instr *> &ops) {
  bool hasForward = false;
  for (const Instr *op : ops)
    hasForward |= op->op.kind == OpKind::F;
  std::vector<StreamRole> streams;
  for (size_t i = 0; i < ops.size(); ++i) {
    bool forward = hasForward ? ops[i]->op.kind == OpKind::F : i == 0;
    streams.push_back(forward ? StreamRole::Forward : StreamRole::Backward);
  }
  return streams;
}

} // namespace

void PlanBuilder::addOverlap(const Instr &instr, const InstrRef &ref) {
  std::vector<const Instr *> computes;
  std::vector<const ComputeOp *> ops;
  for (const Instr &inner : instr.body)
    if (inner.kind == InstrKind::Compute) {
      computes.push_back(&inner);
      ops.push_back(&inner.op);
    }
  countGraphs(ops);
  std::vector<StreamRole> streams = overlapStreams(computes);
  int32_t fork = lastOn_[static_cast<int>(StreamRole::Forward)];
  std::vector<int32_t> placed;
  int32_t backwardHalf = -1;
  size_t next = 0;
  for (size_t j = 0; j < instr.body.size(); ++j) {
    const Instr &inner = instr.body[j];
    InstrRef innerRef{ref.rank, {ref.path[0], static_cast<int64_t>(j)}};
    if (inner.kind != InstrKind::Compute) {
      addComm(inner, innerRef);
      continue;
    }
    StreamRole stream = streams[next++];
    int32_t index = addCompute(inner, innerRef, stream);
    if (stream == StreamRole::Backward) {
      // The fork point precedes the region's forward half, so the two
      // halves stay concurrent.
      waitOn(plan_.ops[index], fork);
      backwardHalf = index;
    }
    placed.push_back(index);
  }
  if (placed.size() == 2) {
    plan_.ops[placed[0]].partner = placed[1];
    plan_.ops[placed[1]].partner = placed[0];
  }
  if (backwardHalf >= 0)
    pendingJoin_ = backwardHalf;
}

} // namespace dualpipe::runtime
