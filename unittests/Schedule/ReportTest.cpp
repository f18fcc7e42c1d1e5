//===- ReportTest.cpp - Text and JSON reports of a simulation -------------===//

#include "dualpipe/Schedule/Report.h"
#include "SimulateTestSupport.h"
#include "VerifyTestSupport.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <limits>

using namespace dualpipe;
using namespace dualpipe::test;

namespace {

/// Two stages on two ranks, one micro-batch: F, F, B, B.
Program twoStagePipeline() {
  return program(placement(PlacementKind::Standard, 2, 2, 1),
                 {{compute(F(0, 0)), sendAct(0, 0, 1), recvGrad(1, 0, 1, 0),
                   test::wait(0), compute(B(0, 0))},
                  {recvAct(0, 0, 0, 0), test::wait(0), compute(F(1, 0)),
                   compute(B(1, 0)), sendGrad(1, 0, 0)}});
}

TEST(Report, JsonFields) {
  Program p = twoStagePipeline();
  p.kind = ScheduleKind::OneFOneB;
  nlohmann::json j = nlohmann::json::parse(
      renderReportJson(mustSimulate(p, costs("act=4,param=9"))));
  EXPECT_EQ(j["kind"], "1f1b");
  EXPECT_EQ(j["placement"], "standard");
  EXPECT_EQ(j["num_ranks"], 2);
  EXPECT_EQ(j["stages"], 2);
  EXPECT_EQ(j["microbatches"], 1);
  EXPECT_EQ(j["makespan"], 6.0);
  EXPECT_EQ(j["bubble_ratio"], 0.5);
  EXPECT_EQ(j["max_bubble"], 3.0);
  EXPECT_EQ(j["total_busy"], 6.0);
  EXPECT_EQ(j["peak_activations"], 1);
  ASSERT_EQ(j["ranks"].size(), 2u);
  const nlohmann::json &r1 = j["ranks"][1];
  EXPECT_EQ(r1["rank"], 1);
  EXPECT_EQ(r1["busy"], 3.0);
  EXPECT_EQ(r1["idle"], 3.0);
  EXPECT_EQ(r1["utilization"], 0.5);
  EXPECT_EQ(r1["peak_activations"], 1);
  EXPECT_EQ(r1["peak_activation_bytes"], 4.0);
  EXPECT_EQ(r1["param_bytes"], 9.0);
  EXPECT_EQ(nlohmann::json::parse(
                renderReportJson(mustSimulate(twoStagePipeline())))["kind"],
            nullptr);
}

TEST(Report, TextTable) {
  Program p = twoStagePipeline();
  p.kind = ScheduleKind::OneFOneB;
  std::string text = renderReportText(mustSimulate(p));
  EXPECT_EQ(text, "1f1b: 2 ranks, 2 stages, 1 micro-batches (standard "
                  "placement)\n"
                  "makespan 6, bubble ratio 50.00%, max bubble 3, peak "
                  "activations 1 (1 bytes)\n"
                  "rank  busy  idle    util  peak act  peak act bytes  param "
                  "bytes\n"
                  "0        3     3  50.00%         1               1        "
                  "    1\n"
                  "1        3     3  50.00%         1               1        "
                  "    1\n");
  ReportOptions summary;
  summary.perRank = false;
  EXPECT_EQ(renderReportText(mustSimulate(p), summary).find("rank  busy"),
            std::string::npos);
}

TEST(Report, FormatBytes) {
  EXPECT_EQ(formatBytes(512), "512");
  EXPECT_EQ(formatBytes(1023.5), "1023.5");
  EXPECT_EQ(formatBytes(1536), "1.5 KiB");
  EXPECT_EQ(formatBytes(18.0 * (1 << 30)), "18 GiB");
  EXPECT_EQ(formatBytes(3 * 1024.0 * 1024 * 1024 * 1024 * 1024 * 1024),
            "3072 PiB");
}

TEST(Report, FormatQuantity) {
  EXPECT_EQ(formatQuantity(12), "12");
  EXPECT_EQ(formatQuantity(0.5), "0.5");
  EXPECT_EQ(formatQuantity(1.0 / 3.0), "0.333333");
  EXPECT_EQ(formatQuantity(-2), "-2");
  EXPECT_EQ(formatQuantity(std::numeric_limits<double>::infinity()), "inf");
}

} // namespace
