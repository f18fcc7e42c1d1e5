//===- BenchUtil.h - Shared pieces of the schedule benchmarks ---*- C++ -*-===//
//
// A benchmark has no test framework to report a bad setup to: these helpers
// print the reason and exit.
//
//===----------------------------------------------------------------------===//
#ifndef DUALPIPE_BENCH_BENCHUTIL_H
#define DUALPIPE_BENCH_BENCHUTIL_H

#include "dualpipe/Schedule/Generate.h"
#include "dualpipe/Schedule/Lower.h"

#include <benchmark/benchmark.h>

#include <cstdlib>
#include <iostream>

namespace dualpipe::bench {

inline Schedule generateOrDie(ScheduleKind kind, int64_t ranks,
                              int64_t microbatches) {
  std::vector<Finding> findings;
  std::optional<Schedule> schedule =
      generateSchedule(GenerateOptions{kind, ranks, microbatches}, findings);
  if (!schedule) {
    std::cerr << "cannot generate: " << firstFindingText(findings) << "\n";
    std::exit(1);
  }
  return std::move(*schedule);
}

inline Program lowerOrDie(const Schedule &schedule, CommPolicy policy) {
  std::vector<Finding> findings;
  std::optional<Program> program =
      lowerSchedule(schedule, ScheduleCommOptions{policy}, findings);
  if (!program) {
    std::cerr << "cannot lower: " << firstFindingText(findings) << "\n";
    std::exit(1);
  }
  return std::move(*program);
}

/// Compute ops of a schedule, an overlapped pair counting two.
inline int64_t computeOps(const Schedule &schedule) {
  int64_t ops = 0;
  for (const std::vector<Step> &steps : schedule.ranks)
    for (const Step &step : steps)
      ops += step.isOverlap() ? 2 : 1;
  return ops;
}

/// Sets the "ops" counter and "time/op", an inverted rate that prints as a
/// time with its SI prefix (e.g. "21.1ns"), flat across sizes when the cost
/// is linear.
inline void reportPerOp(benchmark::State &state, int64_t ops) {
  state.counters["ops"] = static_cast<double>(ops);
  state.counters["time/op"] = benchmark::Counter(
      static_cast<double>(ops), benchmark::Counter::kIsIterationInvariantRate |
                                    benchmark::Counter::kInvert);
}

} // namespace dualpipe::bench

#endif // DUALPIPE_BENCH_BENCHUTIL_H
