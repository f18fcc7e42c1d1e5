//===- SimulateBench.cpp - Simulator throughput ---------------------------===//
//
// The target: replaying DualPipe on 64 ranks x 1024 micro-batches (about one
// million level-3 instructions) in well under a second, so that the planner
// can try every kind interactively.
//
//   build/bin/bench-SimulateBench --benchmark_filter=DualPipe
//
//===----------------------------------------------------------------------===//

#include "BenchUtil.h"

#include "dualpipe/Schedule/Simulate.h"

using namespace dualpipe;
using namespace dualpipe::bench;

namespace {

int64_t countInstrs(const Program &p) {
  int64_t n = 0;
  for (const auto &rank : p.ranks)
    for (const Instr &i : rank)
      n += 1 + static_cast<int64_t>(i.body.size());
  return n;
}

/// simulate(Program) alone: the level-3 replay, lowering done beforehand.
void replayProgram(benchmark::State &state, ScheduleKind kind) {
  Program p = lowerOrDie(generateOrDie(kind, state.range(0), state.range(1)),
                         CommPolicy::Eager);
  CostModel cost;
  cost.uniform.fb = 2.5;
  for (auto _ : state) {
    std::vector<Finding> findings;
    std::optional<SimResult> r = simulate(p, cost, findings);
    if (!r)
      state.SkipWithError(joinFindings(findings).c_str());
    benchmark::DoNotOptimize(r);
  }
  state.counters["instrs"] = static_cast<double>(countInstrs(p));
  state.counters["instrs/s"] =
      benchmark::Counter(static_cast<double>(countInstrs(p)),
                         benchmark::Counter::kIsIterationInvariantRate);
}

/// simulate(Schedule): eager lowering plus replay, as the planner runs it.
void lowerAndReplay(benchmark::State &state, ScheduleKind kind) {
  Schedule s = generateOrDie(kind, state.range(0), state.range(1));
  CostModel cost;
  for (auto _ : state) {
    std::vector<Finding> findings;
    std::optional<SimResult> r = simulate(s, cost, findings);
    if (!r)
      state.SkipWithError(joinFindings(findings).c_str());
    benchmark::DoNotOptimize(r);
  }
}

void BM_ReplayDualPipe(benchmark::State &state) {
  replayProgram(state, ScheduleKind::DualPipe);
}
void BM_ReplayOneFOneB(benchmark::State &state) {
  replayProgram(state, ScheduleKind::OneFOneB);
}
void BM_LowerAndReplayDualPipe(benchmark::State &state) {
  lowerAndReplay(state, ScheduleKind::DualPipe);
}

} // namespace

BENCHMARK(BM_ReplayDualPipe)
    ->Args({8, 20})
    ->Args({64, 256})
    ->Args({64, 1024})
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ReplayOneFOneB)->Args({64, 1024})->Unit(benchmark::kMillisecond);
BENCHMARK(BM_LowerAndReplayDualPipe)
    ->Args({64, 1024})
    ->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();
