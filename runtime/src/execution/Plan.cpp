//===- Plan.cpp - A rank's instructions as stream operations --------------===//

#include "execution/Plan.h"

#include "dualpipe/Schedule/CommGroups.h"
#include "dualpipe/Schedule/Dependencies.h"

#include <algorithm>

namespace dualpipe::runtime {

namespace {

std::tuple<int, int64_t, int64_t> opKey(const ComputeOp &op) {
  return {static_cast<int>(op.kind), op.stage, op.mb};
}

} // namespace

PlanBuilder::PlanBuilder(const Program &program, int64_t rank)
    : program_(program), placement_(program.placement), rank_(rank) {}

int32_t PlanBuilder::push(PlanOp op) {
  if (op.stream == StreamRole::Forward && pendingJoin_ >= 0) {
    waitOn(op, pendingJoin_);
    pendingJoin_ = -1;
  }
  auto index = static_cast<int32_t>(plan_.ops.size());
  lastOn_[static_cast<int>(op.stream)] = index;
  if (op.input >= 0)
    ++plan_.ops[op.input].uses;
  plan_.ops.push_back(std::move(op));
  return index;
}

void PlanBuilder::waitOn(PlanOp &op, int32_t producer) {
  if (producer < 0)
    return;
  PlanOp &from = plan_.ops[producer];
  if (from.stream == op.stream ||
      std::find(op.waits.begin(), op.waits.end(), producer) != op.waits.end())
    return;
  if (from.event < 0)
    from.event = plan_.events++;
  op.waits.push_back(producer);
}

int32_t PlanBuilder::addCompute(const Instr &instr, const InstrRef &ref,
                                StreamRole stream) {
  const ComputeOp &op = instr.op;
  PlanOp planOp;
  planOp.kind = PlanOp::Kind::Compute;
  planOp.stream = stream;
  planOp.instr = &instr;
  planOp.ref = ref;
  if (auto consumed = consumedValue(op, placement_.stages)) {
    auto it = available_.find(*consumed);
    if (it == available_.end())
      throw PlanError(ref, instr,
                      "the " + describe(*consumed) +
                          " is not available on this rank");
    planOp.input = it->second;
    waitOn(planOp, planOp.input);
  }
  if (auto prerequisite = localPrerequisite(op)) {
    auto it = computes_.find(opKey(*prerequisite));
    if (it != computes_.end())
      waitOn(planOp, it->second);
  }
  planOp.loss = computesLoss(op, placement_.stages);
  int32_t index = push(std::move(planOp));
  computes_[opKey(op)] = index;
  if (auto produced = producedValue(op, placement_.stages))
    available_[*produced] = index;
  return index;
}

void PlanBuilder::addComm(const Instr &instr, const InstrRef &ref) {
  PlanOp planOp;
  planOp.stream = StreamRole::Comm;
  planOp.instr = &instr;
  planOp.ref = ref;
  switch (instr.kind) {
  case InstrKind::Send: {
    planOp.kind = PlanOp::Kind::Send;
    auto it = available_.find(instr.key);
    if (it == available_.end())
      throw PlanError(ref, instr,
                      "the " + describe(instr.key) +
                          " is not available on this rank");
    planOp.input = it->second;
    waitOn(planOp, planOp.input);
    int32_t index = push(std::move(planOp));
    if (instr.token >= 0)
      postedSends_[instr.token] = index;
    return;
  }
  case InstrKind::Recv:
    planOp.kind = PlanOp::Kind::Recv;
    postedRecvs_[instr.token] = push(std::move(planOp));
    return;
  case InstrKind::Wait: {
    planOp.kind = PlanOp::Kind::Wait;
    if (auto recv = postedRecvs_.find(instr.token);
        recv != postedRecvs_.end()) {
      MsgKey key = plan_.ops[recv->second].instr->key;
      postedRecvs_.erase(recv);
      available_[key] = push(std::move(planOp));
    } else if (auto send = postedSends_.find(instr.token);
               send != postedSends_.end()) {
      postedSends_.erase(send);
      push(std::move(planOp));
    } else {
      throw PlanError(ref, instr,
                      "token " + std::to_string(instr.token) +
                          " is not pending");
    }
    return;
  }
  default:
    throw PlanError(ref, instr, "not a comm instruction");
  }
}

/// A forward retains a graph; a full backward or a backward_weight releases
/// it. An overlap counts its forward before its backward, as the simulator
/// does. Counted in program order, so the figure is deterministic.
void PlanBuilder::countGraphs(const std::vector<const ComputeOp *> &ops) {
  for (bool forwards : {true, false})
    for (const ComputeOp *op : ops)
      if ((op->kind == OpKind::F) == forwards) {
        if (op->kind == OpKind::F)
          plan_.peakLive = std::max(plan_.peakLive, ++heldGraphs_);
        else if (op->kind == OpKind::B || op->kind == OpKind::W)
          --heldGraphs_;
      }
}

void PlanBuilder::add(const Instr &instr, const InstrRef &ref) {
  if (instr.kind == InstrKind::Overlap) {
    addOverlap(instr, ref);
  } else if (instr.kind == InstrKind::Compute) {
    countGraphs({&instr.op});
    addCompute(instr, ref, StreamRole::Forward);
  } else {
    addComm(instr, ref);
  }
}

RankPlan PlanBuilder::finish() {
  markPostGroups();
  return std::move(plan_);
}

void PlanBuilder::markPostGroups() {
  std::map<const Instr *, int32_t> opOf;
  for (size_t i = 0; i < plan_.ops.size(); ++i)
    opOf[plan_.ops[i].instr] = static_cast<int32_t>(i);
  std::vector<FlatInstr> flat = flattenRank(program_.ranks[rank_]);
  for (const CommGroup &group : commGroups(flat)) {
    int32_t first = opOf.at(flat[group.begin].instr);
    int32_t last = opOf.at(flat[group.end - 1].instr);
    plan_.ops[first].groupBegin = true;
    plan_.ops[last].groupStart = first;
  }
}

RankPlan planRank(const Program &program, int64_t rank) {
  PlanBuilder builder(program, rank);
  const auto &list = program.ranks[rank];
  for (size_t i = 0; i < list.size(); ++i)
    builder.add(list[i], InstrRef{rank, {static_cast<int64_t>(i)}});
  return builder.finish();
}

} // namespace dualpipe::runtime
