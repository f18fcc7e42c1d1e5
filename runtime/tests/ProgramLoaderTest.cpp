//===- ProgramLoaderTest.cpp - Loading and rejecting program files --------===//

#include "TestPrograms.h"

#include "ProgramTree.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <random>

using namespace dualpipe;
using namespace dualpipe::runtime;
using namespace dualpipe::testing;
using nlohmann::json;

namespace {

json validProgram(ScheduleKind kind = ScheduleKind::OneFOneB, int64_t ranks = 2,
                  int64_t microbatches = 4) {
  std::string error;
  TestSchedule schedule;
  schedule.kind = kind;
  schedule.ranks = ranks;
  schedule.microbatches = microbatches;
  auto program = buildProgramJson(schedule, TestModel{}, error);
  EXPECT_TRUE(program) << error;
  return program ? *program : json();
}

/// The loader's error for `program`, or "" if it loads.
std::string loadError(const json &program) {
  std::string error;
  auto loaded = loadProgramJson(program, ".", error);
  return loaded ? "" : error;
}

/// Index of the first top-level instruction of `rank` with op `op`.
size_t findOp(const json &program, int64_t rank, const std::string &op) {
  const json &list = program["programs"][rank]["instructions"];
  for (size_t i = 0; i < list.size(); ++i)
    if (list[i]["op"] == op)
      return i;
  ADD_FAILURE() << "no " << op << " on rank " << rank;
  return 0;
}

TEST(ProgramLoader, AcceptsGeneratedPrograms) {
  for (ScheduleKind kind : allScheduleKinds()) {
    int64_t ranks = 2, microbatches = 4;
    json program = validProgram(kind, ranks, microbatches);
    EXPECT_EQ(loadError(program), "") << toString(kind);
  }
}

TEST(ProgramLoader, RejectsUnknownFormatAndVersion) {
  json program = validProgram();
  program["format"] = "something-else";
  EXPECT_EQ(loadError(program),
            "format: expected \"dualpipe-program\", got \"something-else\"");
  program = validProgram();
  program["version"] = 2;
  EXPECT_EQ(loadError(program),
            "version: unsupported version 2 (this build reads version 1)");
}

TEST(ProgramLoader, NamesMissingAndMistypedFields) {
  json program = validProgram();
  program["schedule"].erase("ranks");
  EXPECT_EQ(loadError(program), "schedule.ranks: missing");
  program = validProgram();
  program["schedule"]["microbatches"] = "4";
  EXPECT_EQ(loadError(program),
            "schedule.microbatches: expected an integer, got \"4\"");
  program = validProgram();
  program["message"]["dtype"] = "int8";
  EXPECT_EQ(loadError(program), "message.dtype: expected one of \"float32\", "
                                "\"float64\", \"bfloat16\", got \"int8\"");
  program = validProgram();
  program["programs"][1]["instructions"][0].erase("mb");
  EXPECT_EQ(loadError(program), "programs[1].instructions[0].mb: missing");
}

TEST(ProgramLoader, RejectsStageNotPlacedOnItsRank) {
  json program = validProgram();
  size_t index = findOp(program, 1, "forward");
  program["programs"][1]["instructions"][index]["stage"] = 0;
  EXPECT_EQ(loadError(program), "programs[1].instructions[" +
                                    std::to_string(index) +
                                    "]: rank 1: F(stage 0, mb 0) belongs on "
                                    "rank 0");
}

TEST(ProgramLoader, RejectsUnmatchedSend) {
  json program = validProgram();
  json &list = program["programs"][0]["instructions"];
  size_t index = findOp(program, 0, "send");
  json send = list[index];
  list.erase(index);
  std::string error = loadError(program);
  EXPECT_NE(error.find("has no matching send on rank 0"), std::string::npos)
      << error;
  EXPECT_EQ(error.rfind("programs[1].instructions[", 0), 0u) << error;
}

TEST(ProgramLoader, RejectsBadTokenUse) {
  json program = validProgram();
  size_t index = findOp(program, 1, "wait");
  program["programs"][1]["instructions"][index]["token"] = 999;
  EXPECT_EQ(loadError(program), "programs[1].instructions[" +
                                    std::to_string(index) +
                                    "]: rank 1: wait on unknown token 999");
}

TEST(ProgramLoader, RejectsUnknownKernelAndAttributes) {
  json program = validProgram();
  program["model"]["stages"][1]["layers"][0]["kernel"] = "conv";
  EXPECT_EQ(loadError(program),
            "model.stages[1].layers[0].kernel: unknown kernel \"conv\" "
            "(known: mlp, transformer, identity, torchscript, embedding, "
            "lm_head)");
  program = validProgram();
  program["model"]["stages"][0]["layers"][0]["attrs"]["hidden"] = 99;
  EXPECT_EQ(loadError(program),
            "model.stages[0].layers[0].attrs.hidden: 99 differs from the "
            "message's hidden size 16");
  program = validProgram();
  program["model"]["stages"][0]["layers"][0] = {
      {"kernel", "torchscript"}, {"attrs", {{"path", "missing.pt"}}}};
  EXPECT_EQ(loadError(program), "model.stages[0].layers[0].attrs.path: no "
                                "TorchScript file at ./missing.pt");
}

TEST(ProgramLoader, ReportsFileProblemsWithTheFileName) {
  std::string error;
  EXPECT_FALSE(loadProgramFile("/nonexistent/p.json", error));
  EXPECT_EQ(error, "/nonexistent/p.json: cannot open the program file: No "
                   "such file or directory");
  std::string path = ::testing::TempDir() + "/broken.json";
  std::ofstream(path) << "{\"format\": ";
  EXPECT_FALSE(loadProgramFile(path, error));
  EXPECT_EQ(error.rfind(path + ": not valid JSON: ", 0), 0u) << error;
  std::remove(path.c_str());
  // A directory opens like a file and then fails every read (issue 11: an
  // uncaught std::ios_base::failure).
  EXPECT_FALSE(loadProgramFile(::testing::TempDir(), error));
  EXPECT_EQ(error,
            ::testing::TempDir() + ": is a directory, not a program file");
}

/// Random structural damage must give an error or a valid program, never a
/// crash (the checks run under ASan/UBSan in debug builds).
TEST(ProgramLoader, SurvivesRandomDamage) {
  const json original = validProgram(ScheduleKind::DualPipe, 2, 4);
  std::mt19937 rng(1234);
  const std::vector<json> replacements = {
      json(),        json(-1),       json(1),   json(1ll << 40), json("x"),
      json::array(), json::object(), json(2.5), json(true)};
  auto flat = original.flatten();
  std::vector<std::string> pointers;
  for (const auto &item : flat.items())
    pointers.push_back(item.key());
  int rejected = 0;
  for (int trial = 0; trial < 400; ++trial) {
    json damaged = original.flatten();
    const std::string &victim = pointers[rng() % pointers.size()];
    if (rng() % 3 == 0)
      damaged.erase(victim);
    else
      damaged[victim] = replacements[rng() % replacements.size()];
    json program;
    try {
      program = damaged.unflatten();
    } catch (const json::exception &) {
      continue;
    }
    rejected += !loadError(program).empty();
  }
  EXPECT_GT(rejected, 200);
}

} // namespace
