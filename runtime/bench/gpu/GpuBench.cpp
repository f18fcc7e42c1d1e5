//===- GpuBench.cpp - The GPU figures of scripts/gpu-check.sh -------------===//
//
// dualpipe-gpu-bench prints one "name value" line per figure, on cuda:0:
//  * pair.<kernel>.*: a stage's forward alone, its backward alone, and the
//    two at once on the forward and backward streams (an overlapped pair);
//    efficiency = (F alone + B alone) / pair time;
//  * launch.us_per_instruction: a DualPipe 8x20 step of a tiny model, whose
//    kernels take no time, divided by the most instructions of one rank;
//  * step.*: a DualPipe 8x20 step on threads (all ranks on this GPU) against
//    the simulator's makespan from the measured per-stage costs, and against
//    a sequential step of the same model (every micro-batch through every
//    stage on one stream).
// Medians over repetitions, in milliseconds unless named otherwise. Built
// only where LibTorch has CUDA (compiled, unlinked, elsewhere).
//
//===----------------------------------------------------------------------===//

#include "LoadProgram.h"

#include "dualpipe/Runtime/Device.h"
#include "dualpipe/Runtime/Runner.h"
#include "dualpipe/Schedule/Simulate.h"
#include "execution/Stream.h"

#include <c10/cuda/CUDAFunctions.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <iostream>

using namespace dualpipe;
using namespace dualpipe::runtime;
using namespace dualpipe::testing;

namespace {

const torch::Device kGpu(torch::kCUDA, 0);

LoadedProgram program(const TestSchedule &schedule, const TestModel &model) {
  return loadProgramOrThrow(schedule, model);
}

void figure(const std::string &name, double value) {
  std::printf("%s %.6g\n", name.c_str(), value);
  std::fflush(stdout);
}

struct StageTimes {
  double f = 0, b = 0, i = 0, w = 0, pair = 0;
};

/// Milliseconds of `body` with the device idle before and synchronised
/// after.
double timedMs(const std::function<void()> &body) {
  c10::cuda::device_synchronize();
  auto start = std::chrono::steady_clock::now();
  body();
  c10::cuda::device_synchronize();
  return std::chrono::duration<double, std::milli>(
             std::chrono::steady_clock::now() - start)
      .count();
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

/// The middle stage of a three-stage pipeline (so its backward takes an
/// output gradient and makes an input gradient). F, B, and the split
/// backward's I and W, each timed on its own; the pair is F(mb 1) on the
/// forward stream beside B(mb 0) on the backward stream, as the executor
/// runs an overlap region.
StageTimes measurePair(const std::string &label, const TestModel &model) {
  LoadedProgram p = program(schedule(ScheduleKind::OneFOneB, 3, 3), model);
  StageWorker stage(p.file.stages[1], p, kGpu);
  DataSource data(p.config, kGpu);
  torch::Tensor in0 = data.input(0, 0), in1 = data.input(0, 1);
  torch::Tensor grad = torch::randn_like(in0);
  auto streams = makeCpuStreams(makeDeviceStreams(kGpu));
  std::vector<double> fs, bs, is, ws, pairs;
  for (int r = 0; r < 6; ++r) { // the first round warms up
    double f = timedMs([&] { stage.forward(0, in0); });
    double b = timedMs([&] { stage.backward(0, grad); });
    stage.forward(0, in0);
    double i = timedMs([&] { stage.backwardInput(0, grad); });
    double w = timedMs([&] { stage.backwardWeight(0); });
    stage.forward(0, in0);
    double pair = timedMs([&] {
      streams->stream(StreamRole::Forward).enqueue([&] {
        stage.forward(1, in1);
      });
      streams->stream(StreamRole::Backward).enqueue([&] {
        stage.backward(0, grad);
      });
      streams->synchronize();
    });
    stage.backward(1, grad);
    if (r == 0)
      continue;
    fs.push_back(f);
    bs.push_back(b);
    is.push_back(i);
    ws.push_back(w);
    pairs.push_back(pair);
  }
  stage.zeroGrad();
  StageTimes t{median(fs), median(bs), median(is), median(ws), median(pairs)};
  figure("pair." + label + ".f_ms", t.f);
  figure("pair." + label + ".b_ms", t.b);
  figure("pair." + label + ".i_ms", t.i);
  figure("pair." + label + ".w_ms", t.w);
  figure("pair." + label + ".pair_ms", t.pair);
  figure("pair." + label + ".efficiency", (t.f + t.b) / t.pair);
  return t;
}

RunResult runOnGpu(const LoadedProgram &p, int64_t steps) {
  RunOptions options;
  options.device = DeviceKind::Cuda;
  options.steps = steps;
  options.timeout = std::chrono::seconds(120);
  RunResult result = runThreads(p, options);
  if (!result.ok)
    throw std::runtime_error("run failed: " + result.error);
  return result;
}

void measureLaunch() {
  TestModel tiny; // mlp, hidden 16
  LoadedProgram p = program(schedule(ScheduleKind::DualPipe, 8, 20), tiny);
  RunResult result = runOnGpu(p, 10);
  int64_t most =
      *std::max_element(result.instructions.begin(), result.instructions.end());
  figure("launch.step_ms", result.secondsPerStep * 1e3);
  figure("launch.instructions_per_rank", static_cast<double>(most));
  figure("launch.us_per_instruction", result.secondsPerStep * 1e6 / most);
}

/// One sequential training step: every micro-batch through every stage.
double sequentialStepMs(const LoadedProgram &p) {
  std::vector<std::unique_ptr<StageWorker>> stages;
  for (const StageSpec &spec : p.file.stages)
    stages.push_back(std::make_unique<StageWorker>(spec, p, kGpu));
  DataSource data(p.config, kGpu);
  auto step = [&] {
    for (int64_t mb = 0; mb < p.placement().microbatches; ++mb) {
      torch::Tensor x = data.input(0, mb);
      for (auto &stage : stages)
        x = stage->forward(mb, x);
      torch::Tensor grad;
      for (auto it = stages.rbegin(); it != stages.rend(); ++it)
        grad = (*it)->backward(mb, grad);
    }
    for (auto &stage : stages)
      stage->optimizerStep();
  };
  step(); // warm-up
  std::vector<double> times;
  for (int r = 0; r < 3; ++r)
    times.push_back(timedMs(step));
  return median(times);
}

void measureStep(const TestModel &model, const StageTimes &stage) {
  TestSchedule s = schedule(ScheduleKind::DualPipe, 8, 20);
  LoadedProgram p = program(s, model);
  RunResult result = runOnGpu(p, 3);
  double step = result.secondsPerStep * 1e3;
  // All 8 ranks share this GPU, so the simulator's ranks run one at a time:
  // its prediction for 8 GPUs is the per-rank makespan, and on one GPU the
  // work of all ranks adds up. Both are reported.
  CostModel cost;
  cost.uniform.f = stage.f;
  cost.uniform.b = stage.b;
  cost.uniform.w = stage.w;
  cost.uniform.fb = stage.pair;
  std::vector<Finding> findings;
  auto sim = simulate(p.program(), cost, findings);
  if (!sim)
    throw std::runtime_error(
        "the simulator refused the program: " +
        (findings.empty() ? std::string("?") : findings.front().message));
  double busy = 0;
  for (const auto &rank : sim->ranks)
    busy += rank.busy;
  double sequential = sequentialStepMs(p);
  figure("step.dualpipe_8x20_ms", step);
  figure("step.simulated_makespan_8_gpus_ms", sim->makespan);
  figure("step.simulated_work_one_gpu_ms", busy);
  figure("step.over_simulated_one_gpu", busy > 0 ? step / busy : 0);
  figure("step.sequential_ms", sequential);
  figure("step.over_sequential", sequential > 0 ? step / sequential : 0);
}

} // namespace

int main() {
  if (std::string bad = checkDevice(DeviceKind::Cuda); !bad.empty()) {
    std::cerr << "dualpipe-gpu-bench: error: " << bad << "\n";
    return 1;
  }
  try {
    torch::set_num_threads(1);
    prepareDevice(DeviceKind::Cuda);
    TestModel transformer;
    transformer.kernel = "transformer";
    transformer.hidden = 2048;
    transformer.ffn = 8192;
    transformer.heads = 16;
    transformer.seqLen = 2048;
    transformer.rows = 1;
    measurePair("transformer_h2048_s2048_fp32", transformer);
    transformer.dtype = "bfloat16";
    measurePair("transformer_h2048_s2048_bf16", transformer);
    TestModel mlp;
    mlp.hidden = 2048;
    mlp.ffn = 8192;
    mlp.rows = 1024;
    StageTimes stage = measurePair("mlp_h2048_r1024_fp32", mlp);
    measureLaunch();
    measureStep(mlp, stage);
  } catch (const std::exception &e) {
    std::cerr << "dualpipe-gpu-bench: error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
