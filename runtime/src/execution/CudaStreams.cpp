//===- CudaStreams.cpp - The rank's streams on a CUDA device --------------===//
//
// The DeviceStreams of Stream.h for CUDA: the rank's three worker threads
// each make one CUDA stream of the pool current, so a work item's kernels
// are queued on its role's stream and the item returns at once; an event is
// a CUDA event (no timing), recorded on the recording role's stream and
// waited on with cudaStreamWaitEvent, so the ordering between streams is the
// device's and the host never waits for kernels inside a step. A tensor that
// one stream produced and another uses is reported to the caching allocator
// (recordStream), which otherwise could hand its memory out again as soon
// as the producer's stream is done with it.
//
// Compiled on every build (as an unlinked object library where LibTorch has
// no CUDA) so that a break shows in CI; linked where it has.
//
//===----------------------------------------------------------------------===//

#include "execution/CudaStreams.h"
#include "TorchCompat.h"

#include <ATen/cuda/CUDAEvent.h>
#include <c10/cuda/CUDAFunctions.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>

#include <optional>
#include <vector>

namespace dualpipe::runtime {

namespace {

class CudaEvent : public DeviceEvent {
public:
  at::cuda::CUDAEvent event{cudaEventDisableTiming};
};

class CudaDeviceStreams : public CudaStreams {
public:
  explicit CudaDeviceStreams(int device) : device_(device) {
    c10::cuda::CUDAGuard guard(static_cast<c10::DeviceIndex>(device));
    for (int r = 0; r < kStreamRoles; ++r)
      streams_.push_back(c10::cuda::getStreamFromPool(
          /*isHighPriority=*/static_cast<StreamRole>(r) == StreamRole::Comm,
          static_cast<c10::DeviceIndex>(device)));
  }

  void enter(StreamRole role) override {
    c10::cuda::set_device(static_cast<c10::DeviceIndex>(device_));
    c10::cuda::setCurrentCUDAStream(stream(role));
  }

  std::unique_ptr<DeviceEvent> makeEvent() override {
    return std::make_unique<CudaEvent>();
  }

  void record(StreamRole role, DeviceEvent &event) override {
    static_cast<CudaEvent &>(event).event.record(stream(role));
  }

  void wait(StreamRole role, DeviceEvent &event) override {
    static_cast<CudaEvent &>(event).event.block(stream(role));
  }

  void synchronize() override {
    for (const c10::cuda::CUDAStream &s : streams_)
      s.synchronize();
  }

  void useOn(const at::Tensor &tensor, StreamRole role) override {
    if (tensor.defined() && tensor.is_cuda())
      c10::cuda::CUDACachingAllocator::recordStream(tensor.storage().data_ptr(),
                                                    stream(role));
  }

  int device() const override { return device_; }

  int64_t peakAllocatedBytes() const override {
    return compat::peakAllocatedBytes(device_);
  }

private:
  c10::cuda::CUDAStream stream(StreamRole role) const {
    return streams_[static_cast<int>(role)];
  }

  int device_;
  std::vector<c10::cuda::CUDAStream> streams_;
};

} // namespace

int cudaDeviceCount() { return static_cast<int>(c10::cuda::device_count()); }

std::unique_ptr<CudaStreams> makeCudaStreams(int device) {
  return std::make_unique<CudaDeviceStreams>(device);
}

} // namespace dualpipe::runtime
