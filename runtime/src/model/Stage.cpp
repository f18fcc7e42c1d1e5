//===- Stage.cpp - One pipeline stage under LibTorch ----------------------===//

#include "dualpipe/Runtime/Stage.h"
#include "dualpipe/Runtime/ElementType.h"

#include "ErrorText.h"

#include <algorithm>
#include <utility>

namespace dualpipe::runtime {
namespace {

torch::TensorOptions dataOptions(const TrainConfig &config) {
  return torch::TensorOptions().dtype(scalarType(config));
}

/// Salt of each data stream, so inputs and targets never share draws.
enum DataStream : uint64_t { kInputStream = 1, kTargetStream = 2 };

} // namespace

torch::Tensor DataSource::input(int64_t step, int64_t mb) const {
  if (user_.active())
    return user_.input(step, mb, config_).to(device_);
  at::Generator gen =
      seededGenerator({config_.seed, kInputStream, uint64_t(mb)});
  if (config_.tokenInput)
    return torch::randint(0, config_.classes, config_.inputShape, gen,
                          torch::TensorOptions().dtype(torch::kLong))
        .to(device_);
  return torch::randn(config_.messageShape, gen, dataOptions(config_))
      .to(device_);
}

torch::Tensor DataSource::target(int64_t step, int64_t mb) const {
  if (user_.active())
    return user_.target(step, mb, config_).to(device_);
  at::Generator gen =
      seededGenerator({config_.seed, kTargetStream, uint64_t(mb)});
  if (config_.loss == LossKind::Mse)
    return torch::randn(config_.messageShape, gen, dataOptions(config_))
        .to(device_);
  std::vector<int64_t> rows(config_.messageShape.begin(),
                            config_.messageShape.end() - 1);
  return torch::randint(0, config_.classes, rows, gen,
                        torch::TensorOptions().dtype(torch::kLong))
      .to(device_);
}

StageWorker::StageWorker(const StageSpec &spec, const LoadedProgram &program,
                         torch::Device device,
                         std::shared_ptr<BatchSource> data,
                         std::shared_ptr<BatchSource> evalData)
    : stage_(spec.stage), device_(device),
      last_(spec.stage + 1 == program.placement().stages),
      microbatches_(program.placement().microbatches), config_(program.config),
      data_(program.config, device, std::move(data)),
      evalData_(program.config, device, std::move(evalData)) {
  at::Generator gen = seededGenerator({config_.seed, uint64_t(stage_)});
  layerParams_.push_back(0);
  for (size_t l = 0; l < spec.layers.size(); ++l) {
    std::string path = "model.stages[" + std::to_string(stage_) + "].layers[" +
                       std::to_string(l) + "]";
    layers_.push_back(
        makeLayer(spec.layers[l], config_, program.baseDir, path, gen));
    for (const torch::Tensor &p : layers_.back()->parameters())
      params_.push_back(p);
    layerParams_.push_back(params_.size());
  }
  defers_ = std::all_of(layers_.begin(), layers_.end(), [](const auto &layer) {
    return layer->defersWeightGradients();
  });
  if (!device_.is_cpu())
    for (auto &layer : layers_)
      layer->moveTo(device_);
  if (params_.empty())
    return;
  if (config_.optimizer == OptimizerKind::Adam)
    optimizer_ = std::make_unique<torch::optim::Adam>(
        params_, torch::optim::AdamOptions(config_.lr)
                     .weight_decay(config_.weightDecay));
  else
    optimizer_ = std::make_unique<torch::optim::SGD>(
        params_, torch::optim::SGDOptions(config_.lr)
                     .momentum(config_.momentum)
                     .weight_decay(config_.weightDecay));
}

void Layer::moveTo(torch::Device device) {
  // set_data keeps each parameter's identity, as Module::to does.
  for (torch::Tensor &p : parameters())
    p.set_data(p.data().to(device));
}

torch::Tensor StageWorker::lossOf(const torch::Tensor &model,
                                  const torch::Tensor &given) const {
  torch::Tensor output = model.to(lossScalarType(config_));
  torch::Tensor target = given;
  torch::Tensor loss;
  if (config_.loss == LossKind::Mse) {
    target = target.to(output.scalar_type());
    if (output.sizes() != target.sizes())
      throw std::runtime_error(
          "last stage output " + shapeText(output.sizes()) +
          " does not match the target " + shapeText(target.sizes()));
    loss = torch::mse_loss(output, target);
  } else {
    torch::Tensor logits =
        output.narrow(-1, 0, config_.classes).reshape({-1, config_.classes});
    loss = torch::nn::functional::cross_entropy(logits, target.reshape({-1}));
  }
  return loss / static_cast<double>(microbatches_);
}

torch::Tensor StageWorker::evaluate(int64_t mb, const torch::Tensor &input,
                                    int64_t index) {
  torch::NoGradGuard noGrad;
  torch::Tensor out = input;
  for (auto &layer : layers_)
    out = layer->forward(out);
  return last_ ? lossOf(out, evalData_.target(index, mb)) : out;
}

torch::Tensor StageWorker::forward(int64_t mb, const torch::Tensor &input,
                                   int64_t step) {
  torch::AutoGradMode gradMode(true);
  // Stage 0 reads data, which needs no gradient; later stages start a graph
  // of their own at the received activation.
  torch::Tensor x = stage_ == 0 ? input : input.detach().requires_grad_();
  torch::Tensor out = x;
  std::vector<torch::Tensor> layerOutputs;
  std::shared_ptr<WeightGradStore> store;
  if (defers_) {
    store = std::make_shared<WeightGradStore>();
    ActiveWeightGradStore active(store.get());
    for (auto &layer : layers_)
      out = layer->forward(out);
  } else {
    layerOutputs.reserve(layers_.size());
    for (auto &layer : layers_) {
      out = layer->forward(out);
      layerOutputs.push_back(out);
    }
  }
  if (last_)
    out = lossOf(out, data_.target(step, mb));
  std::lock_guard<std::mutex> lock(mutex_);
  if (!contexts_
           .emplace(mb, Context{x,
                                out,
                                std::move(layerOutputs),
                                {},
                                false,
                                std::move(store)})
           .second)
    throw std::runtime_error("micro-batch " + std::to_string(mb) +
                             " is already in flight on this stage");
  return out.detach();
}

StageWorker::Context StageWorker::takeContext(int64_t mb, bool keep) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = contexts_.find(mb);
  if (it == contexts_.end())
    throw std::runtime_error("micro-batch " + std::to_string(mb) +
                             " has no forward pending on this stage");
  Context ctx = it->second;
  if (!keep)
    contexts_.erase(it);
  return ctx;
}

torch::Tensor StageWorker::seedGradient(const Context &ctx,
                                        const torch::Tensor &gradOutput) const {
  if (last_)
    return torch::ones_like(ctx.output);
  if (!gradOutput.defined() || gradOutput.sizes() != ctx.output.sizes() ||
      gradOutput.scalar_type() != ctx.output.scalar_type())
    throw std::runtime_error(
        "gradient " +
        (gradOutput.defined() ? shapeText(gradOutput.sizes()) : "<none>") +
        " does not match the stage output " + shapeText(ctx.output.sizes()));
  return gradOutput;
}

void StageWorker::accumulate(const std::vector<torch::Tensor> &grads,
                             size_t first) {
  for (size_t i = 0; i < params_.size(); ++i) {
    const torch::Tensor &g = grads[first + i];
    if (!g.defined())
      continue;
    torch::Tensor &acc = params_[i].mutable_grad();
    // autograd may hand back a tensor that aliases the incoming gradient,
    // which must not be modified in place: the first one is copied.
    if (acc.defined())
      acc.add_(g);
    else
      acc = g.detach().clone();
  }
}

torch::Tensor StageWorker::backward(int64_t mb,
                                    const torch::Tensor &gradOutput) {
  Context ctx = takeContext(mb, false);
  if (ctx.inputDone)
    throw std::runtime_error("micro-batch " + std::to_string(mb) +
                             " already ran backward_input; use "
                             "backward_weight");
  if (!ctx.output.requires_grad())
    return stage_ == 0 ? torch::Tensor() : torch::zeros_like(ctx.input);
  if (defers_) {
    // Exactly the products of the split: the input pass, then the queue.
    torch::Tensor inputGrad = deferredInputPass(ctx, gradOutput);
    ctx.store->flush();
    return inputGrad;
  }
  torch::Tensor seed = seedGradient(ctx, gradOutput);
  std::vector<torch::Tensor> inputs;
  if (stage_ > 0)
    inputs.push_back(ctx.input);
  inputs.insert(inputs.end(), params_.begin(), params_.end());
  auto grads = torch::autograd::grad({ctx.output}, inputs, {seed},
                                     /*retain_graph=*/false,
                                     /*create_graph=*/false,
                                     /*allow_unused=*/true);
  accumulate(grads, stage_ > 0 ? 1 : 0);
  if (stage_ == 0)
    return torch::Tensor();
  return grads[0].defined() ? grads[0] : torch::zeros_like(ctx.input);
}

torch::Tensor StageWorker::backwardInput(int64_t mb,
                                         const torch::Tensor &gradOutput) {
  Context ctx = takeContext(mb, true);
  if (ctx.inputDone)
    throw std::runtime_error("micro-batch " + std::to_string(mb) +
                             " already ran backward_input");
  if (defers_) {
    torch::Tensor inputGrad;
    if (ctx.output.requires_grad())
      inputGrad = deferredInputPass(ctx, gradOutput);
    else if (stage_ > 0)
      inputGrad = torch::zeros_like(ctx.input);
    std::lock_guard<std::mutex> lock(mutex_);
    contexts_.at(mb).inputDone = true;
    return inputGrad;
  }
  torch::Tensor seed = seedGradient(ctx, gradOutput);
  // One pass computes the input gradient and, on the way, the gradient of
  // every parameterised layer's output, from which backward_weight needs
  // only each layer's own backward. (The output of a last layer that is the
  // stage output has the seed as its gradient.)
  std::vector<torch::Tensor> layerOutputGrads(layers_.size());
  std::vector<torch::Tensor> wanted;
  std::vector<size_t> wantedLayers;
  if (stage_ > 0)
    wanted.push_back(ctx.input);
  for (size_t l = 0; l < layers_.size(); ++l) {
    const torch::Tensor &out = ctx.layerOutputs[l];
    if (layerParams_[l] == layerParams_[l + 1] || !out.requires_grad())
      continue;
    if (!last_ && l + 1 == layers_.size()) {
      layerOutputGrads[l] = seed;
      continue;
    }
    wanted.push_back(out);
    wantedLayers.push_back(l);
  }
  torch::Tensor inputGrad;
  if (!wanted.empty() && ctx.output.requires_grad()) {
    auto grads = torch::autograd::grad({ctx.output}, wanted, {seed},
                                       /*retain_graph=*/true,
                                       /*create_graph=*/false,
                                       /*allow_unused=*/true);
    size_t next = 0;
    if (stage_ > 0)
      inputGrad = grads[next++];
    for (size_t l : wantedLayers)
      layerOutputGrads[l] = grads[next++];
  }
  if (stage_ > 0 && !inputGrad.defined())
    inputGrad = torch::zeros_like(ctx.input);
  std::lock_guard<std::mutex> lock(mutex_);
  Context &stored = contexts_.at(mb);
  stored.layerOutputGrads = std::move(layerOutputGrads);
  stored.inputDone = true;
  return inputGrad;
}

void StageWorker::backwardWeight(int64_t mb) {
  Context ctx = takeContext(mb, false);
  if (!ctx.inputDone)
    throw std::runtime_error("micro-batch " + std::to_string(mb) +
                             " has no backward_input before backward_weight");
  if (params_.empty() || !ctx.output.requires_grad())
    return;
  if (defers_) {
    ctx.store->flush();
    return;
  }
  // Each layer's backward from its own output: the layers' graphs are
  // disjoint, so none is traversed twice and each can be freed as it goes.
  std::vector<torch::Tensor> grads(params_.size());
  for (size_t l = 0; l < layers_.size(); ++l) {
    const torch::Tensor &outGrad = ctx.layerOutputGrads[l];
    if (!outGrad.defined())
      continue;
    std::vector<torch::Tensor> params(params_.begin() + layerParams_[l],
                                      params_.begin() + layerParams_[l + 1]);
    auto layerGrads =
        torch::autograd::grad({ctx.layerOutputs[l]}, params, {outGrad},
                              /*retain_graph=*/false,
                              /*create_graph=*/false,
                              /*allow_unused=*/true);
    std::copy(layerGrads.begin(), layerGrads.end(),
              grads.begin() + layerParams_[l]);
  }
  accumulate(grads, 0);
}

torch::Tensor StageWorker::deferredInputPass(const Context &ctx,
                                             const torch::Tensor &gradOutput) {
  torch::Tensor seed = seedGradient(ctx, gradOutput);
  // The linears' weight products go to the store. The engine accumulates
  // the other parameters' gradients (layer norms: element-wise, already
  // computed on the way) into their grad; they are taken out and queued
  // too, so that I produces no weight gradient and W all of them.
  std::vector<torch::Tensor> earlier(params_.size());
  for (size_t i = 0; i < params_.size(); ++i)
    earlier[i] = std::exchange(params_[i].mutable_grad(), torch::Tensor());
  torch::autograd::backward({ctx.output}, {seed}, /*retain_graph=*/false);
  for (size_t i = 0; i < params_.size(); ++i) {
    torch::Tensor fresh =
        std::exchange(params_[i].mutable_grad(), std::move(earlier[i]));
    if (fresh.defined())
      ctx.store->push(torch::Tensor(), fresh, params_[i], torch::Tensor());
  }
  if (stage_ == 0)
    return torch::Tensor();
  torch::Tensor inputGrad = ctx.input.grad();
  return inputGrad.defined() ? inputGrad : torch::zeros_like(ctx.input);
}

torch::Tensor StageWorker::flatGradients() const {
  std::vector<torch::Tensor> parts;
  for (const torch::Tensor &p : params_)
    parts.push_back(p.grad().defined()
                        ? p.grad().reshape({-1})
                        : torch::zeros({p.numel()}, p.options()));
  if (parts.empty())
    return torch::zeros({0}, dataOptions(config_).device(device_));
  return torch::cat(parts);
}

void StageWorker::setFlatGradients(const torch::Tensor &flat) {
  int64_t offset = 0;
  for (torch::Tensor &p : params_) {
    p.mutable_grad() =
        flat.narrow(0, offset, p.numel()).reshape(p.sizes()).clone();
    offset += p.numel();
  }
}

torch::Tensor StageWorker::flatParameters() const {
  std::vector<torch::Tensor> parts;
  for (const torch::Tensor &p : params_)
    parts.push_back(p.detach().reshape({-1}));
  if (parts.empty())
    return torch::zeros({0}, dataOptions(config_).device(device_));
  return torch::cat(parts);
}

void StageWorker::zeroGrad() {
  for (torch::Tensor &p : params_)
    p.mutable_grad() = torch::Tensor();
}

void StageWorker::optimizerStep() {
  if (optimizer_)
    optimizer_->step();
}

int64_t StageWorker::liveActivations() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return static_cast<int64_t>(contexts_.size());
}

} // namespace dualpipe::runtime
