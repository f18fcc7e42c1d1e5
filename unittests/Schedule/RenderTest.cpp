//===- RenderTest.cpp - SVG timeline and Chrome trace ---------------------===//

#include "dualpipe/Schedule/Render.h"
#include "dualpipe/Schedule/Generate.h"
#include "dualpipe/Schedule/Simulate.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <map>
#include <regex>
#include <set>

using namespace dualpipe;

namespace {

struct Simulated {
  Schedule schedule;
  SimResult sim;
};

Simulated simulateKind(ScheduleKind kind, int64_t ranks, int64_t mbs,
                       std::string_view spec = "") {
  GenerateOptions g{kind, ranks, mbs};
  std::vector<Finding> findings;
  std::optional<Schedule> s = generateSchedule(g, findings);
  EXPECT_TRUE(s) << joinFindings(findings);
  CostModel cost;
  EXPECT_EQ(applyCostOverrides(cost, spec), "");
  std::optional<SimResult> r = s ? simulate(*s, cost, findings) : std::nullopt;
  EXPECT_TRUE(r) << joinFindings(findings);
  return {s ? *s : Schedule{}, r ? *r : SimResult{}};
}

size_t count(const std::string &text, const std::string &what) {
  size_t n = 0;
  for (size_t pos = text.find(what); pos != std::string::npos;
       pos = text.find(what, pos + what.size()))
    ++n;
  return n;
}

/// Micro-batch ids drawn in cells, per row (keyed by the text's y), in x
/// order.
std::map<double, std::vector<int64_t>> cellIds(const std::string &svg) {
  std::map<double, std::vector<std::pair<double, int64_t>>> rows;
  std::regex cell(
      R"re(<text class="c" x="([0-9.]+)" y="([0-9.]+)"[^>]*>(\d+)</text>)re");
  for (std::sregex_iterator it(svg.begin(), svg.end(), cell), end; it != end;
       ++it)
    rows[std::stod((*it)[2])].push_back(
        {std::stod((*it)[1]), std::stoll((*it)[3])});
  std::map<double, std::vector<int64_t>> ids;
  for (auto &[y, cells] : rows) {
    std::sort(cells.begin(), cells.end());
    for (const auto &c : cells)
      ids[y].push_back(c.second);
  }
  return ids;
}

TEST(RenderSvg, DualPipe8x20ShowsEveryCellInScheduleOrder) {
  Simulated s = simulateKind(ScheduleKind::DualPipe, 8, 20, "fb=2.5");
  std::string svg = renderSvg(s.sim);
  ASSERT_EQ(svg.rfind("<svg xmlns=\"http://www.w3.org/2000/svg\"", 0), 0u);
  EXPECT_EQ(svg.substr(svg.size() - 7), "</svg>\n");
  for (int r = 0; r < 8; ++r)
    EXPECT_NE(svg.find(">rank " + std::to_string(r) + "<"), std::string::npos);
  for (const char *legend :
       {">forward<", ">backward<", ">backward for input<",
        ">backward for weights<", ">overlapped forward &amp; backward<"})
    EXPECT_NE(svg.find(legend), std::string::npos) << legend;
  for (const char *cls :
       {"<path class=\"F\"", "<path class=\"B\"", "<path class=\"I\"",
        "<path class=\"W\"", "<path class=\"p\"", "<g class=\"k\""})
    EXPECT_EQ(count(svg, cls) > 0, true) << cls;
  EXPECT_NE(svg.find("dualpipe: 8 ranks, 8 stages, 20 micro-batches"),
            std::string::npos);

  // Each row shows the ids of its steps in program order; a pair shows its
  // forward's id then its backward's.
  std::map<double, std::vector<int64_t>> ids = cellIds(svg);
  ASSERT_EQ(ids.size(), 8u);
  size_t rank = 0;
  for (const auto &[y, row] : ids) {
    std::vector<int64_t> expected;
    for (const Step &step : s.schedule.ranks[rank]) {
      expected.push_back(step.first.mb);
      if (step.second)
        expected.push_back(step.second->mb);
    }
    EXPECT_EQ(row, expected) << "rank " << rank;
    ++rank;
  }
}

TEST(RenderSvg, LargeScheduleStaysSmallAndDropsIds) {
  Simulated s = simulateKind(ScheduleKind::DualPipe, 64, 256);
  std::string svg = renderSvg(s.sim);
  EXPECT_LT(svg.size(), 4u << 20);
  EXPECT_EQ(count(svg, "<text class=\"c\""), 0u);
  EXPECT_EQ(count(svg, "<path class=\"F\""), 64u);
  EXPECT_NE(svg.find(">rank 0<"), std::string::npos);
  EXPECT_EQ(svg.substr(svg.size() - 7), "</svg>\n");
}

TEST(RenderSvg, OptionsAndEscaping) {
  Simulated s = simulateKind(ScheduleKind::OneFOneB, 4, 8);
  SvgOptions o;
  o.title = "a < b & \"c\"";
  o.width = 500;
  o.rowHeight = 30;
  o.showIds = false;
  std::string svg = renderSvg(s.sim, o);
  EXPECT_NE(svg.find(">a &lt; b &amp; &quot;c&quot;</text>"),
            std::string::npos);
  EXPECT_EQ(count(svg, "<text class=\"c\""), 0u);
  // The last op of rank 0 ends at the right edge of the 500 px time area.
  EXPECT_NE(svg.find("M64 30h"), std::string::npos);
}

TEST(RenderSvg, EmptyResultStillRenders) {
  std::string svg = renderSvg(SimResult{});
  EXPECT_EQ(svg.substr(svg.size() - 7), "</svg>\n");
}

TEST(RenderChromeTrace, LayoutAndUnits) {
  // Latency makes asynchronous transfers overlap: they need extra lanes.
  Simulated s =
      simulateKind(ScheduleKind::DualPipe, 4, 8, "fb=2.5,latency=3,msg=100");
  ChromeTraceOptions o;
  o.microsecondsPerUnit = 10;
  nlohmann::json trace = nlohmann::json::parse(renderChromeTrace(s.sim, o));
  ASSERT_TRUE(trace["traceEvents"].is_array());
  EXPECT_EQ(trace["displayTimeUnit"], "ms");
  EXPECT_EQ(trace["otherData"]["makespan_us"], s.sim.makespan * 10);

  size_t expectedCompute = 0, expectedComm = 0;
  for (const RankTimeline &tl : s.sim.timeline) {
    expectedCompute += tl.compute.size();
    expectedComm += tl.comm.size();
  }
  std::map<int64_t, std::set<std::string>> meta, used;
  // (pid, tid) -> [start, end) of its "X" events
  std::map<std::pair<int64_t, int64_t>, std::vector<std::pair<double, double>>>
      spans;
  size_t compute = 0, comm = 0;
  bool sawPair = false;
  for (const nlohmann::json &ev : trace["traceEvents"]) {
    int64_t pid = ev["pid"];
    ASSERT_GE(pid, 0);
    ASSERT_LT(pid, 4);
    if (ev["ph"] == "M") {
      std::string name = ev["name"];
      if (ev.contains("tid"))
        name += std::to_string(ev["tid"].get<int>());
      meta[pid].insert(name);
      continue;
    }
    ASSERT_EQ(ev["ph"], "X");
    int64_t tid = ev["tid"];
    double ts = ev["ts"], dur = ev["dur"];
    EXPECT_GE(dur, 0);
    spans[{pid, tid}].push_back({ts, ts + dur});
    used[pid].insert("thread_name" + std::to_string(tid));
    if (tid == 0) {
      ++compute;
      sawPair |= ev["name"] == "(0F3;3B5)OVERLAP_F_B";
    } else {
      ++comm;
    }
  }
  EXPECT_EQ(compute, expectedCompute);
  EXPECT_EQ(comm, expectedComm);
  EXPECT_TRUE(sawPair);
  bool extraLane = false;
  for (int64_t r = 0; r < 4; ++r) {
    EXPECT_TRUE(meta[r].count("process_name"));
    EXPECT_TRUE(meta[r].count("process_sort_index"));
    for (const std::string &thread : used[r])
      EXPECT_TRUE(meta[r].count(thread)) << "rank " << r << " " << thread;
    extraLane |= used[r].count("thread_name2") > 0;
  }
  EXPECT_TRUE(extraLane);
  for (auto &[track, list] : spans) {
    std::sort(list.begin(), list.end());
    for (size_t i = 1; i < list.size(); ++i)
      EXPECT_GE(list[i].first, list[i - 1].second)
          << "pid " << track.first << " tid " << track.second;
  }
}

TEST(RenderChromeTrace, EventsCarryTimesAndTorchNames) {
  SimResult r;
  r.placement = {PlacementKind::Standard, 2, 2, 1};
  r.timeline.resize(2);
  ComputeInterval f;
  f.start = 1.5;
  f.end = 2.5;
  f.op = {OpKind::F, 1, 3};
  r.timeline[1].compute.push_back(f);
  CommEvent recv;
  recv.kind = CommEvent::Kind::Recv;
  recv.key = {MsgKind::Activation, 0, 3};
  recv.peer = 0;
  recv.start = 1;
  recv.end = 1.5;
  r.timeline[1].comm.push_back(recv);
  nlohmann::json trace = nlohmann::json::parse(renderChromeTrace(r));
  std::vector<nlohmann::json> x;
  for (const nlohmann::json &ev : trace["traceEvents"])
    if (ev["ph"] == "X")
      x.push_back(ev);
  ASSERT_EQ(x.size(), 2u);
  EXPECT_EQ(x[0]["name"], "1F3");
  EXPECT_EQ(x[0]["cat"], "F");
  EXPECT_EQ(x[0]["ts"], 1500.0);
  EXPECT_EQ(x[0]["dur"], 1000.0);
  EXPECT_EQ(x[0]["pid"], 1);
  EXPECT_EQ(x[0]["args"]["stage"], 1);
  EXPECT_EQ(x[1]["name"], "1RECV_F3"); // the receiving stage, as torch does
  EXPECT_EQ(x[1]["ts"], 1000.0);
  EXPECT_EQ(x[1]["dur"], 500.0);
  EXPECT_EQ(x[1]["tid"], 1);
  EXPECT_EQ(x[1]["args"]["peer"], 0);
}

} // namespace
