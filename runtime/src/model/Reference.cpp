//===- Reference.cpp - The same model, one process, no pipeline -----------===//

#include "dualpipe/Runtime/Reference.h"
#include "dualpipe/Runtime/ElementType.h"

#include <cstring>
#include <limits>

namespace dualpipe::runtime {

ReferenceResult runReference(const LoadedProgram &program, torch::Device device,
                             std::shared_ptr<BatchSource> data,
                             std::shared_ptr<BatchSource> evalData) {
  const Placement &placement = program.placement();
  std::vector<std::unique_ptr<StageWorker>> stages;
  for (const StageSpec &spec : program.file.stages)
    stages.push_back(
        std::make_unique<StageWorker>(spec, program, device, data, evalData));
  ReferenceResult result;
  if (evalData) {
    DataSource evalInputs(program.config, device, evalData);
    for (int64_t mb = 0; mb < placement.microbatches; ++mb) {
      torch::Tensor x = evalInputs.input(0, mb);
      for (auto &stage : stages)
        x = stage->evaluate(mb, x, 0);
      result.evalLosses.push_back(x);
    }
  }
  DataSource inputs(program.config, device, std::move(data));
  for (int64_t mb = 0; mb < placement.microbatches; ++mb) {
    torch::Tensor x = inputs.input(0, mb);
    for (auto &stage : stages)
      x = stage->forward(mb, x);
    result.losses.push_back(x);
    torch::Tensor grad;
    for (auto it = stages.rbegin(); it != stages.rend(); ++it)
      grad = (*it)->backward(mb, grad);
  }
  for (auto &stage : stages)
    result.gradients[stage->stage()] = stage->flatGradients();
  return result;
}

double mismatch(const torch::Tensor &x, const torch::Tensor &y) {
  if (x.numel() != y.numel())
    return 1;
  torch::Tensor a = x.to(torch::kFloat64).reshape({-1});
  torch::Tensor b = y.to(torch::kFloat64).reshape({-1});
  double denominator = (a * a + b * b).sum().item<double>();
  if (denominator == 0)
    return 0;
  return 1 - 2 * (a * b).sum().item<double>() / denominator;
}

double relativeDifference(const torch::Tensor &x, const torch::Tensor &y) {
  if (bitwiseEqual(x, y))
    return 0;
  torch::Tensor a = x.to(torch::kFloat64), b = y.to(torch::kFloat64);
  double scale = b.abs().max().item<double>();
  double difference = (a - b).abs().max().item<double>();
  return scale > 0 ? difference / scale
                   : std::numeric_limits<double>::infinity();
}

double ulpOf(const torch::Tensor &x) { return epsilonOf(x.scalar_type()); }

bool bitwiseEqual(const torch::Tensor &x, const torch::Tensor &y) {
  if (x.scalar_type() != y.scalar_type() || x.sizes() != y.sizes())
    return false;
  torch::Tensor a = x.cpu().contiguous(), b = y.cpu().contiguous();
  return std::memcmp(a.data_ptr(), b.data_ptr(), a.nbytes()) == 0;
}

} // namespace dualpipe::runtime
