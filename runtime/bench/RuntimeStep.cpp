//===- RuntimeStep.cpp - Executor overhead and step time ------------------===//
//
// Two questions, on the threads backend with one intra-op thread per rank:
//  * Overhead (BM_ExecutorOverhead): with identity stages (no parameters, no
//    matrix work), how long does a step take per instruction? Reported as
//      us_per_instr = step time / instr_per_rank,
//    instr_per_rank being the instructions of the busiest rank, every
//    instruction of an overlap body counted (an overlap itself is not). The
//    target is under 5 us. compute_us_per_instr splits off the part spent
//    inside the identity stages' own forward/backward calls (autograd, the
//    mse loss on the last stage), measured in a separate traced pass after
//    the timed loop, so the timed steps run exactly as dualpipe-run's.
//  * Step time (BM_PipelineStep): the 8-layer MLP model (hidden 256, ffn
//    1024, 32 rows per micro-batch) under every schedule kind, 4 ranks, 8
//    micro-batches, against the same model trained sequentially in one
//    thread. ratio_to_sequential = pipeline step time / sequential step
//    time, the sequential step (seq_ms) being measured in the same run right
//    before the pipeline's, so both see the same machine load.
//    BM_SequentialStep times the sequential step on its own.
// Ranks are long-lived threads, so a measured step is exactly what
// RankExecutor::runStep, the mirror reduction and the optimizer cost (what
// dualpipe-run times per step, without its per-step loss gather). One
// untimed warm-up step precedes every timed loop; the MLP benchmarks run at
// least 3 s (several steps) per repetition.
//
// Re-run (docs/runtime.md, "Performance"):
//   bench-RuntimeStep --benchmark_repetitions=5 \
//       --benchmark_report_aggregates_only=true
//
//===----------------------------------------------------------------------===//

#include "LoadProgram.h"

#include "dualpipe/Runtime/Executor.h"
#include "dualpipe/Runtime/Stage.h"

#include <benchmark/benchmark.h>

#include <chrono>
#include <condition_variable>
#include <thread>

using namespace dualpipe;
using namespace dualpipe::runtime;
using namespace dualpipe::testing;

namespace {

using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

runtime::LoadedProgram load(const TestSchedule &schedule,
                            const TestModel &model) {
  return loadProgramOrThrow(schedule, model);
}

/// Instructions the executor runs: top-level ones, an overlap counting as
/// the instructions of its body.
int64_t executedInstructions(const std::vector<Instr> &list) {
  int64_t count = 0;
  for (const Instr &instr : list)
    count += instr.kind == InstrKind::Overlap
                 ? static_cast<int64_t>(instr.body.size())
                 : 1;
  return count;
}

/// Every rank of a program as a long-lived thread that runs one training
/// step (runStep, reduceMirrors, optimizerStep) each time step() is called.
class PersistentRanks {
public:
  PersistentRanks(const runtime::LoadedProgram &program,
                  ExecutorOptions options)
      : hub_(program.placement().ranks),
        computeUs_(program.placement().ranks, 0.0) {
    int64_t ranks = program.placement().ranks;
    for (int64_t r = 0; r < ranks; ++r) {
      endpoints_.push_back(hub_.endpoint(r));
      executors_.push_back(
          std::make_unique<RankExecutor>(program, r, *endpoints_[r], options));
      maxInstructions_ = std::max(
          maxInstructions_, executedInstructions(program.program().ranks[r]));
    }
    for (int64_t r = 0; r < ranks; ++r)
      threads_.emplace_back([this, r] { loop(r); });
  }
  ~PersistentRanks() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
    }
    changed_.notify_all();
    for (auto &thread : threads_)
      thread.join();
  }
  /// Runs one step on every rank; returns an error message or "".
  std::string step() {
    std::unique_lock<std::mutex> lock(mutex_);
    ++generation_;
    done_ = 0;
    changed_.notify_all();
    changed_.wait(lock, [&] { return done_ == threads_.size(); });
    return error_;
  }
  /// Instructions of the busiest rank (see executedInstructions).
  int64_t maxInstructions() const { return maxInstructions_; }
  /// With ExecutorOptions::trace: per rank, the microseconds spent inside
  /// stage compute calls, summed over the steps run so far (an overlapped
  /// pair counts once, from its first start to its last end).
  const std::vector<double> &computeUs() const { return computeUs_; }

private:
  void loop(int64_t rank) {
    torch::set_num_threads(1);
    int64_t seen = 0;
    for (;;) {
      {
        std::unique_lock<std::mutex> lock(mutex_);
        changed_.wait(lock, [&] { return stop_ || generation_ != seen; });
        if (stop_)
          return;
        seen = generation_;
      }
      std::string error;
      double busy = 0;
      try {
        StepResult result = executors_[rank]->runStep(seen);
        for (const ComputeInterval &interval : result.timeline.compute)
          busy += interval.end - interval.start;
        executors_[rank]->reduceMirrors();
        executors_[rank]->optimizerStep();
      } catch (const std::exception &e) {
        error = e.what();
      }
      std::lock_guard<std::mutex> lock(mutex_);
      computeUs_[rank] += busy;
      if (!error.empty() && error_.empty())
        error_ = error;
      ++done_;
      changed_.notify_all();
    }
  }

  ThreadsHub hub_;
  std::vector<std::unique_ptr<Transport>> endpoints_;
  std::vector<std::unique_ptr<RankExecutor>> executors_;
  std::vector<std::thread> threads_;
  std::vector<double> computeUs_;
  int64_t maxInstructions_ = 0;
  std::mutex mutex_;
  std::condition_variable changed_;
  int64_t generation_ = 0;
  size_t done_ = 0;
  bool stop_ = false;
  std::string error_;
};

/// The model trained sequentially in the calling thread: every micro-batch
/// forward through all stages and straight back (one copy per stage), then
/// the optimizer, the way the --check reference runs it.
class SequentialModel {
public:
  explicit SequentialModel(const runtime::LoadedProgram &program)
      : microbatches_(program.placement().microbatches), data_(program.config) {
    for (const StageSpec &spec : program.file.stages)
      stages_.push_back(std::make_unique<StageWorker>(spec, program));
  }
  void step() {
    for (auto &stage : stages_)
      stage->zeroGrad();
    for (int64_t mb = 0; mb < microbatches_; ++mb) {
      torch::Tensor x = data_.input(0, mb);
      for (auto &stage : stages_)
        x = stage->forward(mb, x);
      torch::Tensor grad;
      for (auto it = stages_.rbegin(); it != stages_.rend(); ++it)
        grad = (*it)->backward(mb, grad);
    }
    for (auto &stage : stages_)
      stage->optimizerStep();
  }

private:
  int64_t microbatches_;
  DataSource data_;
  std::vector<std::unique_ptr<StageWorker>> stages_;
};

ScheduleKind kindAt(int64_t index) { return allScheduleKinds().at(index); }

TestModel identityModel() {
  TestModel model;
  model.kernel = "identity";
  model.hidden = 4;
  model.rows = 1;
  return model;
}

TestModel mlpModel() {
  TestModel model;
  model.kernel = "mlp";
  model.hidden = 256;
  model.ffn = 1024;
  model.rows = 32;
  model.layers = 8; // the same model for 4- and 8-stage schedules
  return model;
}

/// Times `step` in the benchmark loop; returns seconds per iteration, or a
/// negative value after reporting an error.
template <typename Step> double timedLoop(benchmark::State &state, Step step) {
  if (std::string error = step(); !error.empty()) { // warm-up
    state.SkipWithError(error.c_str());
    return -1;
  }
  auto start = Clock::now();
  for (auto _ : state)
    if (std::string error = step(); !error.empty()) {
      state.SkipWithError(error.c_str());
      return -1;
    }
  return secondsSince(start) / static_cast<double>(state.iterations());
}

/// Args: kind index, ranks, micro-batches.
void BM_ExecutorOverhead(benchmark::State &state) {
  torch::set_num_threads(1);
  ScheduleKind kind = kindAt(state.range(0));
  auto program =
      load(schedule(kind, state.range(1), state.range(2)), identityModel());
  state.SetLabel(std::string(toString(kind)));
  int64_t instructions = 0;
  double seconds = 0;
  {
    PersistentRanks ranks(program, ExecutorOptions());
    instructions = ranks.maxInstructions();
    seconds = timedLoop(state, [&] { return ranks.step(); });
  }
  if (seconds < 0)
    return;
  // Untimed: the same steps with the executor's compute timeline on.
  constexpr int kTracedSteps = 20;
  ExecutorOptions traced;
  traced.trace = true;
  PersistentRanks ranks(program, traced);
  for (int i = 0; i < kTracedSteps; ++i)
    if (std::string error = ranks.step(); !error.empty()) {
      state.SkipWithError(error.c_str());
      return;
    }
  double computeUs = 0;
  for (double us : ranks.computeUs())
    computeUs = std::max(computeUs, us / kTracedSteps);
  state.counters["instr_per_rank"] = double(instructions);
  state.counters["us_per_instr"] = seconds * 1e6 / double(instructions);
  state.counters["compute_us_per_instr"] = computeUs / double(instructions);
}

/// Args: kind index; 4 ranks, 8 micro-batches of the MLP model.
void BM_PipelineStep(benchmark::State &state) {
  torch::set_num_threads(1);
  ScheduleKind kind = kindAt(state.range(0));
  auto program = load(schedule(kind, 4, 8), mlpModel());
  state.SetLabel(std::string(toString(kind)));
  // The sequential step of the same model, right before the pipeline's
  // (the mean of two steps after a warm-up step).
  double sequential = 0;
  {
    constexpr int kSteps = 2;
    SequentialModel model(program);
    model.step(); // warm-up
    auto start = Clock::now();
    for (int i = 0; i < kSteps; ++i)
      model.step();
    sequential = secondsSince(start) / kSteps;
  }
  PersistentRanks ranks(program, ExecutorOptions());
  double seconds = timedLoop(state, [&] { return ranks.step(); });
  if (seconds < 0)
    return;
  state.counters["seq_ms"] = sequential * 1e3;
  state.counters["ratio_to_sequential"] = seconds / sequential;
}

/// The same 8-layer MLP trained sequentially in one thread (the 1F1B
/// program's 4-stage partition; the partition does not change the work).
void BM_SequentialStep(benchmark::State &state) {
  torch::set_num_threads(1);
  auto program = load(schedule(ScheduleKind::OneFOneB, 4, 8), mlpModel());
  SequentialModel model(program);
  timedLoop(state, [&] {
    model.step();
    return std::string();
  });
}

void overheadArgs(benchmark::internal::Benchmark *b) {
  for (int64_t kind = 0; kind < int64_t(allScheduleKinds().size()); ++kind)
    b->Args({kind, 2, 32});
}

void kindArgs(benchmark::internal::Benchmark *b) {
  for (int64_t kind = 0; kind < int64_t(allScheduleKinds().size()); ++kind)
    b->Args({kind});
}

} // namespace

BENCHMARK(BM_ExecutorOverhead)
    ->Apply(overheadArgs)
    ->Unit(benchmark::kMicrosecond)
    ->UseRealTime();
// A step takes about a second: at least 3 s per run averages several steps,
// which a shared machine needs.
BENCHMARK(BM_PipelineStep)
    ->Apply(kindArgs)
    ->Unit(benchmark::kMillisecond)
    ->MinTime(3)
    ->UseRealTime();
BENCHMARK(BM_SequentialStep)
    ->Unit(benchmark::kMillisecond)
    ->MinTime(3)
    ->UseRealTime();

BENCHMARK_MAIN();
