//===- LowerBench.cpp - Cost of lowering and verifying a schedule ---------===//
//
// The full path from options to a verified level-3 program (generate ->
// insertComm -> fuseOverlap -> scheduleComm -> verifyProgram), and each step
// alone, over DualPipe sizes up to 64 ranks x 1024 micro-batches. Time is
// reported per compute op ("time/op") so that linear scaling shows as a flat
// column.
//
//===----------------------------------------------------------------------===//

#include "BenchUtil.h"

#include "dualpipe/Schedule/Verify.h"

using namespace dualpipe;
using namespace dualpipe::bench;

namespace {

/// DualPipe, or DualPipeV when the third argument is 1, at (ranks,
/// micro-batches) = the first two.
Schedule scheduleOf(const benchmark::State &state) {
  return generateOrDie(state.range(2) ? ScheduleKind::DualPipeV
                                      : ScheduleKind::DualPipe,
                       state.range(0), state.range(1));
}

/// Everything a compiler run does for one schedule, verified at the end
/// under the matching the policy is made for.
void pipelineBench(benchmark::State &state, CommPolicy policy,
                   MessageMatching matching) {
  Schedule probe = scheduleOf(state);
  VerifyOptions options;
  options.matching = matching;
  for (auto _ : state) {
    Schedule schedule = scheduleOf(state);
    Program program = lowerOrDie(schedule, policy);
    std::vector<Finding> findings = verifyProgram(program, options);
    if (!findings.empty())
      state.SkipWithError(findings.front().message.c_str());
    benchmark::DoNotOptimize(findings);
  }
  reportPerOp(state, computeOps(probe));
}
void BM_Pipeline(benchmark::State &state) {
  pipelineBench(state, CommPolicy::Eager, MessageMatching::ByKey);
}
/// The same for NCCL: the in-order policy, proven under in-order matching.
void BM_PipelineInOrder(benchmark::State &state) {
  pipelineBench(state, CommPolicy::InOrder, MessageMatching::InOrder);
}

void BM_InsertComm(benchmark::State &state) {
  Schedule schedule = scheduleOf(state);
  for (auto _ : state)
    benchmark::DoNotOptimize(insertComm(schedule));
  reportPerOp(state, computeOps(schedule));
}

void BM_FuseOverlap(benchmark::State &state) {
  Schedule schedule = scheduleOf(state);
  Program inserted = insertComm(schedule);
  for (auto _ : state) {
    state.PauseTiming();
    Program program = inserted;
    state.ResumeTiming();
    fuseOverlap(program);
    benchmark::DoNotOptimize(program);
  }
  reportPerOp(state, computeOps(schedule));
}

void scheduleCommBench(benchmark::State &state, CommPolicy policy) {
  Schedule schedule = scheduleOf(state);
  Program fused = insertComm(schedule);
  fuseOverlap(fused);
  for (auto _ : state) {
    state.PauseTiming();
    Program program = fused;
    state.ResumeTiming();
    std::vector<Finding> findings =
        scheduleComm(program, ScheduleCommOptions{policy, -1});
    if (!findings.empty())
      state.SkipWithError(findings.front().message.c_str());
    benchmark::DoNotOptimize(program);
  }
  reportPerOp(state, computeOps(schedule));
}
void BM_ScheduleCommEager(benchmark::State &state) {
  scheduleCommBench(state, CommPolicy::Eager);
}
void BM_ScheduleCommReference(benchmark::State &state) {
  scheduleCommBench(state, CommPolicy::Reference);
}
void BM_ScheduleCommInOrder(benchmark::State &state) {
  scheduleCommBench(state, CommPolicy::InOrder);
}

void BM_VerifySchedule(benchmark::State &state) {
  Schedule schedule = scheduleOf(state);
  for (auto _ : state)
    benchmark::DoNotOptimize(verifySchedule(schedule));
  reportPerOp(state, computeOps(schedule));
}

/// Times `check` on the program that `policy` lowers the schedule to.
template <typename Check>
void programBench(benchmark::State &state, CommPolicy policy, Check check) {
  Schedule schedule = scheduleOf(state);
  Program program = lowerOrDie(schedule, policy);
  for (auto _ : state)
    benchmark::DoNotOptimize(check(program));
  reportPerOp(state, computeOps(schedule));
}

VerifyOptions matchingOf(MessageMatching matching) {
  VerifyOptions options;
  options.matching = matching;
  return options;
}

void BM_VerifyProgram(benchmark::State &state) {
  programBench(state, CommPolicy::Reference,
               [](const Program &p) { return verifyProgram(p); });
}

/// One in-order program verified under either matching: what proving it
/// for NCCL costs over proving it by key.
void BM_VerifyInOrderProgramByKey(benchmark::State &state) {
  programBench(state, CommPolicy::InOrder, [](const Program &p) {
    return verifyProgram(p, matchingOf(MessageMatching::ByKey));
  });
}
void BM_VerifyInOrderProgramInOrder(benchmark::State &state) {
  programBench(state, CommPolicy::InOrder, [](const Program &p) {
    return verifyProgram(p, matchingOf(MessageMatching::InOrder));
  });
}

void BM_CheckInOrder(benchmark::State &state) {
  programBench(state, CommPolicy::InOrder,
               [](const Program &p) { return checkInOrder(p); });
}

void BM_FindDeadlock(benchmark::State &state) {
  programBench(state, CommPolicy::Reference,
               [](const Program &p) { return findDeadlock(p); });
}

/// (ranks, micro-batches, 0 = DualPipe / 1 = DualPipeV): the micro-batch
/// sweep at 64 ranks shows linearity; the last row is the headline size.
void sizes(benchmark::internal::Benchmark *bench) {
  bench->ArgNames({"ranks", "mbs", "v"});
  for (int64_t mbs : {128, 256, 512, 1024})
    bench->Args({64, mbs, 0});
  bench->Args({8, 1024, 0});
  bench->Args({32, 1024, 1});
  bench->Unit(benchmark::kMillisecond);
}

BENCHMARK(BM_Pipeline)->Apply(sizes);
BENCHMARK(BM_PipelineInOrder)->Apply(sizes);
BENCHMARK(BM_InsertComm)->Apply(sizes);
BENCHMARK(BM_FuseOverlap)->Apply(sizes);
BENCHMARK(BM_ScheduleCommEager)->Apply(sizes);
BENCHMARK(BM_ScheduleCommReference)->Apply(sizes);
BENCHMARK(BM_ScheduleCommInOrder)->Apply(sizes);
BENCHMARK(BM_VerifySchedule)->Apply(sizes);
BENCHMARK(BM_VerifyProgram)->Apply(sizes);
BENCHMARK(BM_VerifyInOrderProgramByKey)->Apply(sizes);
BENCHMARK(BM_VerifyInOrderProgramInOrder)->Apply(sizes);
BENCHMARK(BM_CheckInOrder)->Apply(sizes);
BENCHMARK(BM_FindDeadlock)->Apply(sizes);

} // namespace

BENCHMARK_MAIN();
