//===- ScheduleBench.cpp - Cost of generating and exporting a schedule ----===//
//
// DualPipe generation alone, and generation plus PyTorch action CSV export,
// from 8 x 20 up to 64 ranks x 4096 micro-batches. Time is reported per
// compute op ("time/op"); the target is under 1 us per op, and a flat column
// across sizes shows linear scaling.
//
//   build/bin/bench-ScheduleBench --benchmark_repetitions=5 \
//       --benchmark_report_aggregates_only=true
//
//===----------------------------------------------------------------------===//

#include "dualpipe/Schedule/Generate.h"
#include "dualpipe/Schedule/TorchCsv.h"

#include <benchmark/benchmark.h>

#include <cstdlib>
#include <iostream>

using namespace dualpipe;

namespace {

Schedule generateOrDie(int64_t ranks, int64_t microbatches) {
  std::string error;
  std::optional<Schedule> schedule = generateSchedule(
      GenerateOptions{ScheduleKind::DualPipe, ranks, microbatches}, error);
  if (!schedule) {
    std::cerr << "cannot generate: " << error << "\n";
    std::exit(1);
  }
  return std::move(*schedule);
}

int64_t computeOps(const Schedule &schedule) {
  int64_t ops = 0;
  for (const std::vector<Step> &steps : schedule.ranks)
    for (const Step &step : steps)
      ops += step.isOverlap() ? 2 : 1;
  return ops;
}

void reportPerOp(benchmark::State &state, int64_t ops) {
  state.counters["ops"] = static_cast<double>(ops);
  // An inverted rate prints as a time with its SI prefix, e.g. "21.1ns".
  state.counters["time/op"] = benchmark::Counter(
      static_cast<double>(ops), benchmark::Counter::kIsIterationInvariantRate |
                                    benchmark::Counter::kInvert);
}

void BM_Generate(benchmark::State &state) {
  for (auto _ : state)
    benchmark::DoNotOptimize(generateOrDie(state.range(0), state.range(1)));
  reportPerOp(state, computeOps(generateOrDie(state.range(0), state.range(1))));
}

void BM_GenerateExportCsv(benchmark::State &state) {
  size_t bytes = 0;
  for (auto _ : state) {
    std::string csv =
        exportTorchCsv(generateOrDie(state.range(0), state.range(1)));
    bytes = csv.size();
    benchmark::DoNotOptimize(csv);
  }
  state.counters["csv_bytes"] = static_cast<double>(bytes);
  reportPerOp(state, computeOps(generateOrDie(state.range(0), state.range(1))));
}

void sizes(benchmark::internal::Benchmark *bench) {
  bench->ArgNames({"ranks", "mbs"});
  bench->Args({8, 20});
  bench->Args({16, 64});
  bench->Args({64, 1024});
  bench->Args({64, 4096});
  bench->Unit(benchmark::kMicrosecond);
}

BENCHMARK(BM_Generate)->Apply(sizes);
BENCHMARK(BM_GenerateExportCsv)->Apply(sizes);

} // namespace

BENCHMARK_MAIN();
