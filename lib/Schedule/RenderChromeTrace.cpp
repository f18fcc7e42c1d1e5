//===- RenderChromeTrace.cpp - Chrome trace JSON of a timeline ------------===//
//
// Trace viewers require the "X" events of one thread to nest; transfers can
// overlap (an asynchronous send still in flight when the next one starts), so
// each rank spreads them over as few comm threads as keep them disjoint:
// tid 1, then 2, 3, ... only when needed. docs/cost-model.md documents the
// layout, which the runtime's measured traces share.
//
// Event names use the PyTorch action notation (DESIGN.md section 7) so that a
// simulated trace, a measured trace and an exported action CSV name the same
// op the same way. In that notation RECV_F / RECV_B carry the RECEIVING stage
// while our MsgKey carries the producer's.
//
//===----------------------------------------------------------------------===//

#include "dualpipe/Schedule/Dependencies.h"
#include "dualpipe/Schedule/Render.h"

#include <nlohmann/json.hpp>

#include <algorithm>

namespace dualpipe {

namespace {

constexpr int kComputeTid = 0;
constexpr int kCommTid = 1;

std::string actionName(const ComputeOp &op) {
  return std::to_string(op.stage) + toChar(op.kind) + std::to_string(op.mb);
}

std::string actionName(const ComputeInterval &iv) {
  if (!iv.paired)
    return actionName(iv.op);
  return "(" + actionName(iv.op) + ";" + actionName(*iv.paired) +
         ")OVERLAP_F_B";
}

std::string actionName(const CommEvent &ev) {
  bool send = ev.kind == CommEvent::Kind::Send;
  int64_t stage = send ? ev.key.stage : consumerStage(ev.key);
  std::string dir = ev.key.kind == MsgKind::Activation ? "F" : "B";
  return std::to_string(stage) + (send ? "SEND_" : "RECV_") + dir +
         std::to_string(ev.key.mb);
}

nlohmann::json opArgs(const ComputeOp &op) {
  return {{"op", std::string(1, toChar(op.kind))},
          {"stage", op.stage},
          {"mb", op.mb}};
}

nlohmann::json metadata(const char *name, int64_t pid, int tid,
                        nlohmann::json args) {
  nlohmann::json ev = {
      {"name", name}, {"ph", "M"}, {"pid", pid}, {"args", std::move(args)}};
  if (tid >= 0)
    ev["tid"] = tid;
  return ev;
}

void addRankMetadata(nlohmann::json &events, int64_t rank, int commLanes) {
  events.push_back(metadata("process_name", rank, -1,
                            {{"name", "rank " + std::to_string(rank)}}));
  events.push_back(
      metadata("process_sort_index", rank, -1, {{"sort_index", rank}}));
  events.push_back(
      metadata("thread_name", rank, kComputeTid, {{"name", "compute"}}));
  for (int lane = 0; lane < commLanes; ++lane)
    events.push_back(metadata(
        "thread_name", rank, kCommTid + lane,
        {{"name", lane == 0 ? "comm" : "comm " + std::to_string(lane + 1)}}));
}

/// Assigns each transfer the first lane whose previous transfer has ended
/// (interval partitioning in start order: the fewest lanes possible).
std::vector<int> commLanes(const std::vector<CommEvent> &comm, int &numLanes) {
  std::vector<size_t> order(comm.size());
  for (size_t i = 0; i < order.size(); ++i)
    order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return comm[a].start < comm[b].start;
  });
  std::vector<double> laneEnd;
  std::vector<int> lane(comm.size(), 0);
  for (size_t i : order) {
    size_t l = 0;
    while (l < laneEnd.size() && laneEnd[l] > comm[i].start)
      ++l;
    if (l == laneEnd.size())
      laneEnd.push_back(comm[i].end);
    else
      laneEnd[l] = comm[i].end;
    lane[i] = static_cast<int>(l);
  }
  numLanes = std::max<int>(1, static_cast<int>(laneEnd.size()));
  return lane;
}

nlohmann::json computeEvent(const ComputeInterval &iv, int64_t rank,
                            double us) {
  nlohmann::json args = opArgs(iv.op);
  if (iv.paired)
    args["paired"] = opArgs(*iv.paired);
  return {{"name", actionName(iv)},
          {"cat", iv.paired ? std::string("overlap")
                            : std::string(1, toChar(iv.op.kind))},
          {"ph", "X"},
          {"ts", iv.start * us},
          {"dur", (iv.end - iv.start) * us},
          {"pid", rank},
          {"tid", kComputeTid},
          {"args", std::move(args)}};
}

nlohmann::json commEvent(const CommEvent &ev, int64_t rank, int lane,
                         double us) {
  bool send = ev.kind == CommEvent::Kind::Send;
  return {{"name", actionName(ev)},
          {"cat", send ? "send" : "recv"},
          {"ph", "X"},
          {"ts", ev.start * us},
          {"dur", (ev.end - ev.start) * us},
          {"pid", rank},
          {"tid", kCommTid + lane},
          {"args",
           {{"msg", std::string(toString(ev.key.kind))},
            {"stage", ev.key.stage},
            {"mb", ev.key.mb},
            {"peer", ev.peer},
            {"issued", ev.issue * us},
            {"blocking", ev.blocking}}}};
}

} // namespace

std::string renderChromeTrace(const SimResult &result,
                              const ChromeTraceOptions &options) {
  double us = options.microsecondsPerUnit;
  nlohmann::json events = nlohmann::json::array();
  for (size_t r = 0; r < result.timeline.size(); ++r) {
    int64_t rank = static_cast<int64_t>(r);
    const std::vector<CommEvent> &comm = result.timeline[r].comm;
    int numLanes = 1;
    std::vector<int> lanes = commLanes(comm, numLanes);
    addRankMetadata(events, rank, numLanes);
    for (const ComputeInterval &iv : result.timeline[r].compute)
      events.push_back(computeEvent(iv, rank, us));
    for (size_t i = 0; i < comm.size(); ++i)
      events.push_back(commEvent(comm[i], rank, lanes[i], us));
  }
  nlohmann::json other = {
      {"source", "dualpipe simulator"},
      {"kind", result.kind ? std::string(toString(*result.kind)) : "unknown"},
      {"microbatches", result.placement.microbatches},
      {"stages", result.placement.stages},
      {"makespan_us", result.makespan * us},
      {"microseconds_per_unit", us}};
  nlohmann::json trace = {{"traceEvents", std::move(events)},
                          {"displayTimeUnit", "ms"},
                          {"otherData", std::move(other)}};
  return trace.dump();
}

} // namespace dualpipe
