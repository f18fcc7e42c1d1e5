//===- ProgramLoadBench.cpp - Loading a program file ----------------------===//
//
// What the runtime pays before any rank starts: parsing the text and
// programFromJson, which runs verifyProgram once. The two variants tell
// whether the deadlock proof is worth skipping at load time
// (VerifyOptions::deadlockFreedom); ParseOnly is the floor.
//
//   build/bin/bench-ProgramLoadBench
//
//===----------------------------------------------------------------------===//

#include "BenchUtil.h"

#include "JsonText.h"
#include "ProgramJsonTree.h"

#include <nlohmann/json.hpp>

using namespace dualpipe;
using namespace dualpipe::bench;

namespace {

/// The program file of DualPipe on ranks x microbatches, one mlp layer per
/// stage, as dualpipe-translate --pipe-to-program writes it.
std::string programText(int64_t ranks, int64_t microbatches) {
  Program program =
      lowerOrDie(generateOrDie(ScheduleKind::DualPipe, ranks, microbatches),
                 CommPolicy::Eager);
  ModelSpec model;
  model.name = "bench";
  LayerSpec layer;
  layer.kernel = "mlp";
  layer.repeat = program.placement.stages;
  layer.attrs = {{"hidden", 8}, {"ffn", 16}};
  model.layers = {layer};
  model.config = {{"microbatch_size", 2}, {"hidden", 8}};
  std::vector<Finding> findings;
  auto stages = partitionStages(model, program.placement.stages, {},
                                std::nullopt, findings);
  std::string error = firstFindingText(findings);
  auto message = stages ? messageSpec(model, error) : std::nullopt;
  if (!stages || !message) {
    std::cerr << "cannot build the model: " << error << "\n";
    std::exit(1);
  }
  return programToJson(program, model, *stages, *message).dump();
}

void load(benchmark::State &state, bool parseOnly, bool deadlockFreedom) {
  std::string text = programText(state.range(0), state.range(1));
  VerifyOptions options = loadVerifyOptions();
  options.deadlockFreedom = deadlockFreedom;
  for (auto _ : state) {
    std::string error;
    std::optional<nlohmann::json> json = parseJsonText(text, error);
    if (json && !parseOnly && !programFromJson(*json, error, options))
      json.reset();
    if (!json)
      state.SkipWithError(error.c_str());
    benchmark::DoNotOptimize(json);
  }
  state.counters["bytes"] = static_cast<double>(text.size());
}

void BM_ParseOnly(benchmark::State &state) { load(state, true, true); }
void BM_LoadWithDeadlockProof(benchmark::State &state) {
  load(state, false, true);
}
void BM_LoadWithoutDeadlockProof(benchmark::State &state) {
  load(state, false, false);
}

} // namespace

BENCHMARK(BM_ParseOnly)->Args({64, 1024})->Unit(benchmark::kMillisecond);
BENCHMARK(BM_LoadWithDeadlockProof)
    ->Args({8, 64})
    ->Args({64, 1024})
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_LoadWithoutDeadlockProof)
    ->Args({8, 64})
    ->Args({64, 1024})
    ->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();
