//===- Reference.h - The same model, one process, no pipeline ---*- C++ -*-===//
//
// The ground truth of `dualpipe-run --check`: every micro-batch goes forward
// through all stages and straight back, one stage copy each, in one thread.
// It runs the same StageWorker code on the same data and initial weights as
// the pipeline, so each micro-batch's loss must match bitwise and the summed
// gradients up to summation order.
//
//===----------------------------------------------------------------------===//
#ifndef DUALPIPE_RUNTIME_REFERENCE_H
#define DUALPIPE_RUNTIME_REFERENCE_H

#include "dualpipe/Runtime/Stage.h"

#include <map>
#include <vector>

namespace dualpipe::runtime {

struct ReferenceResult {
  std::vector<torch::Tensor> losses;          // [mb]: loss / N
  std::map<int64_t, torch::Tensor> gradients; // stage -> flat gradients
  /// [mb]: loss / N of evaluation 0 (StageWorker::evaluate from the
  /// initial weights), when runReference got evaluation data.
  std::vector<torch::Tensor> evalLosses;
};

/// Runs one step from the initial weights. Throws std::runtime_error.
/// Every micro-batch through every stage in order, on `device`: the same
/// kernels as the pipeline on that device, one stream, no overlap. `data`:
/// the run's BatchSource, or null for the synthetic batch; `evalData`: the
/// validation source, or null for no evaluation.
ReferenceResult runReference(const LoadedProgram &program,
                             torch::Device device = torch::kCPU,
                             std::shared_ptr<BatchSource> data = nullptr,
                             std::shared_ptr<BatchSource> evalData = nullptr);

/// 1 - 2 sum(xy) / sum(x^2 + y^2), computed in double: 0 for equal tensors,
/// about the squared relative error for close ones, 1 for orthogonal ones;
/// 0 when both are all zeros.
double mismatch(const torch::Tensor &x, const torch::Tensor &y);

/// True if two tensors have the same type, shape and bytes.
bool bitwiseEqual(const torch::Tensor &x, const torch::Tensor &y);

/// max |x - y| / max |y| in double; 0 when bitwise equal, infinity when y is
/// zero and x is not.
double relativeDifference(const torch::Tensor &x, const torch::Tensor &y);

/// The relative spacing of `x`'s dtype at 1 (machine epsilon).
double ulpOf(const torch::Tensor &x);

} // namespace dualpipe::runtime

#endif // DUALPIPE_RUNTIME_REFERENCE_H
