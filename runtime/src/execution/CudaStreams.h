//===- CudaStreams.h - The rank's streams on a CUDA device ------*- C++ -*-===//
//
// Declared on every build; defined in CudaStreams.cpp, which is linked only
// where LibTorch has CUDA (DUALPIPE_RUNTIME_CUDA). Callers check
// runtimeHasCuda() first.
//
//===----------------------------------------------------------------------===//
#ifndef DUALPIPE_RUNTIME_EXECUTION_CUDASTREAMS_H
#define DUALPIPE_RUNTIME_EXECUTION_CUDASTREAMS_H

#include "execution/Stream.h"

#include <memory>

namespace dualpipe::runtime {

class CudaStreams : public DeviceStreams {
public:
  virtual int device() const = 0;
  /// The caching allocator's peak of allocated bytes on this device.
  virtual int64_t peakAllocatedBytes() const = 0;
};

/// True when this runtime was linked with its CUDA sources.
constexpr bool runtimeHasCuda() {
#ifdef DUALPIPE_RUNTIME_CUDA
  return true;
#else
  return false;
#endif
}

/// Visible CUDA devices (CUDA builds only).
int cudaDeviceCount();
/// The three streams of a rank on cuda:`device` (CUDA builds only).
std::unique_ptr<CudaStreams> makeCudaStreams(int device);
/// The caching allocator's peak of allocated bytes on cuda:`device` since
/// the process started (CUDA builds only).
int64_t cudaPeakAllocatedBytes(int device);
/// The settings that make CUDA kernels reproducible (docs/gpu.md,
/// "Deterministic settings"); call before the first CUDA work of the
/// process (CUDA builds only).
void setCudaDeterministic();

} // namespace dualpipe::runtime

#endif // DUALPIPE_RUNTIME_EXECUTION_CUDASTREAMS_H
