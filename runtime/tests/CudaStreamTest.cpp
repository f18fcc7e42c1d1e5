//===- CudaStreamTest.cpp - The stream model on a CUDA device -------------===//
//
// GPU-only: where the runtime has no CUDA, or no device is visible, every test
// here reports "skipped: no GPU".
//
//===----------------------------------------------------------------------===//

#include "execution/CudaStreams.h"

#ifdef DUALPIPE_RUNTIME_CUDA
#include <c10/cuda/CUDAStream.h>
#endif

#include <gtest/gtest.h>
#include <torch/torch.h>

using namespace dualpipe::runtime;

namespace {

#ifdef DUALPIPE_RUNTIME_CUDA
bool haveGpu() { return cudaDeviceCount() > 0; }
#else
bool haveGpu() { return false; }
#endif

#define REQUIRE_GPU()                                                          \
  if (!haveGpu())                                                              \
  GTEST_SKIP() << "skipped: no GPU"

TEST(CudaStreams, AnEventOrdersDeviceWorkAcrossStreams) {
  REQUIRE_GPU();
#ifdef DUALPIPE_RUNTIME_CUDA
  auto streams = makeCpuStreams(makeCudaStreams(0));
  auto event = streams->makeEvent();
  torch::Tensor a, b;
  double sum = 0;
  // A long product on the forward stream, read on the comm stream: without
  // the event, the read would race the kernel.
  streams->stream(StreamRole::Forward).enqueue([&] {
    a = torch::ones({4096, 4096},
                    torch::dtype(torch::kFloat32).device(torch::kCUDA, 0));
    for (int i = 0; i < 8; ++i)
      a = torch::matmul(a, a) / 4096.0;
  });
  streams->stream(StreamRole::Forward).record(*event);
  streams->stream(StreamRole::Comm).wait(*event);
  streams->stream(StreamRole::Comm).enqueue([&] {
    streams->useOn(a, StreamRole::Comm);
    b = a.sum();
  });
  streams->synchronize();
  sum = b.item<double>();
  EXPECT_DOUBLE_EQ(sum, 4096.0 * 4096.0);
#endif
}

TEST(CudaStreams, WorkItemsLaunchOnTheirRolesStream) {
  REQUIRE_GPU();
#ifdef DUALPIPE_RUNTIME_CUDA
  auto streams = makeCpuStreams(makeCudaStreams(0));
  cudaStream_t seen[kStreamRoles] = {};
  for (int r = 0; r < kStreamRoles; ++r)
    streams->stream(static_cast<StreamRole>(r)).enqueue([&, r] {
      seen[r] = c10::cuda::getCurrentCUDAStream(0).stream();
    });
  streams->synchronize();
  EXPECT_NE(seen[0], seen[1]);
  EXPECT_NE(seen[1], seen[2]);
  EXPECT_NE(seen[0], seen[2]);
  EXPECT_NE(seen[0], c10::cuda::getDefaultCUDAStream(0).stream());
#endif
}

} // namespace
