//===- GoldenTest.cpp - Byte-exact reference orders -----------------------===//
//
// test/Golden holds the per-rank orders of deepseek-ai/DualPipe's reference
// implementation in PyTorch action notation; generation and export must
// reproduce them byte for byte, and importing them must give back the
// generated programs.
//
//===----------------------------------------------------------------------===//

#include "dualpipe/Schedule/Generate.h"
#include "dualpipe/Schedule/TorchCsv.h"

#include "gtest/gtest.h"

#include <fstream>
#include <sstream>

using namespace dualpipe;

namespace {

std::string readGolden(const std::string &name) {
  std::ifstream file(std::string(DUALPIPE_SOURCE_DIR) + "/test/Golden/" + name,
                     std::ios::binary);
  EXPECT_TRUE(file.good()) << name;
  std::ostringstream contents;
  contents << file.rdbuf();
  return contents.str();
}

struct GoldenCase {
  std::string file;
  ScheduleKind kind;
  int64_t ranks;
  int64_t microbatches;
  PlacementKind placement;
};

class GoldenTest : public ::testing::TestWithParam<GoldenCase> {};

Schedule generateGolden(const GoldenCase &c) {
  GenerateOptions options{c.kind, c.ranks, c.microbatches};
  std::vector<Finding> findings;
  std::optional<Schedule> schedule = generateSchedule(options, findings);
  EXPECT_TRUE(schedule) << joinFindings(findings);
  return schedule.value_or(Schedule{});
}

TEST_P(GoldenTest, ExportMatchesByteForByte) {
  std::string golden = readGolden(GetParam().file);
  ASSERT_FALSE(golden.empty());
  ASSERT_EQ(golden.back(), '\n');
  EXPECT_EQ(exportTorchCsv(generateGolden(GetParam())), golden);
}

TEST_P(GoldenTest, ImportGivesTheGeneratedPrograms) {
  const GoldenCase &c = GetParam();
  std::vector<Finding> findings;
  std::optional<Schedule> imported =
      importTorchCsv(readGolden(c.file), findings);
  ASSERT_TRUE(imported) << firstFindingText(findings);
  Schedule generated = generateGolden(c);
  EXPECT_FALSE(imported->kind.has_value());
  EXPECT_EQ(imported->placement.kind, c.placement);
  EXPECT_EQ(imported->placement.ranks, generated.placement.ranks);
  EXPECT_EQ(imported->placement.stages, generated.placement.stages);
  EXPECT_EQ(imported->placement.microbatches, generated.placement.microbatches);
  ASSERT_EQ(imported->ranks.size(), generated.ranks.size());
  for (size_t r = 0; r < generated.ranks.size(); ++r) {
    ASSERT_EQ(imported->ranks[r].size(), generated.ranks[r].size());
    for (size_t i = 0; i < generated.ranks[r].size(); ++i) {
      EXPECT_EQ(imported->ranks[r][i].first, generated.ranks[r][i].first);
      EXPECT_EQ(imported->ranks[r][i].second, generated.ranks[r][i].second);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Reference, GoldenTest,
                         ::testing::Values(GoldenCase{"dualpipe_P8_N20.csv",
                                                      ScheduleKind::DualPipe, 8,
                                                      20, PlacementKind::Dual},
                                           GoldenCase{"dualpipev_P4_N10.csv",
                                                      ScheduleKind::DualPipeV,
                                                      4, 10, PlacementKind::V}),
                         [](const ::testing::TestParamInfo<GoldenCase> &info) {
                           return std::string(toString(info.param.kind));
                         });

} // namespace
