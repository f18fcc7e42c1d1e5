//===- SearchBench.cpp - Time of the kind=auto search by schedule size ----===//
//
// The whole search (fixed-kind seeds, the list scheduler on every
// placement, local improvement, simulations) under F = 1, B = 2, W = 1 per
// chunk, equal or with the first and last chunk twice as heavy (where auto
// also tries deeper interleaving and uneven cuts), without a budget and
// with 1F1B's activation budget, as a count (max-activations = ranks) and
// in bytes (1 GiB per chunk, ranks GiB), from 4 x 8 to 64 x 256 (ranks x
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

enum class Budget {
  None,
  Count, // max-activations = ranks, 1F1B's count
  Bytes, // 1 GiB per chunk's activation, ranks GiB: 1F1B's bytes
};

Schedule searched(const benchmark::State &state, Budget budget,
                  bool heavyEnds = false) {
  int64_t ranks = state.range(0);
  GenerateOptions options{ScheduleKind::Auto, ranks, state.range(1)};
  CostModel cost;
  if (budget == Budget::Count)
    options.maxActivations = ranks;
  if (budget == Budget::Bytes) {
    cost.uniform.activationBytes = double(int64_t(1) << 30);
    options.maxActivationBytes = double(ranks) * double(int64_t(1) << 30);
  }
  if (heavyEnds) {
    cost.stages.assign(ranks, cost.uniform);
    for (StageCost *end : {&cost.stages.front(), &cost.stages.back()}) {
      end->f = 2;
      end->b = 4;
      end->w = 2;
    }
  }
  options.cost = cost;
  std::vector<Finding> findings;
  std::optional<Schedule> schedule = generateSchedule(options, findings);
  if (!schedule) {
    std::cerr << "cannot search: " << firstFindingText(findings) << "\n";
    std::exit(1);
  }
  return std::move(*schedule);
}

void searchLoop(benchmark::State &state, Budget budget, bool heavyEnds) {
  for (auto _ : state)
    benchmark::DoNotOptimize(searched(state, budget, heavyEnds));
  reportPerOp(state, computeOps(searched(state, budget, heavyEnds)));
}

void BM_Auto(benchmark::State &state) {
  searchLoop(state, Budget::None, false);
}

void BM_AutoBudget(benchmark::State &state) {
  searchLoop(state, Budget::Count, false);
}

void BM_AutoBytes(benchmark::State &state) {
  searchLoop(state, Budget::Bytes, false);
}

void BM_AutoHeavyEnds(benchmark::State &state) {
  searchLoop(state, Budget::None, true);
}

void BM_AutoHeavyEndsBudget(benchmark::State &state) {
  searchLoop(state, Budget::Count, true);
}

void BM_AutoHeavyEndsBytes(benchmark::State &state) {
  searchLoop(state, Budget::Bytes, true);
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
BENCHMARK(BM_AutoBytes)->Apply(sizes);
BENCHMARK(BM_AutoHeavyEnds)->Apply(sizes);
BENCHMARK(BM_AutoHeavyEndsBudget)->Apply(sizes);
BENCHMARK(BM_AutoHeavyEndsBytes)->Apply(sizes);

} // namespace

BENCHMARK_MAIN();
