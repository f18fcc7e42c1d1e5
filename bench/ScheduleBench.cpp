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

#include "BenchUtil.h"

#include "dualpipe/Schedule/TorchCsv.h"

using namespace dualpipe;
using namespace dualpipe::bench;

namespace {

/// DualPipe at (ranks, micro-batches) = the benchmark's arguments.
Schedule dualPipeOf(const benchmark::State &state) {
  return generateOrDie(ScheduleKind::DualPipe, state.range(0), state.range(1));
}

void BM_Generate(benchmark::State &state) {
  for (auto _ : state)
    benchmark::DoNotOptimize(dualPipeOf(state));
  reportPerOp(state, computeOps(dualPipeOf(state)));
}

void BM_GenerateExportCsv(benchmark::State &state) {
  size_t bytes = 0;
  for (auto _ : state) {
    std::string csv = exportTorchCsv(dualPipeOf(state));
    bytes = csv.size();
    benchmark::DoNotOptimize(csv);
  }
  state.counters["csv_bytes"] = static_cast<double>(bytes);
  reportPerOp(state, computeOps(dualPipeOf(state)));
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
