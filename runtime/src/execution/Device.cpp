//===- Device.cpp - Where the ranks compute (--device) --------------------===//
//
// The only place outside the GPU sources that knows whether the runtime was
// linked with CUDA: everything else asks these functions.
//
//===----------------------------------------------------------------------===//

#include "dualpipe/Runtime/Device.h"
#include "dualpipe/Runtime/Transport.h"

#include "execution/CudaStreams.h"

#include <algorithm>

namespace dualpipe::runtime {

std::optional<DeviceKind> parseDeviceKind(const std::string &text,
                                          std::string &error) {
  if (text == "cpu")
    return DeviceKind::Cpu;
  if (text == "cuda")
    return DeviceKind::Cuda;
  error = "--device must be cpu or cuda, got '" + text + "'";
  return std::nullopt;
}

std::string checkDevice(DeviceKind kind) {
  if (kind == DeviceKind::Cpu)
    return "";
  if (!runtimeHasCuda())
    return "--device cuda: this dualpipe-run was built against a LibTorch "
           "without CUDA; build the runtime against one with CUDA "
           "(docs/gpu.md)";
#ifdef DUALPIPE_RUNTIME_CUDA
  if (cudaDeviceCount() == 0)
    return "--device cuda: no CUDA device is visible";
#endif
  return "";
}

namespace {

c10::Device cudaDevice(int64_t index) {
  return c10::Device(c10::DeviceType::CUDA,
                     static_cast<c10::DeviceIndex>(index));
}

} // namespace

c10::Device threadRankDevice(DeviceKind kind, int64_t rank) {
  if (kind == DeviceKind::Cpu)
    return c10::Device(c10::DeviceType::CPU);
#ifdef DUALPIPE_RUNTIME_CUDA
  return cudaDevice(rank % std::max(1, cudaDeviceCount()));
#else
  (void)rank;
  return cudaDevice(0);
#endif
}

c10::Device processRankDevice(DeviceKind kind, int64_t localRank) {
  if (kind == DeviceKind::Cpu)
    return c10::Device(c10::DeviceType::CPU);
  return cudaDevice(localRank);
}

void prepareDevice(DeviceKind kind) {
#ifdef DUALPIPE_RUNTIME_CUDA
  if (kind == DeviceKind::Cuda)
    setCudaDeterministic();
#else
  (void)kind;
#endif
}

int64_t peakDeviceBytes(c10::Device device) {
#ifdef DUALPIPE_RUNTIME_CUDA
  if (device.is_cuda())
    return cudaPeakAllocatedBytes(device.index());
#else
  (void)device;
#endif
  return -1;
}

std::shared_ptr<TensorHandoff> makeTensorHandoff(DeviceKind kind) {
#ifdef DUALPIPE_RUNTIME_CUDA
  if (kind == DeviceKind::Cuda)
    return makeCudaHandoff();
#else
  (void)kind;
#endif
  return nullptr;
}

std::unique_ptr<DeviceStreams> makeDeviceStreams(c10::Device device) {
#ifdef DUALPIPE_RUNTIME_CUDA
  if (device.is_cuda())
    return makeCudaStreams(device.index());
#else
  (void)device;
#endif
  return nullptr;
}

} // namespace dualpipe::runtime
