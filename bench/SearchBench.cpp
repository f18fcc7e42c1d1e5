//===- SearchBench.cpp - Time of the kind=auto search by schedule size ----===//
//
// The whole search (fixed-kind seeds, the list scheduler on every
// placement, local improvement, simulations) under F = 1, B = 2, W = 1 per
// chunk, equal or with the first and last chunk twice as heavy (where auto
// also tries deeper interleaving), with and without a 1F1B-sized activation
// budget (max-activations = ranks), from 4 x 8 to 64 x 256 (ranks x
// micro-batches). Issue 14's target is
// under 2 s at 16 x 64. docs/schedules.md reports the medians of
//
//   build/bin/bench-SearchBench --benchmark_repetitions=5 \
//       --benchmark_report_aggregates_only=true
//
//===----------------------------------------------------------------------===//

#include "BenchUtil.h"

using namespace dualpipe;
using namespace dualpipe::bench;

namespace {

Schedule searched(const benchmark::State &state, bool budget,
                  bool heavyEnds = false) {
  GenerateOptions options{ScheduleKind::Auto, state.range(0), state.range(1)};
  if (budget)
    options.maxActivations = state.range(0);
  if (heavyEnds) {
    CostModel cost;
    cost.stages.resize(state.range(0));
    for (StageCost *end : {&cost.stages.front(), &cost.stages.back()})
      *end = StageCost{2, 4, 2};
    options.cost = cost;
  }
  std::vector<Finding> findings;
  std::optional<Schedule> schedule = generateSchedule(options, findings);
  if (!schedule) {
    std::cerr << "cannot search: " << firstFindingText(findings) << "\n";
    std::exit(1);
  }
  return std::move(*schedule);
}

void BM_Auto(benchmark::State &state) {
  for (auto _ : state)
    benchmark::DoNotOptimize(searched(state, false));
  reportPerOp(state, computeOps(searched(state, false)));
}

void BM_AutoBudget(benchmark::State &state) {
  for (auto _ : state)
    benchmark::DoNotOptimize(searched(state, true));
  reportPerOp(state, computeOps(searched(state, true)));
}

void BM_AutoHeavyEnds(benchmark::State &state) {
  for (auto _ : state)
    benchmark::DoNotOptimize(searched(state, false, true));
  reportPerOp(state, computeOps(searched(state, false, true)));
}

void BM_AutoHeavyEndsBudget(benchmark::State &state) {
  for (auto _ : state)
    benchmark::DoNotOptimize(searched(state, true, true));
  reportPerOp(state, computeOps(searched(state, true, true)));
}

void sizes(benchmark::internal::Benchmark *bench) {
  bench->ArgNames({"ranks", "mbs"});
  bench->Args({4, 8});
  bench->Args({8, 16});
  bench->Args({8, 64});
  bench->Args({16, 32});
  bench->Args({16, 64});
  bench->Args({32, 128});
  bench->Args({64, 256});
  bench->Unit(benchmark::kMillisecond);
}

BENCHMARK(BM_Auto)->Apply(sizes);
BENCHMARK(BM_AutoBudget)->Apply(sizes);
BENCHMARK(BM_AutoHeavyEnds)->Apply(sizes);
BENCHMARK(BM_AutoHeavyEndsBudget)->Apply(sizes);

} // namespace

BENCHMARK_MAIN();
