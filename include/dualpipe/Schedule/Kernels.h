//===- Kernels.h - The kernels the runtime instantiates ---------*- C++ -*-===//
//
// One list for the compiler, which rejects a layer whose kernel the runtime
// does not have, and for the runtime, which instantiates them
// (runtime/src/model/Kernels.cpp): adding a kernel there means adding its
// name here.
//
//===----------------------------------------------------------------------===//
#ifndef DUALPIPE_SCHEDULE_KERNELS_H
#define DUALPIPE_SCHEDULE_KERNELS_H

#include <algorithm>
#include <array>
#include <string>
#include <string_view>

namespace dualpipe {

inline constexpr std::array<std::string_view, 4> kKernelNames = {
    "mlp", "transformer", "identity", "torchscript"};

/// The kernel whose `path` attribute names a TorchScript module file.
inline constexpr std::string_view kTorchScriptKernel = "torchscript";

inline bool isKnownKernel(std::string_view name) {
  return std::find(kKernelNames.begin(), kKernelNames.end(), name) !=
         kKernelNames.end();
}

/// "mlp, transformer, identity, torchscript", for error messages.
inline std::string knownKernelsText() {
  std::string text;
  for (std::string_view name : kKernelNames)
    text += (text.empty() ? "" : ", ") + std::string(name);
  return text;
}

} // namespace dualpipe

#endif // DUALPIPE_SCHEDULE_KERNELS_H
