//===- TorchCompat.h - LibTorch 1.13 and 2.x differences --------*- C++ -*-===//
//
// The runtime builds against Debian's LibTorch 1.13 (CPU only, here) and a
// PyTorch 2.x LibTorch with CUDA (the GPU machine). The few places where the
// c10 and c10d APIs it uses differ between them are stated here, once,
// behind TORCH_VERSION_* checks; everything else is the same API.
//
//===----------------------------------------------------------------------===//
#ifndef DUALPIPE_RUNTIME_TORCHCOMPAT_H
#define DUALPIPE_RUNTIME_TORCHCOMPAT_H

#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#include <torch/version.h>

#include <chrono>
#include <cstdint>

#define DUALPIPE_TORCH_AT_LEAST(major, minor)                                  \
  (TORCH_VERSION_MAJOR > (major) ||                                            \
   (TORCH_VERSION_MAJOR == (major) && TORCH_VERSION_MINOR >= (minor)))

namespace dualpipe::runtime::compat {

/// TCPStore options for a torchrun-style rendezvous. From 2.4 on the store
/// defaults to its libuv backend; keep the classic one, the only one 1.13
/// has, so that both builds rendezvous (and time out) alike.
inline c10d::TCPStoreOptions
tcpStoreOptions(uint16_t port, bool isServer, int64_t worldSize,
                std::chrono::milliseconds timeout) {
  c10d::TCPStoreOptions options;
  options.port = port;
  options.isServer = isServer;
  options.numWorkers = static_cast<size_t>(worldSize);
  options.timeout = timeout;
#if DUALPIPE_TORCH_AT_LEAST(2, 4)
  options.useLibUV = false;
#endif
  return options;
}

} // namespace dualpipe::runtime::compat

#ifdef DUALPIPE_CUDA_SOURCES
#include <ATen/Context.h>
#include <c10/cuda/CUDACachingAllocator.h>

namespace dualpipe::runtime::compat {

/// Peak bytes the caching allocator has handed out on `device` (all pools).
/// 1.13 returns c10::cuda::CUDACachingAllocator::DeviceStats, 2.x
/// c10::CachingDeviceAllocator::DeviceStats; both index the aggregate pool
/// at 0, and 2.x takes a c10::DeviceIndex.
inline int64_t peakAllocatedBytes(int device) {
#if DUALPIPE_TORCH_AT_LEAST(2, 0)
  auto stats = c10::cuda::CUDACachingAllocator::getDeviceStats(
      static_cast<c10::DeviceIndex>(device));
#else
  auto stats = c10::cuda::CUDACachingAllocator::getDeviceStats(device);
#endif
  return stats.allocated_bytes[0].peak;
}

inline void resetPeakAllocatedBytes(int device) {
#if DUALPIPE_TORCH_AT_LEAST(2, 0)
  c10::cuda::CUDACachingAllocator::resetPeakStats(
      static_cast<c10::DeviceIndex>(device));
#else
  c10::cuda::CUDACachingAllocator::resetPeakStats(device);
#endif
}

/// Reduced-precision bf16 reductions in cuBLAS: a switch from 2.0 on; 1.13
/// has none (it always reduces in fp32).
inline void disallowBF16ReductionCuBLAS(at::Context &context) {
#if DUALPIPE_TORCH_AT_LEAST(2, 0)
  context.setAllowBF16ReductionCuBLAS(false);
#else
  (void)context;
#endif
}

} // namespace dualpipe::runtime::compat
#endif // DUALPIPE_CUDA_SOURCES

#endif // DUALPIPE_RUNTIME_TORCHCOMPAT_H
