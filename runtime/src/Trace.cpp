//===- Trace.cpp - Measured timelines as Chrome traces --------------------===//

#include "dualpipe/Runtime/Trace.h"
#include "TraceJson.h"
#include "dualpipe/Schedule/Render.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <limits>

namespace dualpipe::runtime {
namespace {

using nlohmann::json;

json opToJson(const ComputeOp &op) {
  return json::array({std::string(1, toChar(op.kind)), op.stage, op.mb});
}

ComputeOp opFromJson(const json &j) {
  static const std::string kinds = "FBIW";
  ComputeOp op;
  op.kind = static_cast<OpKind>(kinds.find(j[0].get<std::string>()[0]));
  op.stage = j[1].get<int64_t>();
  op.mb = j[2].get<int64_t>();
  return op;
}

json refToJson(const InstrRef &ref) {
  return json{{"rank", ref.rank}, {"path", ref.path}};
}

InstrRef refFromJson(const json &j) {
  return InstrRef{j["rank"].get<int64_t>(),
                  j["path"].get<std::vector<int64_t>>()};
}

template <typename Fn> void shiftTimes(std::vector<RankTimeline> &all, Fn fn) {
  for (RankTimeline &timeline : all) {
    for (ComputeInterval &iv : timeline.compute) {
      fn(iv.start);
      fn(iv.end);
    }
    for (CommEvent &ev : timeline.comm) {
      fn(ev.issue);
      fn(ev.start);
      fn(ev.end);
    }
  }
}

} // namespace

json timelineToJson(const RankTimeline &timeline) {
  json compute = json::array(), comm = json::array();
  for (const ComputeInterval &iv : timeline.compute) {
    json item{{"start", iv.start},
              {"end", iv.end},
              {"op", opToJson(iv.op)},
              {"share", iv.firstShare},
              {"where", refToJson(iv.where)}};
    if (iv.paired)
      item["paired"] = opToJson(*iv.paired);
    compute.push_back(std::move(item));
  }
  for (const CommEvent &ev : timeline.comm)
    comm.push_back(json{{"send", ev.kind == CommEvent::Kind::Send},
                        {"msg", ev.key.kind == MsgKind::Gradient},
                        {"stage", ev.key.stage},
                        {"mb", ev.key.mb},
                        {"peer", ev.peer},
                        {"issue", ev.issue},
                        {"start", ev.start},
                        {"end", ev.end},
                        {"blocking", ev.blocking},
                        {"where", refToJson(ev.where)}});
  return json{{"compute", std::move(compute)}, {"comm", std::move(comm)}};
}

RankTimeline timelineFromJson(const json &j) {
  RankTimeline timeline;
  for (const json &item : j["compute"]) {
    ComputeInterval iv;
    iv.start = item["start"].get<double>();
    iv.end = item["end"].get<double>();
    iv.op = opFromJson(item["op"]);
    iv.firstShare = item["share"].get<double>();
    iv.where = refFromJson(item["where"]);
    if (item.contains("paired"))
      iv.paired = opFromJson(item["paired"]);
    timeline.compute.push_back(iv);
  }
  for (const json &item : j["comm"]) {
    CommEvent ev;
    ev.kind = item["send"].get<bool>() ? CommEvent::Kind::Send
                                       : CommEvent::Kind::Recv;
    ev.key = MsgKey{item["msg"].get<bool>() ? MsgKind::Gradient
                                            : MsgKind::Activation,
                    item["stage"].get<int64_t>(), item["mb"].get<int64_t>()};
    ev.peer = item["peer"].get<int64_t>();
    ev.issue = item["issue"].get<double>();
    ev.start = item["start"].get<double>();
    ev.end = item["end"].get<double>();
    ev.blocking = item["blocking"].get<bool>();
    ev.where = refFromJson(item["where"]);
    timeline.comm.push_back(ev);
  }
  return timeline;
}

std::string measuredChromeTrace(const Program &program,
                                std::vector<RankTimeline> timelines) {
  double origin = std::numeric_limits<double>::infinity();
  shiftTimes(timelines, [&](double &t) { origin = std::min(origin, t); });
  double end = 0;
  shiftTimes(timelines, [&](double &t) {
    t -= origin;
    end = std::max(end, t);
  });
  SimResult result;
  result.kind = program.kind;
  result.placement = program.placement;
  result.makespan = end;
  result.timeline = std::move(timelines);
  ChromeTraceOptions options;
  options.microsecondsPerUnit = 1;
  json trace = json::parse(renderChromeTrace(result, options));
  trace["otherData"]["source"] = "dualpipe-run (measured)";
  trace["otherData"].erase("microseconds_per_unit");
  return trace.dump();
}

} // namespace dualpipe::runtime
