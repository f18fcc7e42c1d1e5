//===- Device.cpp - Where the ranks compute (--device) --------------------===//

#include "dualpipe/Runtime/Device.h"

#include "execution/CudaStreams.h"

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
  // The CUDA streams exist (CudaStreams.cpp); placing the stages, the data
  // and the messages on the device does not yet (docs/gpu.md, "Status").
  return "--device cuda: the stages do not run on CUDA yet; this build has "
         "the CUDA streams only (docs/gpu.md)";
}

} // namespace dualpipe::runtime
