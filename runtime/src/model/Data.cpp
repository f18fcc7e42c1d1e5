//===- Data.cpp - User-supplied training data -----------------------------===//

#include "dualpipe/Runtime/Data.h"
#include "dualpipe/Runtime/ElementType.h"

#include <sstream>

namespace dualpipe::runtime {
namespace {

torch::ScalarType messageDtype(const TrainConfig &config) {
  return scalarType(config);
}

std::string describe(const torch::Tensor &t) {
  std::ostringstream out;
  out << t.sizes() << " (" << t.scalar_type() << ")";
  return out.str();
}

[[noreturn]] void refuse(const char *what, int64_t step, int64_t mb,
                         const std::string &why) {
  throw std::runtime_error(std::string("data: step ") + std::to_string(step) +
                           ", micro-batch " + std::to_string(mb) + ": the " +
                           what + " " + why);
}

/// A tensor of exactly `shape` and `dtype`, or an error naming the draw.
torch::Tensor expect(const torch::Tensor &t, torch::IntArrayRef shape,
                     torch::ScalarType dtype, const char *what, int64_t step,
                     int64_t mb) {
  if (!t.defined())
    refuse(what, step, mb, "is undefined");
  if (t.sizes() != shape || t.scalar_type() != dtype) {
    std::ostringstream expected;
    expected << shape << " (" << dtype << ")";
    refuse(what, step, mb,
           "has shape " + describe(t) + ", expected " + expected.str());
  }
  // The runtime owns what it trains on: the caller may reuse its tensor.
  return t.detach().to(torch::kCPU).contiguous().clone();
}

void checkIds(const torch::Tensor &ids, int64_t classes, const char *what,
              const char *unit, int64_t step, int64_t mb) {
  if (ids.numel() > 0 &&
      (ids.min().item<int64_t>() < 0 || ids.max().item<int64_t>() >= classes))
    refuse(what, step, mb,
           std::string("holds a ") + unit + " outside [0, " +
               std::to_string(classes) + ")");
}

} // namespace

torch::Tensor UserData::input(int64_t step, int64_t mb,
                              const TrainConfig &config) const {
  if (!config.tokenInput)
    return expect(source_->input(step, mb), config.messageShape,
                  messageDtype(config), "input", step, mb);
  torch::Tensor ids = expect(source_->input(step, mb), config.inputShape,
                             torch::kLong, "input", step, mb);
  checkIds(ids, config.classes, "input", "token id", step, mb);
  return ids;
}

torch::Tensor UserData::target(int64_t step, int64_t mb,
                               const TrainConfig &config) const {
  torch::Tensor t = source_->target(step, mb);
  if (config.loss == LossKind::Mse)
    return expect(t, config.messageShape, messageDtype(config), "target", step,
                  mb);
  std::vector<int64_t> rows(config.messageShape.begin(),
                            config.messageShape.end() - 1);
  torch::Tensor ids = expect(t, rows, torch::kLong, "target", step, mb);
  checkIds(ids, config.classes, "target", "class id", step, mb);
  return ids;
}

} // namespace dualpipe::runtime
