//===- CudaHandoff.cpp - Device tensors between rank threads --------------===//
//
// Ranks that are threads of one process hand over the producer's device
// tensor itself. Its event is recorded on the sender's current stream, the
// comm stream, which the plan has already made wait on the producing
// compute; the receiver's comm stream waits on that event, so no host waits
// for a kernel. recordStream tells the caching allocator that the
// receiver's stream uses the memory, which it would otherwise hand out
// again once the producer's stream is past its last use.
//
// Compiled on every build (unlinked where LibTorch has no CUDA).
//
//===----------------------------------------------------------------------===//

#include "dualpipe/Runtime/Transport.h"

#include <ATen/cuda/CUDAEvent.h>
#include <c10/cuda/CUDACachingAllocator.h>
#include <c10/cuda/CUDAStream.h>

namespace dualpipe::runtime {
namespace {

c10::cuda::CUDAStream currentStream(const torch::Device &device) {
  return c10::cuda::getCurrentCUDAStream(device.index());
}

void usedOn(const torch::Tensor &tensor, const c10::cuda::CUDAStream &stream) {
  c10::cuda::CUDACachingAllocator::recordStream(tensor.storage().data_ptr(),
                                                stream);
}

class CudaHandoff : public TensorHandoff {
public:
  std::shared_ptr<void> mark(const torch::Tensor &tensor) override {
    auto event = std::make_shared<at::cuda::CUDAEvent>(cudaEventDisableTiming);
    event->record(currentStream(tensor.device()));
    return event;
  }

  torch::Tensor await(const std::shared_ptr<void> &mark,
                      const torch::Tensor &tensor,
                      torch::Device device) override {
    auto &event = *static_cast<at::cuda::CUDAEvent *>(mark.get());
    c10::cuda::CUDAStream here = currentStream(device);
    event.block(here);
    if (tensor.device() == device) {
      usedOn(tensor, here);
      return tensor;
    }
    // Another GPU's tensor: copy_ orders itself after this thread's current
    // stream on the source device too, so that one waits as well.
    c10::cuda::CUDAStream source = currentStream(tensor.device());
    event.block(source);
    usedOn(tensor, source);
    return tensor.to(device);
  }
};

} // namespace

std::shared_ptr<TensorHandoff> makeCudaHandoff() {
  return std::make_shared<CudaHandoff>();
}

} // namespace dualpipe::runtime
