//===- WeightGradStore.cpp - Deferred weight products of linear layers ----===//

#include "dualpipe/Runtime/Stage.h"

namespace dualpipe::runtime {
namespace {

thread_local WeightGradStore *activeStore = nullptr;

/// A linear layer whose backward computes only the input gradient and
/// queues the weight product. The forward is torch::linear itself, so the
/// losses are bitwise those of an undeferred layer.
struct StoredLinear : torch::autograd::Function<StoredLinear> {
  static torch::Tensor forward(torch::autograd::AutogradContext *ctx,
                               const torch::Tensor &x,
                               const torch::Tensor &weight,
                               const c10::optional<torch::Tensor> &bias,
                               int64_t store) {
    torch::Tensor b = bias ? *bias : torch::Tensor();
    ctx->save_for_backward({x, weight});
    ctx->saved_data["store"] = store;
    ctx->saved_data["bias"] = b.defined();
    if (b.defined())
      ctx->saved_data["bias_tensor"] = b;
    return torch::linear(x, weight, b);
  }

  static torch::autograd::variable_list
  backward(torch::autograd::AutogradContext *ctx,
           torch::autograd::variable_list grads) {
    auto saved = ctx->get_saved_variables();
    torch::Tensor gradY = grads[0];
    torch::Tensor bias;
    if (ctx->saved_data["bias"].toBool())
      bias = ctx->saved_data["bias_tensor"].toTensor();
    auto *store =
        reinterpret_cast<WeightGradStore *>(ctx->saved_data["store"].toInt());
    store->push(saved[0], gradY, saved[1], bias);
    torch::Tensor gradX;
    if (ctx->needs_input_grad(0))
      gradX = gradY.matmul(saved[1]);
    return {gradX, torch::Tensor(), torch::Tensor(), torch::Tensor()};
  }
};

void addGradient(const torch::Tensor &param, const torch::Tensor &grad) {
  torch::Tensor &acc = const_cast<torch::Tensor &>(param).mutable_grad();
  if (acc.defined())
    acc.add_(grad);
  else
    acc = grad;
}

} // namespace

void WeightGradStore::push(torch::Tensor x, torch::Tensor gradY,
                           torch::Tensor weight, torch::Tensor bias) {
  std::lock_guard<std::mutex> lock(mutex_);
  entries_.push_back(
      {std::move(x), std::move(gradY), std::move(weight), std::move(bias)});
}

void WeightGradStore::flush() {
  std::vector<Entry> entries;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    entries.swap(entries_);
  }
  torch::NoGradGuard noGrad;
  for (const Entry &e : entries) {
    // Without an X the entry is a finished gradient of `weight` (a
    // parameter outside the linears, computed by the input pass).
    if (!e.x.defined()) {
      addGradient(e.weight, e.gradY);
      continue;
    }
    torch::Tensor gradY = e.gradY.reshape({-1, e.gradY.size(-1)});
    addGradient(e.weight, gradY.t().mm(e.x.reshape({-1, e.x.size(-1)})));
    if (e.bias.defined())
      addGradient(e.bias, gradY.sum(0));
  }
}

torch::Tensor deferredLinear(const torch::Tensor &x,
                             const torch::Tensor &weight,
                             const torch::Tensor &bias) {
  if (!activeStore)
    return torch::linear(x, weight, bias);
  c10::optional<torch::Tensor> b;
  if (bias.defined())
    b = bias;
  return StoredLinear::apply(x, weight, b,
                             reinterpret_cast<int64_t>(activeStore));
}

/// Sets the store of the forward running on this thread for its lifetime.
ActiveWeightGradStore::ActiveWeightGradStore(WeightGradStore *store)
    : previous_(activeStore) {
  activeStore = store;
}
ActiveWeightGradStore::~ActiveWeightGradStore() { activeStore = previous_; }

} // namespace dualpipe::runtime
