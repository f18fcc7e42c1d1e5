//===- FindingTest.cpp - What the core reports, and how tools print it ----===//

#include "dualpipe/Schedule/Finding.h"
#include "dualpipe/Schedule/Generate.h"

#include "gtest/gtest.h"

using namespace dualpipe;

namespace {

// findingText is the one way the tools without MLIR print a finding: the
// position it concerns first, when it has one.
TEST(Finding, TextStartsWithWhereItIs) {
  Finding cell = fieldFinding("", "empty row ('')");
  cell.row = 3;
  cell.column = 1;
  EXPECT_EQ(findingText(cell), "row 3, column 1: empty row ('')");
  Finding instr{"rank 1: bad", {1, {4, 0}}, 7};
  EXPECT_EQ(findingText(instr),
            "programs[1].instructions[4].body[0]: rank 1: bad");
  Finding rank{"rank 2: missing", {2, {}}, -1};
  EXPECT_EQ(findingText(rank), "programs[2]: rank 2: missing");
  EXPECT_EQ(findingText(fieldFinding("ranks", "ranks must be positive, got 0")),
            "ranks must be positive, got 0");
  EXPECT_EQ(firstFindingText({}), "");
  EXPECT_EQ(joinFindings({instr, rank}), "rank 1: bad\nrank 2: missing");
}

// The passes report a finding at whatever supplied its option: the field says
// which, and a constraint between two options notes the other one.
TEST(Finding, GenerationNamesTheOption) {
  std::vector<Finding> odd =
      checkGenerateOptions(GenerateOptions{ScheduleKind::DualPipe, 3, 12});
  ASSERT_EQ(odd.size(), 1u);
  EXPECT_EQ(odd[0].field, "ranks");
  EXPECT_TRUE(odd[0].notes.empty());

  std::vector<Finding> few =
      checkGenerateOptions(GenerateOptions{ScheduleKind::DualPipeV, 4, 6});
  ASSERT_EQ(few.size(), 1u);
  EXPECT_EQ(few[0].field, "microbatches");
  ASSERT_EQ(few[0].notes.size(), 1u);
  EXPECT_EQ(few[0].notes[0].field, "ranks");
  EXPECT_EQ(few[0].notes[0].message, "ranks is 4");

  GenerateOptions v0{ScheduleKind::Interleaved1F1B, 4, 8};
  v0.virtualStages = 0;
  EXPECT_EQ(checkGenerateOptions(v0)[0].field, "virtual-stages");
  GenerateOptions budget{ScheduleKind::Auto, 4, 8};
  budget.maxActivations = 0;
  EXPECT_EQ(checkGenerateOptions(budget)[0].field, "max-activations");
  EXPECT_EQ(findingText(checkGenerateOptions(budget)[0]),
            "auto requires max-activations >= 1, got 0");
}

} // namespace
