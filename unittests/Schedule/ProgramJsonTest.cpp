//===- ProgramJsonTest.cpp - The program file writer and reader -----------===//

#include "JsonText.h"
#include "ProgramJsonTree.h"
#include "dualpipe/Schedule/Generate.h"
#include "dualpipe/Schedule/Lower.h"
#include "dualpipe/Schedule/Verify.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

using namespace dualpipe;
using nlohmann::json;

namespace {

Program lowered(ScheduleKind kind, int64_t ranks, int64_t microbatches) {
  std::vector<Finding> findings;
  auto schedule =
      generateSchedule(GenerateOptions{kind, ranks, microbatches}, findings);
  EXPECT_TRUE(schedule) << joinFindings(findings);
  if (!schedule)
    return {};
  std::optional<Program> program = lowerSchedule(*schedule, {}, findings);
  EXPECT_TRUE(program) << joinFindings(findings);
  return program ? std::move(*program) : Program();
}

ModelSpec smallModel() {
  ModelSpec model;
  model.name = "tiny";
  LayerSpec layer;
  layer.kernel = "mlp";
  layer.repeat = 4;
  layer.attrs = {{"hidden", 8}, {"ffn", 16}};
  model.layers = {layer};
  model.config = {{"microbatch_size", 2}, {"hidden", 8}, {"seed", 3}};
  return model;
}

struct Written {
  Program program;
  ModelSpec model;
  std::vector<StageSpec> stages;
  TensorSpec message;
  json file;
};

Written write(ScheduleKind kind, int64_t ranks, int64_t microbatches,
              ModelSpec model = smallModel()) {
  Written w;
  w.program = lowered(kind, ranks, microbatches);
  w.model = std::move(model);
  std::vector<Finding> findings;
  auto stages =
      partitionStages(w.model, w.program.placement.stages, {}, findings);
  EXPECT_TRUE(stages) << joinFindings(findings);
  std::string error;
  auto message = messageSpec(w.model, error);
  EXPECT_TRUE(message) << error;
  if (stages && message) {
    w.stages = *stages;
    w.message = *message;
  }
  w.file = programToJson(w.program, w.model, w.stages, w.message);
  return w;
}

void expectSameInstrs(const std::vector<Instr> &a, const std::vector<Instr> &b,
                      const std::string &where) {
  ASSERT_EQ(a.size(), b.size()) << where;
  for (size_t i = 0; i < a.size(); ++i) {
    std::string at = where + "[" + std::to_string(i) + "]";
    EXPECT_EQ(a[i].kind, b[i].kind) << at;
    EXPECT_EQ(a[i].op, b[i].op) << at;
    EXPECT_EQ(a[i].key, b[i].key) << at;
    EXPECT_EQ(a[i].peer, b[i].peer) << at;
    EXPECT_EQ(a[i].token, b[i].token) << at;
    expectSameInstrs(a[i].body, b[i].body, at + ".body");
  }
}

std::string readError(const json &file) {
  std::string error;
  EXPECT_FALSE(programFromJson(file, error));
  return error;
}

json &instructions(json &file, int64_t rank) {
  return file["programs"][rank]["instructions"];
}

size_t find(const json &list, const std::function<bool(const json &)> &match) {
  for (size_t i = 0; i < list.size(); ++i)
    if (match(list[i]))
      return i;
  ADD_FAILURE() << "no matching instruction";
  return 0;
}

TEST(ProgramJson, RoundTripsEveryKind) {
  for (ScheduleKind kind : allScheduleKinds()) {
    Written w = write(kind, 2, 4);
    std::string error;
    auto read = programFromJson(w.file, error);
    ASSERT_TRUE(read) << toString(kind) << ": " << error;
    EXPECT_EQ(read->program.kind, w.program.kind);
    EXPECT_EQ(read->program.placement.kind, w.program.placement.kind);
    EXPECT_EQ(read->program.placement.stages, w.program.placement.stages);
    ASSERT_EQ(read->program.ranks.size(), w.program.ranks.size());
    for (size_t r = 0; r < w.program.ranks.size(); ++r)
      expectSameInstrs(read->program.ranks[r], w.program.ranks[r],
                       std::string(toString(kind)) + " rank " +
                           std::to_string(r));
    EXPECT_EQ(read->message, w.message);
    ASSERT_EQ(read->stages.size(), w.stages.size());
    for (size_t s = 0; s < w.stages.size(); ++s) {
      EXPECT_EQ(read->stages[s].layers.size(), w.stages[s].layers.size());
      EXPECT_DOUBLE_EQ(read->stages[s].f, w.stages[s].f);
      EXPECT_EQ(read->stages[s].layers[0].attrs, w.stages[s].layers[0].attrs);
    }
    EXPECT_EQ(read->model.name, "tiny");
    EXPECT_EQ(read->model.layers.size(), 4u);
    // Writing what was read gives the same file.
    EXPECT_EQ(
        programToJson(read->program, read->model, read->stages, read->message),
        w.file)
        << toString(kind);
  }
}

/// The eager program of `--pipe-lower="kind=1f1b ranks=2 microbatches=2"`
/// read back from its program file and verified as the runtime does at load
/// for --backend nccl (in-order matching, first finding): the message the
/// LOWER check of test/Transforms/verify-in-order.mlir expects from the pass.
TEST(ProgramJson, InOrderCheckAtLoadGivesThePassMessage) {
  Written w = write(ScheduleKind::OneFOneB, 2, 2);
  std::string error;
  std::optional<ProgramFile> file = programFromJson(w.file, error);
  ASSERT_TRUE(file) << error;
  EXPECT_TRUE(verifyProgram(file->program).empty());
  VerifyOptions options;
  options.matching = MessageMatching::InOrder;
  options.maxFindings = 1;
  std::vector<Finding> atLoad = verifyProgram(file->program, options);
  ASSERT_EQ(atLoad.size(), 1u);
  EXPECT_EQ(atLoad[0].message,
            "deadlock under in-order matching: rank 0 waits at recv "
            "grad(stage 1, mb 0) from rank 1, rank 1 waits at recv "
            "activation(stage 0, mb 0) from rank 0");
  EXPECT_EQ(instructionPath(atLoad[0].where), "programs[0].instructions[0]");
  std::vector<Finding> compiled = verifyProgram(w.program, options);
  ASSERT_EQ(compiled.size(), 1u);
  EXPECT_EQ(compiled[0].message, atLoad[0].message);
}

TEST(ProgramJson, WritesHeaderPlacementAndDefaults) {
  Written w = write(ScheduleKind::DualPipe, 4, 8);
  const json &f = w.file;
  EXPECT_EQ(f["format"], "dualpipe-program");
  EXPECT_EQ(f["version"], 1);
  EXPECT_EQ(f["schedule"], (json{{"kind", "dualpipe"},
                                 {"placement", "dual"},
                                 {"ranks", 4},
                                 {"stages", 4},
                                 {"microbatches", 8}}));
  EXPECT_EQ(f["placement"][1], (json{{"rank", 1}, {"stages", {1, 2}}}));
  EXPECT_EQ(f["mirrors"], json::parse("[[0,0,3],[1,1,2],[2,2,1],[3,3,0]]"));
  EXPECT_EQ(f["message"], (json{{"shape", {2, 8}}, {"dtype", "float32"}}));
  const json &model = f["model"];
  EXPECT_EQ(model["loss"], "mse");
  EXPECT_EQ(model["optimizer"], (json{{"name", "sgd"}, {"lr", 0.01}}));
  EXPECT_EQ(model["seed"], 3);
  EXPECT_EQ(model["microbatch"], (json{{"size", 2}, {"hidden", 8}}));
  EXPECT_EQ(model["stages"][0]["cost"],
            (json{{"f", 1.0}, {"b", 2.0}, {"w", 1.0}}));
  Written standard = write(ScheduleKind::OneFOneB, 4, 8);
  EXPECT_FALSE(standard.file.contains("mirrors"));
}

TEST(ProgramJson, WritesAnUnknownKindAsNull) {
  Written w = write(ScheduleKind::OneFOneB, 2, 4);
  w.program.kind.reset();
  json file = programToJson(w.program, w.model, w.stages, w.message);
  EXPECT_TRUE(file["schedule"]["kind"].is_null());
  std::string error;
  auto read = programFromJson(file, error);
  ASSERT_TRUE(read) << error;
  EXPECT_FALSE(read->program.kind);
}

TEST(ProgramJson, CrossEntropyAndOptimizerSettings) {
  ModelSpec model = smallModel();
  for (auto &[key, value] : AttrMap{{"loss", "cross_entropy"},
                                    {"classes", 5},
                                    {"optimizer", "adam"},
                                    {"lr", 0.001},
                                    {"weight_decay", 0.1},
                                    {"seq_len", 3},
                                    {"dtype", "float64"}})
    model.config.set(key, value);
  Written w = write(ScheduleKind::GPipe, 2, 2, model);
  EXPECT_EQ(w.file["model"]["classes"], 5);
  EXPECT_EQ(w.file["model"]["optimizer"],
            (json{{"name", "adam"}, {"lr", 0.001}, {"weight_decay", 0.1}}));
  EXPECT_EQ(w.file["message"]["shape"], json::parse("[2,3,8]"));
  std::string error;
  auto read = programFromJson(w.file, error);
  ASSERT_TRUE(read) << error;
  EXPECT_EQ(read->model.config["classes"], 5);
  EXPECT_EQ(read->model.config["seq_len"], 3);
  EXPECT_EQ(read->model.config["dtype"], "float64");
  EXPECT_EQ(read->message.dtype, "float64");
}

TEST(ProgramJson, RejectsInconsistentTables) {
  Written w = write(ScheduleKind::DualPipe, 2, 4);
  json file = w.file;
  file["placement"][0]["stages"] = {0};
  EXPECT_EQ(readError(file),
            "placement[0].stages: does not match the dual placement [0,1]");
  file = w.file;
  file["mirrors"][1] = {1, 1, 1};
  EXPECT_EQ(readError(file), "mirrors[1]: expected [1,1,0], got [1,1,1]");
  file = w.file;
  file["schedule"]["placement"] = "standard";
  EXPECT_EQ(readError(file), "schedule.placement: schedule dualpipe uses dual "
                             "placement, not standard");
  file = w.file;
  file["schedule"]["microbatches"] = 5;
  EXPECT_EQ(readError(file), "schedule: dual placement requires an even "
                             "number of microbatches, got 5");
  file = w.file;
  file["model"]["microbatch"]["size"] = 3;
  EXPECT_EQ(readError(file), "model.microbatch: implies message shape [3,8], "
                             "but message.shape is [2,8]");
}

TEST(ProgramJson, RejectsAComputeOnTheWrongDirection) {
  Written w = write(ScheduleKind::DualPipe, 2, 4);
  json file = w.file;
  json &list = instructions(file, 0);
  size_t i = find(list, [](const json &x) {
    return x["op"] == "forward" && x["stage"] == 0;
  });
  list[i]["mb"] = 3; // a direction-1 micro-batch: stage 0 runs on rank 1
  EXPECT_EQ(readError(file), "programs[0].instructions[" + std::to_string(i) +
                                 "]: rank 0: F(stage 0, mb 3) belongs on rank "
                                 "1 (direction 1)");
}

TEST(ProgramJson, RejectsMalformedOverlaps) {
  Written w = write(ScheduleKind::DualPipe, 2, 4);
  json file = w.file;
  json &list = instructions(file, 0);
  size_t i = find(list, [](const json &x) { return x["op"] == "overlap"; });
  json &body = list[i]["body"];
  size_t backward = find(body, [](const json &x) {
    return x["op"] == "backward" || x["op"] == "backward_input";
  });
  body[backward]["op"] = "forward";
  EXPECT_EQ(readError(file),
            "programs[0].instructions[" + std::to_string(i) + "].body[" +
                std::to_string(backward) +
                "]: rank 0: overlap must pair its forward with a backward "
                "(B, I or W), got " +
                "F(stage " + body[backward]["stage"].dump() + ", mb " +
                body[backward]["mb"].dump() + ")");
  file = w.file;
  json &nested = instructions(file, 0)[i]["body"];
  nested.push_back(json{{"op", "overlap"}, {"body", json::array()}});
  EXPECT_EQ(readError(file), "programs[0].instructions[" + std::to_string(i) +
                                 "].body[" + std::to_string(nested.size() - 1) +
                                 "]: rank 0: overlap nested inside an overlap");
}

TEST(ProgramJson, RejectsTokenMisuse) {
  Written w = write(ScheduleKind::OneFOneB, 2, 2);
  json file = w.file;
  json &list = instructions(file, 1);
  size_t recv = find(list, [](const json &x) { return x["op"] == "recv"; });
  size_t wait = find(list, [&](const json &x) {
    return x["op"] == "wait" && x["token"] == list[recv]["token"];
  });
  std::string token = list[recv]["token"].dump();
  json dropped = file;
  instructions(dropped, 1).erase(wait);
  std::string error = readError(dropped);
  EXPECT_NE(error.find("(token " + token + ") is never waited"),
            std::string::npos)
      << error;
  json twice = file;
  instructions(twice, 1).insert(instructions(twice, 1).begin() + wait + 1,
                                list[wait]);
  EXPECT_EQ(readError(twice),
            "programs[1].instructions[" + std::to_string(wait + 1) +
                "]: rank 1: token " + token + " is waited twice");
  json redefined = file;
  size_t other = find(list, [&](const json &x) {
    return x["op"] == "recv" && x["token"] != list[recv]["token"];
  });
  instructions(redefined, 1)[other]["token"] = list[recv]["token"];
  EXPECT_EQ(readError(redefined), "programs[1].instructions[" +
                                      std::to_string(std::max(recv, other)) +
                                      "]: rank 1: token " + token +
                                      " is defined twice");
}

TEST(ProgramJson, RejectsDataUsedBeforeItArrives) {
  Written w = write(ScheduleKind::OneFOneB, 2, 2);
  json file = w.file;
  json &list = instructions(file, 1);
  size_t wait = find(list, [](const json &x) { return x["op"] == "wait"; });
  size_t compute =
      find(list, [](const json &x) { return x["op"] == "forward"; });
  ASSERT_LT(wait, compute);
  json moved = list[wait];
  list.erase(wait);
  list.insert(list.begin() + compute, moved); // now right after the forward
  EXPECT_EQ(readError(file),
            "programs[1].instructions[" + std::to_string(compute - 1) +
                "]: rank 1: F(stage 1, mb 0) uses activation(stage 0, mb 0) "
                "before waiting for it");
}

/// The loader's error for `program` written out, which must be the
/// verifier's first finding printed with its JSON path: the level-3 rules
/// are stated once, in verifyProgram, and the loader only runs them.
std::string loaderAndVerifierAgree(const Written &w, const Program &program) {
  std::vector<Finding> findings = verifyProgram(program, loadVerifyOptions());
  EXPECT_EQ(findings.size(), 1u);
  std::string error =
      readError(programToJson(program, w.model, w.stages, w.message));
  if (!findings.empty())
    EXPECT_EQ(error, findingText(findings.front()));
  return error;
}

TEST(ProgramJson, LoaderReportsTheVerifiersFinding) {
  Written w = write(ScheduleKind::OneFOneB, 2, 4);
  auto indexOf = [&](const Program &p, int64_t rank, InstrKind kind) {
    const std::vector<Instr> &list = p.ranks[rank];
    for (size_t i = 0; i < list.size(); ++i)
      if (list[i].kind == kind)
        return i;
    ADD_FAILURE() << "no such instruction";
    return size_t(0);
  };
  Program duplicated = w.program;
  std::vector<Instr> &rank0 = duplicated.ranks[0];
  size_t send = indexOf(duplicated, 0, InstrKind::Send);
  rank0.insert(rank0.begin() + send + 1, rank0[send]);
  EXPECT_EQ(loaderAndVerifierAgree(w, duplicated),
            "programs[0].instructions[" + std::to_string(send + 1) +
                "]: rank 0: send activation(stage 0, mb 0) to rank 1 has no "
                "matching recv on rank 1");

  Program missing = w.program;
  for (size_t i = missing.ranks[0].size(); i-- > 0;)
    if (missing.ranks[0][i].kind == InstrKind::Compute &&
        missing.ranks[0][i].op.kind == OpKind::B) {
      missing.ranks[0].erase(missing.ranks[0].begin() + i);
      break;
    }
  EXPECT_EQ(loaderAndVerifierAgree(w, missing),
            "programs[0]: rank 0: B(stage 0, mb 3) is missing");

  Program misplaced = w.program;
  size_t compute = indexOf(misplaced, 1, InstrKind::Compute);
  misplaced.ranks[1][compute].op.stage = 0;
  std::string error = loaderAndVerifierAgree(w, misplaced);
  EXPECT_EQ(error.rfind("programs[1].instructions[" + std::to_string(compute) +
                            "]: rank 1: F(stage 0, mb 0) belongs on rank 0",
                        0),
            0u)
      << error;
}

TEST(ProgramJson, DeadlockProofCanBeSkippedAtLoad) {
  // 1f1b on 2 ranks, 2 micro-batches, eager: each rank posts one recv late,
  // after a blocking send whose partner is that very recv on the other rank.
  // Every per-instruction rule still holds; only the replay finds the cycle.
  Written w = write(ScheduleKind::OneFOneB, 2, 2);
  Program program = w.program;
  auto postLate = [](std::vector<Instr> &list, size_t recv, size_t send) {
    ASSERT_EQ(list[recv].kind, InstrKind::Recv);
    ASSERT_EQ(list[send].kind, InstrKind::Send);
    Instr moved = list[recv];
    list.erase(list.begin() + recv);
    list.insert(list.begin() + send, moved); // right after the send
  };
  postLate(program.ranks[0], 0, 5); // grad(stage 1, mb 0) after act mb 1
  postLate(program.ranks[1], 1, 5); // act(stage 0, mb 1) after grad mb 0
  json file = programToJson(program, w.model, w.stages, w.message);
  std::vector<Finding> findings = verifyProgram(program, loadVerifyOptions());
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].message.rfind("deadlock: ", 0), 0u)
      << findings[0].message;
  EXPECT_EQ(readError(file), findingText(findings[0]));
  VerifyOptions noProof = loadVerifyOptions();
  noProof.deadlockFreedom = false;
  EXPECT_TRUE(verifyProgram(program, noProof).empty());
  std::string error;
  EXPECT_TRUE(programFromJson(file, error, noProof)) << error;
}

TEST(ProgramJson, RefusesDeepNestingBeforeParsing) {
  // Issue 11: a file nested 100,000 arrays deep crashed the reader.
  std::string deep = std::string(100000, '[') + std::string(100000, ']');
  std::string error;
  EXPECT_FALSE(parseJsonText(deep, error));
  EXPECT_EQ(error, "JSON nested deeper than 64 levels at byte 64");
  // Brackets in strings do not count, escaped quotes do not end them.
  std::string quoted = "{\"a\": \"" + std::string(100, '[') + "\\\"[[\"}";
  std::optional<json> parsed = parseJsonText(quoted, error);
  ASSERT_TRUE(parsed) << error;
  EXPECT_EQ((*parsed)["a"].get<std::string>().size(), 103u);
  std::string limit = std::string(64, '[') + std::string(64, ']');
  EXPECT_TRUE(parseJsonText(limit, error)) << error;
  EXPECT_EQ(checkJsonDepth(limit + std::string(65, '{'), 64),
            "JSON nested deeper than 64 levels at byte 192");
  EXPECT_FALSE(parseJsonText("{\"format\": ", error));
  EXPECT_EQ(error.rfind("not valid JSON: ", 0), 0u) << error;
}

// Issue 11: negative costs in a program file were accepted.
TEST(ProgramJson, RejectsNegativeCosts) {
  Written w = write(ScheduleKind::Interleaved1F1B, 2, 4);
  json file = w.file;
  file["model"]["stages"][1]["layers"][0]["cost"]["f"] = -1.5;
  EXPECT_EQ(readError(file),
            "model.stages[1].layers[0].cost.f: cost must be finite, >= 0 and "
            "<= 1e+100, got -1.5");
}

TEST(ProgramJson, RejectsHugeSizes) {
  Written w = write(ScheduleKind::Interleaved1F1B, 2, 4);
  json file = w.file;
  file["schedule"]["stages"] = int64_t(1) << 40;
  EXPECT_EQ(readError(file),
            "schedule: stages must be at most 262144, got 1099511627776");
}

TEST(ProgramJson, DocumentedExampleIsTheWritersOutput) {
  // docs/program-format.md shows the writer's output for this input; the
  // test keeps the two in sync.
  Written w = write(ScheduleKind::DualPipe, 2, 4);
  std::ifstream in(std::string(DUALPIPE_SOURCE_DIR) +
                   "/docs/program-format.md");
  ASSERT_TRUE(in) << "docs/program-format.md is missing";
  std::stringstream text;
  text << in.rdbuf();
  std::string doc = text.str();
  const std::string begin =
      "<!-- example: dualpipe 2 ranks 4 mb -->\n```json\n";
  size_t start = doc.find(begin);
  ASSERT_NE(start, std::string::npos) << "example marker not found";
  start += begin.size();
  size_t end = doc.find("```", start);
  EXPECT_EQ(json::parse(doc.substr(start, end - start)), w.file)
      << "regenerate the example: " << w.file.dump(1);
}

} // namespace
