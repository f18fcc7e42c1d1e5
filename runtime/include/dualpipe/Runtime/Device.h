//===- Device.h - Where the ranks compute (--device) ------------*- C++ -*-===//
#ifndef DUALPIPE_RUNTIME_DEVICE_H
#define DUALPIPE_RUNTIME_DEVICE_H

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

} // namespace dualpipe::runtime

#endif // DUALPIPE_RUNTIME_DEVICE_H
