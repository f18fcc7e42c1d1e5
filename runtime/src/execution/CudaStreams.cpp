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

#include <ATen/Context.h>
#include <ATen/cuda/CUDAEvent.h>
#include <c10/cuda/CUDAFunctions.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>

#include <cstdlib>
#include <mutex>
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

  void waitForHost() override {
    at::cuda::CUDAEvent hostDone;
    hostDone.record(c10::cuda::getCurrentCUDAStream(
        static_cast<c10::DeviceIndex>(device_)));
    for (const c10::cuda::CUDAStream &s : streams_)
      hostDone.block(s);
  }

  void startTiming() override {
    std::lock_guard<std::mutex> lock(marksMutex_);
    marks_.clear();
    origin_ = std::make_unique<at::cuda::CUDAEvent>(cudaEventDefault);
    origin_->record(stream(StreamRole::Forward));
  }

  int32_t mark(StreamRole role) override {
    auto event = std::make_unique<at::cuda::CUDAEvent>(cudaEventDefault);
    event->record(stream(role));
    std::lock_guard<std::mutex> lock(marksMutex_);
    marks_.push_back(std::move(event));
    return static_cast<int32_t>(marks_.size() - 1);
  }

  std::vector<double> markTimesUs() override {
    std::lock_guard<std::mutex> lock(marksMutex_);
    std::vector<double> times;
    for (const auto &event : marks_)
      times.push_back(origin_ ? 1e3 * origin_->elapsed_time(*event) : 0.0);
    return times;
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
  std::mutex marksMutex_;
  std::unique_ptr<at::cuda::CUDAEvent> origin_;
  std::vector<std::unique_ptr<at::cuda::CUDAEvent>> marks_;
};

} // namespace

int cudaDeviceCount() { return static_cast<int>(c10::cuda::device_count()); }

std::unique_ptr<CudaStreams> makeCudaStreams(int device) {
  return std::make_unique<CudaDeviceStreams>(device);
}

int64_t cudaPeakAllocatedBytes(int device) {
  return compat::peakAllocatedBytes(device);
}

void setCudaDeterministic() {
  // cuBLAS is reproducible only with a fixed workspace per stream; it reads
  // the variable when it creates a handle, so before any CUDA work.
  setenv("CUBLAS_WORKSPACE_CONFIG", ":4096:8", /*overwrite=*/0);
  at::Context &context = at::globalContext();
  context.setDeterministicAlgorithms(true, /*warn_only=*/false);
  context.setDeterministicCuDNN(true);
  context.setBenchmarkCuDNN(false);
  context.setAllowTF32CuBLAS(false);
  context.setAllowTF32CuDNN(false);
  context.setAllowFP16ReductionCuBLAS(false);
  compat::disallowBF16ReductionCuBLAS(context);
}

} // namespace dualpipe::runtime
