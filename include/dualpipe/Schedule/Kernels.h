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
#include <cstdint>
#include <string>
#include <string_view>

namespace dualpipe {

inline constexpr std::array<std::string_view, 6> kKernelNames = {
    "mlp", "transformer", "identity", "torchscript", "embedding", "lm_head"};

/// The kernel whose `path` attribute names a TorchScript module file.
inline constexpr std::string_view kTorchScriptKernel = "torchscript";

/// Token ids in, activations out: the input of the whole model.
inline constexpr std::string_view kEmbeddingKernel = "embedding";
/// Activations in, logits over the vocabulary out: what the loss reads.
inline constexpr std::string_view kLmHeadKernel = "lm_head";

/// Empty if a layer of `kernel` may fill the expanded layers [first,
/// first + repeat) of a model of `count` layers, else why not. The one
/// statement of the rule for the dialect verifier and the runtime's loader.
inline std::string layerPositionError(std::string_view kernel, int64_t first,
                                      int64_t repeat, int64_t count) {
  std::string at = "it is layer " + std::to_string(first) +
                   (repeat > 1 ? " (repeated " + std::to_string(repeat) + "x)"
                               : std::string()) +
                   " of " + std::to_string(count);
  if (kernel == kEmbeddingKernel && (first != 0 || repeat != 1))
    return "an embedding must be the model's first layer, once: it turns the "
           "input token ids into activations, which every other layer "
           "takes (" +
           at + ")";
  if (kernel == kLmHeadKernel && (first + repeat != count || repeat != 1))
    return "an lm_head must be the model's last layer, once: its logits over "
           "the vocabulary are what the loss reads, not activations for "
           "another layer (" +
           at + ")";
  return "";
}

inline bool isKnownKernel(std::string_view name) {
  return std::find(kKernelNames.begin(), kKernelNames.end(), name) !=
         kKernelNames.end();
}

/// "mlp, transformer, ...", for error messages.
inline std::string knownKernelsText() {
  std::string text;
  for (std::string_view name : kKernelNames)
    text += (text.empty() ? "" : ", ") + std::string(name);
  return text;
}

} // namespace dualpipe

#endif // DUALPIPE_SCHEDULE_KERNELS_H
