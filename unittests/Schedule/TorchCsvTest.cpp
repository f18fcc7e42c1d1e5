//===- TorchCsvTest.cpp - PyTorch action CSV export and import ------------===//

#include "dualpipe/Schedule/TorchCsv.h"
#include "dualpipe/Schedule/Generate.h"

#include "gtest/gtest.h"

using namespace dualpipe;

namespace {

std::optional<Schedule> importOk(std::string_view text,
                                 std::vector<CsvCell> *cells = nullptr) {
  std::vector<Finding> findings;
  std::optional<Schedule> schedule = importTorchCsv(text, findings, cells);
  EXPECT_TRUE(schedule) << firstFindingText(findings);
  EXPECT_TRUE(findings.empty());
  return schedule;
}

/// The importer's finding as the tools print it.
std::string importError(std::string_view text) {
  std::vector<Finding> findings;
  std::optional<Schedule> schedule = importTorchCsv(text, findings);
  EXPECT_FALSE(schedule) << text;
  EXPECT_EQ(findings.size(), 1u) << text;
  return firstFindingText(findings);
}

/// Row `r` (0-based) of a CSV text.
std::string_view rowOf(std::string_view text, size_t r) {
  for (; r > 0; --r)
    text.remove_prefix(text.find('\n') + 1);
  return text.substr(0, text.find('\n'));
}

/// Valid option sets of every kind and flag, small enough to be quick.
std::vector<GenerateOptions> roundTripCases() {
  std::vector<GenerateOptions> cases;
  for (ScheduleKind kind : allScheduleKinds())
    for (int64_t p : {1, 2, 3, 4, 8})
      for (int64_t n : {1, 2, 5, 8, 16, 17})
        for (int64_t v : {1, 2, 3})
          for (int flags = 0; flags < 3; ++flags) {
            GenerateOptions options{kind, p, n};
            options.virtualStages = v;
            options.overlap = flags != 1;
            options.forwardOnly = flags == 2;
            if (checkGenerateOptions(options).empty())
              cases.push_back(options);
          }
  return cases;
}

TEST(TorchCsvFormat, ActionsAndPairs) {
  EXPECT_EQ(formatAction({OpKind::F, 0, 3}), "0F3");
  EXPECT_EQ(formatAction({OpKind::B, 7, 13}), "7B13");
  EXPECT_EQ(formatAction({OpKind::I, 0, 6}), "0I6");
  EXPECT_EQ(formatAction({OpKind::W, 12345, 1048575}), "12345W1048575");
  Step single{{OpKind::W, 0, 6}, std::nullopt, 4};
  EXPECT_EQ(formatStep(single), "0W6");
  Step pair{{OpKind::F, 0, 7}, ComputeOp{OpKind::B, 7, 13}, -1};
  EXPECT_EQ(formatStep(pair), "(0F7;7B13)OVERLAP_F_B");
  std::string out = "x,";
  appendStep(out, pair);
  EXPECT_EQ(out, "x,(0F7;7B13)OVERLAP_F_B");
}

TEST(TorchCsvRoundTrip, ExportImportExportIsIdentityForAllKinds) {
  std::vector<GenerateOptions> cases = roundTripCases();
  for (ScheduleKind kind : allScheduleKinds())
    EXPECT_TRUE(std::any_of(cases.begin(), cases.end(), [&](const auto &o) {
      return o.kind == kind;
    })) << toString(kind);
  for (const GenerateOptions &options : cases) {
    std::vector<Finding> findings;
    std::optional<Schedule> generated = generateSchedule(options, findings);
    ASSERT_TRUE(generated) << joinFindings(findings);
    std::string text = exportTorchCsv(*generated);
    std::vector<CsvCell> cells;
    std::optional<Schedule> imported = importOk(text, &cells);
    ASSERT_TRUE(imported) << toString(options.kind);
    EXPECT_EQ(exportTorchCsv(*imported), text) << toString(options.kind);

    // Every cell is one step here, so origins count the steps row-major.
    int64_t origin = 0;
    for (size_t r = 0; r < imported->ranks.size(); ++r)
      for (size_t i = 0; i < imported->ranks[r].size(); ++i, ++origin) {
        const Step &step = imported->ranks[r][i];
        ASSERT_EQ(step.origin, origin);
        ASSERT_EQ(cells[origin].row, static_cast<int64_t>(r) + 1);
        ASSERT_EQ(cells[origin].cell, static_cast<int64_t>(i) + 1);
        // The column is the cell's first character in its row.
        std::string_view line = rowOf(text, r);
        ASSERT_EQ(
            line.substr(cells[origin].column - 1, formatStep(step).size()),
            formatStep(step));
        for (const ComputeOp &op :
             {step.first, step.second.value_or(step.first)})
          ASSERT_EQ(imported->placement.rankOf(op.stage, op.mb),
                    static_cast<int64_t>(r))
              << toString(options.kind) << " " << formatAction(op);
      }
    EXPECT_EQ(static_cast<int64_t>(cells.size()), origin);
  }
}

TEST(TorchCsvImport, InfersThePlacementOfEachKind) {
  auto inferred = [](ScheduleKind kind, int64_t p, int64_t n, int64_t v = 2) {
    GenerateOptions options{kind, p, n};
    options.virtualStages = v;
    std::vector<Finding> findings;
    std::optional<Schedule> schedule = generateSchedule(options, findings);
    EXPECT_TRUE(schedule) << joinFindings(findings);
    std::optional<Schedule> imported = importOk(exportTorchCsv(*schedule));
    return imported ? imported->placement : Placement{};
  };
  EXPECT_EQ(inferred(ScheduleKind::DualPipe, 4, 8).kind, PlacementKind::Dual);
  EXPECT_EQ(inferred(ScheduleKind::DualPipeV, 4, 8).kind, PlacementKind::V);
  EXPECT_EQ(inferred(ScheduleKind::ZBV, 3, 7).kind, PlacementKind::V);
  EXPECT_EQ(inferred(ScheduleKind::Interleaved1F1B, 4, 8, 2).kind,
            PlacementKind::Interleaved);
  EXPECT_EQ(inferred(ScheduleKind::OneFOneB, 4, 8).kind,
            PlacementKind::Standard);
  EXPECT_EQ(inferred(ScheduleKind::GPipe, 3, 5).kind, PlacementKind::Standard);
  Placement zbh1 = inferred(ScheduleKind::ZBH1, 4, 6);
  EXPECT_EQ(zbh1.kind, PlacementKind::Standard);
  EXPECT_EQ(zbh1.ranks, 4);
  EXPECT_EQ(zbh1.stages, 4);
  EXPECT_EQ(zbh1.microbatches, 6);
}

TEST(TorchCsvImport, TiesPreferTheEarlierPlacement) {
  // One rank, two stages: v and interleaved both put everything on rank 0.
  std::optional<Schedule> one = importOk("0F0,1F0,1B0,0B0\n");
  ASSERT_TRUE(one);
  EXPECT_EQ(one->placement.kind, PlacementKind::V);
  // Square and odd micro-batches: standard (interleaved is the same map).
  std::optional<Schedule> square = importOk("0F0,0B0\n1F0,1B0\n");
  ASSERT_TRUE(square);
  EXPECT_EQ(square->placement.kind, PlacementKind::Standard);
}

TEST(TorchCsvImport, MostOpsOnTheirRankWins) {
  // A V schedule with one op on the wrong rank is still read as V, so that a
  // verifier can report that op.
  std::optional<Schedule> schedule =
      importOk("0F0,3F0,3B0,0B0,1F0\n1F0,2F0,2B0,1B0\n");
  ASSERT_TRUE(schedule);
  EXPECT_EQ(schedule->placement.kind, PlacementKind::V);
  EXPECT_EQ(schedule->placement.rankOf(1, 0), 1);
}

TEST(TorchCsvImport, SkipsIdleAndCommCellsButCountsThem) {
  std::vector<CsvCell> cells;
  std::optional<Schedule> schedule =
      importOk("0F0,,0SEND_F0,0UNSHARD,0RESHARD,0REDUCE_GRAD\r\n"
               " 1RECV_F0 , 1F0 ,1SEND_B0,1B0\n"
               "2RECV_F0,2F0",
               &cells);
  ASSERT_TRUE(schedule);
  ASSERT_EQ(schedule->ranks.size(), 3u);
  EXPECT_EQ(formatStep(schedule->ranks[0].at(0)), "0F0");
  EXPECT_EQ(schedule->ranks[0].at(0).origin, 0);
  ASSERT_EQ(schedule->ranks[1].size(), 2u);
  EXPECT_EQ(schedule->ranks[1][0].origin, 7);
  EXPECT_EQ(schedule->ranks[1][1].origin, 9);
  EXPECT_EQ(schedule->ranks[2].at(0).origin, 11);
  ASSERT_EQ(cells.size(), 12u);
  EXPECT_EQ(cells[9].row, 2);
  EXPECT_EQ(cells[9].cell, 4);
  EXPECT_EQ(cells[9].column, 27);
  EXPECT_EQ(cells[7].column, 13); // " 1F0 ": after the leading blank
  EXPECT_EQ(cells[11].row, 3);
  EXPECT_EQ(cells[11].cell, 2);
  EXPECT_EQ(cells[11].column, 10);
  EXPECT_EQ(schedule->placement.kind, PlacementKind::Standard);
  EXPECT_EQ(schedule->placement.stages, 3);
  EXPECT_EQ(schedule->placement.microbatches, 1);
  EXPECT_FALSE(schedule->kind);
}

struct Malformed {
  std::string text;
  std::string error;
};

TEST(TorchCsvImport, MalformedInputNamesRowAndColumn) {
  const std::vector<Malformed> cases = {
      {"0F0,0X1\n", "row 1, column 5: unknown action type 'X' ('0X1')"},
      {"0F0\nF1\n", "row 2, column 1: missing stage id ('F1')"},
      {"0F0,-1F2\n", "row 1, column 5: negative stage id ('-1F2')"},
      {"0F0\n1F0,1B0,1F-3\n",
       "row 2, column 9: negative micro-batch id ('1F-3')"},
      {"0F0,0F99999999999999999999\n",
       "row 1, column 5: micro-batch id exceeds 1048575 "
       "('0F99999999999999999999')"},
      {"300000F0\n", "row 1, column 1: stage id exceeds 262143 ('300000F0')"},
      {"0F0\n\n1F0\n", "row 2, column 1: empty row ('')"},
      {"0F0\n \n", "row 2, column 1: empty row ('')"},
      {"", "row 1, column 1: empty input ('')"},
      {"0F0,(0F1;1B0OVERLAP_F_B\n",
       "row 1, column 5: unbalanced parenthesis ('(0F1;1B0OVERLAP_F_B')"},
      {"0F1;1B0)OVERLAP_F_B\n",
       "row 1, column 1: unbalanced parenthesis ('0F1;1B0)OVERLAP_F_B')"},
      {"0F0,((0F1;1B0)OVERLAP_F_B\n",
       "row 1, column 5: unbalanced parenthesis ('((0F1;1B0)OVERLAP_F_B')"},
      {"(1B0;0F1)OVERLAP_F_B\n",
       "row 1, column 1: overlap must be a forward followed by a B, I or W "
       "('(1B0;0F1)OVERLAP_F_B')"},
      {"0F0\n(0F1;1F0)OVERLAP_F_B\n",
       "row 2, column 1: overlap must be a forward followed by a B, I or W "
       "('(0F1;1F0)OVERLAP_F_B')"},
      {"(0F1;1SEND_B0)OVERLAP_F_B\n",
       "row 1, column 1: overlap must be a forward followed by a B, I or W "
       "('(0F1;1SEND_B0)OVERLAP_F_B')"},
      {"(0F1;1B0)\n",
       "row 1, column 1: overlap must end with OVERLAP_F_B ('(0F1;1B0)')"},
      {"(0F1;1B0;2B0)OVERLAP_F_B\n",
       "row 1, column 1: overlap must hold exactly two actions, got 3 "
       "('(0F1;1B0;2B0)OVERLAP_F_B')"},
      {"(0F1; )OVERLAP_F_B\n",
       "row 1, column 1: missing stage id ('(0F1; )OVERLAP_F_B')"},
      {"0F\n", "row 1, column 1: missing micro-batch id ('0F')"},
      {"0F1x\n",
       "row 1, column 1: unexpected text after micro-batch id ('0F1x')"},
      {"0f1\n", "row 1, column 1: missing action type ('0f1')"},
      {"0F0;1F0\n", "row 1, column 1: ';' outside an overlap ('0F0;1F0')"},
      {"0SEND_F1\n1RECV_F1\n",
       "row 1, column 1: no compute action in the file ('')"},
      {"0F0,1F0,2F0\n1F0\n",
       "row 1, column 9: 3 stages fit no placement on 2 ranks ('2F0')"},
  };
  for (const Malformed &c : cases)
    EXPECT_EQ(importError(c.text), c.error) << c.text;
}

TEST(TorchCsvImport, TooManyRowsIsAnError) {
  std::string text;
  for (int64_t r = 0; r <= kMaxRanks; ++r)
    text += "0F0\n";
  EXPECT_EQ(importError(text),
            "row 4097, column 1: more than 4096 rows ('0F0')");
}

// The finding carries its position, so that the dialect's importer places
// the diagnostic at file:row:column without reading it back from the text,
// and its origin names the cell.
TEST(TorchCsvImport, FindingCarriesRowColumnAndCell) {
  std::vector<Finding> findings;
  std::vector<CsvCell> cells;
  EXPECT_FALSE(importTorchCsv("0F0,0B0\n1F0, 1X0\n", findings, &cells));
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].row, 2);
  EXPECT_EQ(findings[0].column, 6);
  EXPECT_EQ(findings[0].message, "unknown action type 'X' ('1X0')");
  ASSERT_GE(findings[0].origin, 0);
  ASSERT_LT(findings[0].origin, static_cast<int64_t>(cells.size()));
  EXPECT_EQ(cells[findings[0].origin].cell, 2);
  EXPECT_EQ(cells[findings[0].origin].row, 2);

  findings.clear();
  EXPECT_FALSE(importTorchCsv("", findings));
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].origin, -1); // no cell: the empty file
  EXPECT_EQ(findingText(findings[0]), "row 1, column 1: empty input ('')");
}

TEST(TorchCsvImport, LongCellsAreQuotedShortened) {
  std::string cell = "0F0" + std::string(200, 'x');
  std::string error = importError(cell);
  EXPECT_EQ(error, "row 1, column 1: unexpected text after micro-batch id ('" +
                       cell.substr(0, 64) + "...')");
}

TEST(TorchCsvImport, BinaryGarbageIsRejected) {
  std::string garbage;
  for (int i = 0; i < 256; ++i)
    garbage += static_cast<char>(i);
  EXPECT_EQ(importError(garbage).rfind("row 1, column 1: ", 0), 0u);
}

TEST(TorchCsvImport, AcceptsAMissingFinalNewline) {
  std::optional<Schedule> schedule = importOk("0F0,0B0\n1F0,1B0");
  ASSERT_TRUE(schedule);
  EXPECT_EQ(exportTorchCsv(*schedule), "0F0,0B0\n1F0,1B0\n");
}

} // namespace
