//===- GpuRunTest.cpp - Whole runs on CUDA, threads and NCCL --------------===//
//
// GPU-only: where the runtime has no CUDA, or no device is visible, every test
// here reports "skipped: no GPU". On one GPU all thread ranks share cuda:0;
// NCCL refuses two ranks on one GPU, so its tests use one rank that sends to
// itself.
//
//===----------------------------------------------------------------------===//

#include "RuntimeTestUtil.h"

#include "dualpipe/Runtime/Device.h"
#include "dualpipe/Runtime/Runner.h"
#include "dualpipe/Runtime/Stage.h"
#include "dualpipe/Schedule/Generate.h"

#include <gtest/gtest.h>
#include <torch/script.h>
#include <unistd.h>

#include <thread>

using namespace dualpipe;
using namespace dualpipe::runtime;
using namespace dualpipe::testing;

namespace {

bool haveGpu() { return checkDevice(DeviceKind::Cuda).empty(); }

#define REQUIRE_GPU()                                                          \
  if (!haveGpu())                                                              \
  GTEST_SKIP() << "skipped: no GPU"

RunOptions cudaCheck() {
  RunOptions options;
  options.check = true;
  options.device = DeviceKind::Cuda;
  options.steps = 2;
  options.timeout = std::chrono::seconds(60);
  return options;
}

/// moveTo takes a TorchScript layer's buffers to the GPU along with its
/// parameters, and keeps the parameters' identity (the optimizer holds them):
/// a forward that mixed devices would throw.
TEST(GpuRun, TorchScriptLayerMovesItsBuffers) {
  REQUIRE_GPU();
  torch::jit::Module module("Shifted");
  module.register_parameter("weight", torch::randn({16, 16}), false);
  module.register_buffer("offset", torch::ones({16}));
  module.define("def forward(self, x):\n"
                "    return x @ self.weight + self.offset\n");
  std::string file = ::testing::TempDir() + "/shifted.pt";
  module.save(file);
  LayerSpec spec;
  spec.kernel = "torchscript";
  spec.attrs["path"] = file;
  at::Generator gen = seededGenerator({1});
  auto layer = makeLayer(spec, TrainConfig(), "/", "layer", gen);
  torch::Tensor weight = layer->parameters().at(0);
  layer->moveTo(torch::Device(torch::kCUDA, 0));
  EXPECT_TRUE(weight.is_cuda());
  EXPECT_TRUE(layer->parameters().at(0).is_same(weight));
  torch::Tensor out =
      layer->forward(torch::zeros({4, 16}, torch::Device(torch::kCUDA, 0)));
  EXPECT_TRUE(out.is_cuda());
}

TEST(GpuRun, EveryKindOnThreadsWithCudaPassesCheck) {
  REQUIRE_GPU();
  int64_t kinds = 0;
  for (ScheduleKind kind : allScheduleKinds()) {
    if (!checkGenerateOptions({kind, 4, 8}).empty())
      continue;
    SCOPED_TRACE(toString(kind));
    TestModel model;
    auto program = loadTestProgram(schedule(kind, 4, 8), model);
    RunResult result = runThreads(program, cudaCheck());
    ASSERT_TRUE(result.ok) << result.error;
    for (const std::string &failure : result.checkFailures)
      ADD_FAILURE() << failure;
    EXPECT_EQ(result.lossesCompared, 8);
    EXPECT_FALSE(result.bitwiseLosses);
    EXPECT_LE(result.worstLossDifference, kCudaLossUlps * 1.2e-7);
    ASSERT_EQ(result.peakDeviceBytes.size(), 4u);
    EXPECT_GT(result.peakDeviceBytes[0], 0);
    ++kinds;
  }
  EXPECT_GE(kinds, 7);
}

/// A bfloat16 transformer on CUDA: the losses (float32) stay within the
/// CUDA tolerance, the gradients within bfloat16's widened limit.
TEST(GpuRun, BFloat16TransformerOnCudaPassesCheck) {
  REQUIRE_GPU();
  TestModel model;
  model.kernel = "transformer";
  model.seqLen = 8;
  model.dtype = "bfloat16";
  auto program = loadTestProgram(schedule(ScheduleKind::DualPipe, 4, 8), model);
  RunResult result = runThreads(program, cudaCheck());
  ASSERT_TRUE(result.ok) << result.error;
  for (const std::string &failure : result.checkFailures)
    ADD_FAILURE() << failure;
  EXPECT_EQ(result.lossesCompared, 8);
  EXPECT_EQ(result.gradientLimit, gradientTolerance("bfloat16"));
  EXPECT_LE(result.worstLossDifference, kCudaLossUlps * 1.2e-7);
}

TEST(GpuRun, TraceTakesDeviceTimes) {
  REQUIRE_GPU();
  auto program =
      loadTestProgram(schedule(ScheduleKind::DualPipe, 4, 8), TestModel{});
  RunOptions options = cudaCheck();
  options.trace = true;
  RunResult result = runThreads(program, options);
  ASSERT_TRUE(result.ok) << result.error;
  EXPECT_NE(result.trace.find("\"ts\""), std::string::npos);
}

#ifdef DUALPIPE_RUNTIME_CUDA
GlooOptions oneRank() {
  GlooOptions options;
  options.worldSize = 1;
  options.masterPort = 20000 + static_cast<int>(getpid() % 20000);
  options.timeout = std::chrono::seconds(2);
  return options;
}
#endif

TEST(Nccl, OneRankSendsToItself) {
  REQUIRE_GPU();
#ifdef DUALPIPE_RUNTIME_CUDA
  torch::Device device(torch::kCUDA, 0);
  auto transport = connectNccl(oneRank(), device);
  torch::Tensor sent =
      torch::arange(12, torch::dtype(torch::kFloat32).device(device))
          .reshape({3, 4});
  transport->beginGroup();
  auto send = transport->send(0, 0, sent);
  auto recv = transport->recv(0, 0, {3, 4}, torch::kFloat32);
  transport->endGroup("self test");
  send->wait(std::chrono::seconds(2));
  torch::Tensor got = recv->wait(std::chrono::seconds(2));
  EXPECT_TRUE(torch::equal(got.cpu(), sent.cpu()));
  EXPECT_NO_THROW(transport->checkAsync());
#endif
}

TEST(Nccl, AGroupThatNeverCompletesIsAbortedNamingIt) {
  REQUIRE_GPU();
#ifdef DUALPIPE_RUNTIME_CUDA
  torch::Device device(torch::kCUDA, 0);
  GlooOptions options = oneRank();
  options.masterPort += 1;
  auto transport = connectNccl(options, device);
  transport->beginGroup();
  auto recv = transport->recv(0, 0, {4}, torch::kFloat32);
  transport->endGroup("post group ranks[0][3] [recv from itself]");
  std::string error;
  for (int i = 0; i < 100 && error.empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    try {
      transport->checkAsync();
    } catch (const CommError &e) {
      error = e.what();
    }
  }
  EXPECT_NE(error.find("ranks[0][3]"), std::string::npos) << error;
  EXPECT_NE(error.find("did not complete within 2 s"), std::string::npos)
      << error;
#endif
}

} // namespace
