//===- Stage.h - One pipeline stage under LibTorch --------------*- C++ -*-===//
//
// A stage is a module (its layers in order) plus the bookkeeping of the
// zero-bubble split: forward keeps the graph of every micro-batch until its
// backward; backward_input computes the input gradient and keeps the graph;
// backward_weight later computes the weight gradient from the same graph and
// frees it. The executor and the sequential reference both run stages through
// this class, which is what makes their losses bitwise comparable.
//
//===----------------------------------------------------------------------===//
#ifndef DUALPIPE_RUNTIME_STAGE_H
#define DUALPIPE_RUNTIME_STAGE_H

#include "dualpipe/Runtime/Data.h"
#include "dualpipe/Runtime/Program.h"

#include <torch/torch.h>

#include <map>
#include <memory>
#include <mutex>

namespace dualpipe::runtime {

/// Deterministic synthetic training data: micro-batch `mb` depends only on
/// (seed, mb), so every process and the reference see the same rows. Every
/// step trains on the same N micro-batches (one fixed batch), which makes a
/// falling loss a visible sign that training works.
/// The rows are drawn on the CPU and then moved to `device`, so that a
/// device run trains on exactly the rows of a CPU run (CUDA's generators
/// draw other numbers from the same seed).
/// A run's BatchSource, where it has one, replaces the synthetic batch.
class DataSource {
public:
  explicit DataSource(const TrainConfig &config,
                      torch::Device device = torch::kCPU,
                      std::shared_ptr<BatchSource> source = nullptr)
      : config_(config), user_(std::move(source)), device_(device) {}
  /// The input of micro-batch `mb` in step `step` (counted from 0; the
  /// synthetic batch is the same every step).
  torch::Tensor input(int64_t step, int64_t mb) const;
  /// mse: a tensor of the message shape; cross_entropy: class ids (int64)
  /// of the message shape without its last dimension.
  torch::Tensor target(int64_t step, int64_t mb) const;

private:
  TrainConfig config_;
  UserData user_;
  torch::Device device_;
};

/// `state` mixed with each of the values in turn (splitmix64), so that
/// unrelated (seed, stage, ...) tuples give unrelated keys.
uint64_t mixSeed(uint64_t state, std::initializer_list<uint64_t> values);

/// A generator seeded from a mix of the values (mixSeed).
at::Generator seededGenerator(std::initializer_list<uint64_t> values);

/// The deferred weight products of one micro-batch, as DeepSeek's
/// WeightGradStore: during the input pass every linear layer computes only
/// dX = dY W and queues (X, dY); the weight pass computes dW = dY^T X (and
/// db = sum dY) and adds them to the parameters' gradients. A split I + W
/// thus does the products of a full backward and no more.
class WeightGradStore {
public:
  void push(torch::Tensor x, torch::Tensor gradY, torch::Tensor weight,
            torch::Tensor bias);
  /// Computes and accumulates every queued weight gradient (an entry with
  /// no x is a finished gradient of `weight`); empties the queue.
  void flush();

private:
  struct Entry {
    torch::Tensor x, gradY, weight, bias;
  };
  std::mutex mutex_;
  std::vector<Entry> entries_;
};

/// torch::linear(x, weight, bias) whose backward defers the weight product
/// to the store of the stage forward running on this thread (set by
/// StageWorker::forward); plain torch::linear where there is none.
torch::Tensor deferredLinear(const torch::Tensor &x,
                             const torch::Tensor &weight,
                             const torch::Tensor &bias);

/// Makes `store` the one deferredLinear queues into on this thread, for
/// this object's lifetime.
class ActiveWeightGradStore {
public:
  explicit ActiveWeightGradStore(WeightGradStore *store);
  ~ActiveWeightGradStore();
  ActiveWeightGradStore(const ActiveWeightGradStore &) = delete;
  ActiveWeightGradStore &operator=(const ActiveWeightGradStore &) = delete;

private:
  WeightGradStore *previous_;
};

/// One layer of a stage.
class Layer {
public:
  virtual ~Layer() = default;
  virtual torch::Tensor forward(const torch::Tensor &input) = 0;
  virtual std::vector<torch::Tensor> parameters() = 0;
  /// True if every weight product of the layer goes through deferredLinear
  /// and its other parameters' gradients are cheap enough for the input
  /// pass. A stage of such layers splits its backward with a
  /// WeightGradStore; any other stage restarts autograd per layer in
  /// backward_weight (docs/checkpoints.md states the cost).
  virtual bool defersWeightGradients() const { return false; }
  /// Moves the layer's state to `device`, keeping each parameter's identity
  /// (the stage's optimizer holds the same tensors). The default moves the
  /// parameters; a layer with other state (buffers) moves that too.
  virtual void moveTo(torch::Device device);
};

/// Builds a layer from its spec. Built-in kernels are initialised from
/// `generator`; TorchScript layers keep the weights of their file. Throws
/// std::runtime_error naming `path` on a bad spec.
std::unique_ptr<Layer> makeLayer(const LayerSpec &spec,
                                 const TrainConfig &config,
                                 const std::string &baseDir,
                                 const std::string &path,
                                 at::Generator &generator);

/// FLOPs of one token's forward and backward through the layer (matrix
/// products, 2 per multiply-add; the backward costs twice the forward), or
/// 0 for a kernel whose cost is unknown (TorchScript) or negligible.
double trainingFlopsPerToken(const LayerSpec &spec, const TrainConfig &config);

/// One copy of a stage with the micro-batches in flight through it.
/// Thread-safety: forward may run concurrently with one backward-family call
/// (an overlapped pair); two backward-family calls never run concurrently.
class StageWorker {
public:
  /// Parameters are drawn from (seed, stage) on the CPU, then moved to
  /// `device`, so the two DualPipe copies of a stage, and the reference's
  /// copy, start identical on every device. The last stage draws its
  /// targets from `data` (the run's BatchSource), or the synthetic batch,
  /// and an evaluation's from `evalData` (the validation source).
  StageWorker(const StageSpec &spec, const LoadedProgram &program,
              torch::Device device = torch::kCPU,
              std::shared_ptr<BatchSource> data = nullptr,
              std::shared_ptr<BatchSource> evalData = nullptr);

  int64_t stage() const { return stage_; }
  torch::Device device() const { return device_; }
  bool isLast() const { return last_; }

  /// Runs the forward of micro-batch `mb` and keeps its graph. Returns the
  /// activation to pass on (detached), or on the last stage the
  /// micro-batch's loss divided by the micro-batch count (a detached
  /// scalar), so that summed gradients are those of the full-batch mean.
  /// `step` picks the last stage's target (DataSource).
  torch::Tensor forward(int64_t mb, const torch::Tensor &input,
                        int64_t step = 0);
  /// The forward of an evaluation: no graph, nothing kept, the parameters
  /// and gradients untouched; on the last stage the loss (divided by the
  /// micro-batch count, as forward's) against `evalData`'s target of
  /// (`index`, `mb`). Thread-safe with every other call but optimizerStep.
  torch::Tensor evaluate(int64_t mb, const torch::Tensor &input, int64_t index);
  /// Full backward: input gradient (undefined on stage 0) and weight
  /// gradients (accumulated into the parameters' grad). `gradOutput` is
  /// ignored on the last stage.
  torch::Tensor backward(int64_t mb, const torch::Tensor &gradOutput);
  /// Input gradient only; the graph stays for backwardWeight.
  torch::Tensor backwardInput(int64_t mb, const torch::Tensor &gradOutput);
  /// Weight gradients of a micro-batch whose backwardInput ran.
  void backwardWeight(int64_t mb);

  std::vector<torch::Tensor> &parameters() { return params_; }
  /// Per-layer views for checkpoints, which key layers by their global
  /// index and so must not depend on how layers are grouped into stages.
  size_t layerCount() const { return layers_.size(); }
  std::vector<torch::Tensor> layerParameters(size_t layer) const {
    return {params_.begin() + layerParams_[layer],
            params_.begin() + layerParams_[layer + 1]};
  }
  /// Null for a stage without parameters.
  torch::optim::Optimizer *optimizer() { return optimizer_.get(); }
  /// Accumulated weight gradients, one per parameter (zeros where a
  /// parameter got none), flattened into one tensor.
  torch::Tensor flatGradients() const;
  void setFlatGradients(const torch::Tensor &flat);
  torch::Tensor flatParameters() const;
  void zeroGrad();
  void optimizerStep();
  /// Micro-batches whose graph is held (forward done, backward pending).
  int64_t liveActivations() const;

private:
  struct Context {
    torch::Tensor input;  // requires grad unless this is stage 0
    torch::Tensor output; // the activation, or the loss on the last stage
    /// Every layer's output, so that backward_weight can start at each
    /// parameterised layer instead of at the stage output.
    std::vector<torch::Tensor> layerOutputs;
    /// Set by backwardInput: the gradient of each parameterised layer's
    /// output (undefined for the others).
    std::vector<torch::Tensor> layerOutputGrads;
    bool inputDone = false;
    /// The deferred weight products (stages whose layers all defer).
    std::shared_ptr<WeightGradStore> store;
  };
  /// The input pass of a deferring stage: dX (undefined on stage 0), the
  /// weight products queued in ctx.store, the graph freed.
  torch::Tensor deferredInputPass(const Context &ctx,
                                  const torch::Tensor &gradOutput);
  Context takeContext(int64_t mb, bool keep);
  torch::Tensor seedGradient(const Context &ctx,
                             const torch::Tensor &gradOutput) const;
  void accumulate(const std::vector<torch::Tensor> &grads, size_t first);
  torch::Tensor lossOf(const torch::Tensor &output,
                       const torch::Tensor &target) const;

  int64_t stage_;
  torch::Device device_;
  bool last_;
  bool defers_ = false; // every layer defersWeightGradients()
  int64_t microbatches_;
  TrainConfig config_;
  DataSource data_, evalData_;
  std::vector<std::unique_ptr<Layer>> layers_;
  std::vector<torch::Tensor> params_;
  /// Layer l's parameters are params_[layerParams_[l], layerParams_[l+1]).
  std::vector<size_t> layerParams_;
  std::unique_ptr<torch::optim::Optimizer> optimizer_;
  mutable std::mutex mutex_; // guards contexts_
  std::map<int64_t, Context> contexts_;
};

} // namespace dualpipe::runtime

#endif // DUALPIPE_RUNTIME_STAGE_H
