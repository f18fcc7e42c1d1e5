//===- ElementType.h - A program's element type under LibTorch --*- C++ -*-===//
//
// The LibTorch side of the element types in dualpipe/Schedule/ElementTypes.h:
// the loader accepts only those names, and this is the one place that maps
// them to tensor types.
//
//===----------------------------------------------------------------------===//
#ifndef DUALPIPE_RUNTIME_ELEMENTTYPE_H
#define DUALPIPE_RUNTIME_ELEMENTTYPE_H

#include "dualpipe/Runtime/Program.h"

#include <torch/torch.h>

#include <limits>
#include <stdexcept>

namespace dualpipe::runtime {

inline torch::ScalarType scalarTypeOf(const std::string &dtype) {
  if (dtype == "float32")
    return torch::kFloat32;
  if (dtype == "float64")
    return torch::kFloat64;
  if (dtype == "bfloat16")
    return torch::kBFloat16;
  throw std::invalid_argument("no tensor type for dtype " + dtype);
}

/// The type of parameters, activations and messages.
inline torch::ScalarType scalarType(const TrainConfig &config) {
  return scalarTypeOf(config.dtype);
}

/// The type the loss is computed in: float32 for bfloat16 models, as mixed
/// precision training does (LibTorch 1.13 has no bfloat16 mse on CPU, and a
/// bfloat16 loss would round the per-micro-batch values that --check
/// compares to 3 significant digits).
inline torch::ScalarType lossScalarType(const TrainConfig &config) {
  torch::ScalarType type = scalarType(config);
  return type == torch::kBFloat16 ? torch::kFloat32 : type;
}

/// Machine epsilon of a floating-point tensor type.
inline double epsilonOf(torch::ScalarType type) {
  switch (type) {
  case torch::kFloat64:
    return std::numeric_limits<double>::epsilon();
  case torch::kBFloat16:
    return std::numeric_limits<c10::BFloat16>::epsilon();
  case torch::kFloat16:
    return std::numeric_limits<c10::Half>::epsilon();
  default:
    return std::numeric_limits<float>::epsilon();
  }
}

} // namespace dualpipe::runtime

#endif // DUALPIPE_RUNTIME_ELEMENTTYPE_H
