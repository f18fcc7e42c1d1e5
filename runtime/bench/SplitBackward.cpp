//===- SplitBackward.cpp - A split backward against a full one ------------===//
//
// Does backward_input + backward_weight cost what a full backward costs? One
// middle stage (4 layers: it receives a gradient and sends one) of each
// built-in kernel, one intra-op thread:
//  * BM_Backward/<kernel>/full: backward(mb) after a forward;
//  * BM_Backward/<kernel>/split: backwardInput(mb) then backwardWeight(mb).
// The forward runs with the timer paused. With the WeightGradStore the
// split does the full backward's matrix products (per linear: dX = dY W in
// the input pass, dW = dY^T X in the weight pass), so the ratio of the
// medians should be about 1; docs/checkpoints.md has the figures.
//
// Re-run:
//   bench-SplitBackward --benchmark_repetitions=5 \
//       --benchmark_report_aggregates_only=true
//
//===----------------------------------------------------------------------===//

#include "LoadProgram.h"

#include "dualpipe/Runtime/Stage.h"

#include <benchmark/benchmark.h>

using namespace dualpipe;
using namespace dualpipe::runtime;
using namespace dualpipe::testing;

namespace {

runtime::LoadedProgram load(const TestModel &model) {
  return loadProgramOrThrow(schedule(ScheduleKind::OneFOneB, 3, 3), model);
}

TestModel kernelModel(int64_t kernel) {
  TestModel model;
  model.layersPerStage = 4;
  if (kernel == 0) {
    model.kernel = "mlp";
    model.hidden = 256;
    model.ffn = 1024;
    model.rows = 32;
  } else {
    model.kernel = "transformer";
    model.hidden = 128;
    model.heads = 4;
    model.ffn = 512;
    model.seqLen = 64;
    model.rows = 4;
  }
  return model;
}

void BM_Backward(benchmark::State &state) {
  torch::set_num_threads(1);
  bool split = state.range(1) != 0;
  runtime::LoadedProgram program = load(kernelModel(state.range(0)));
  StageWorker worker(program.file.stages[1], program);
  at::Generator gen = seededGenerator({1});
  torch::Tensor input = torch::randn(program.config.messageShape, gen);
  torch::Tensor gradOutput = torch::randn(program.config.messageShape, gen);
  int64_t mb = 0;
  for (auto _ : state) {
    state.PauseTiming();
    worker.zeroGrad();
    worker.forward(mb, input);
    state.ResumeTiming();
    if (split) {
      benchmark::DoNotOptimize(worker.backwardInput(mb, gradOutput));
      worker.backwardWeight(mb);
    } else {
      benchmark::DoNotOptimize(worker.backward(mb, gradOutput));
    }
  }
  state.SetLabel(std::string(state.range(0) == 0 ? "mlp" : "transformer") +
                 (split ? " I+W" : " B"));
}

} // namespace

BENCHMARK(BM_Backward)
    ->ArgNames({"kernel", "split"})
    ->ArgsProduct({{0, 1}, {0, 1}})
    ->Unit(benchmark::kMillisecond)
    ->MinTime(1.0);

BENCHMARK_MAIN();
