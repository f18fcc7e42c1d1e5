//===- Device.h - Where the ranks compute (--device) ------------*- C++ -*-===//
//
// Placement: with --device cuda, a rank that is a process (gloo, nccl) runs
// on cuda:LOCAL_RANK; ranks that are threads of one process are spread
// round-robin over the visible GPUs, so one GPU runs a whole schedule.
//
//===----------------------------------------------------------------------===//
#ifndef DUALPIPE_RUNTIME_DEVICE_H
#define DUALPIPE_RUNTIME_DEVICE_H

#include <c10/core/Device.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace dualpipe::runtime {

enum class DeviceKind { Cpu, Cuda };

/// "cpu" or "cuda"; anything else sets `error`.
std::optional<DeviceKind> parseDeviceKind(const std::string &text,
                                          std::string &error);

/// Empty when the ranks can run on `kind` in this process, else why not,
/// e.g. a runtime built against a LibTorch without CUDA.
std::string checkDevice(DeviceKind kind);

/// The device of rank `rank` when every rank is a thread of this process.
c10::Device threadRankDevice(DeviceKind kind, int64_t rank);
/// The device of this process's rank (LOCAL_RANK on its host).
c10::Device processRankDevice(DeviceKind kind, int64_t localRank);

/// Makes `kind`'s kernels reproducible before any of them runs (on CUDA:
/// CUBLAS_WORKSPACE_CONFIG, deterministic algorithms, no TF32 and no
/// reduced-precision reductions; docs/gpu.md). Nothing on CPU.
void prepareDevice(DeviceKind kind);

/// The threads transport's hand-off for `kind` (null on CPU, where a
/// tensor needs none).
std::shared_ptr<class TensorHandoff> makeTensorHandoff(DeviceKind kind);

/// The caching allocator's peak of allocated bytes on `device`, or -1 on
/// CPU.
int64_t peakDeviceBytes(c10::Device device);

} // namespace dualpipe::runtime

#endif // DUALPIPE_RUNTIME_DEVICE_H
