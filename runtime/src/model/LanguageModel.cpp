//===- LanguageModel.cpp - The embedding and lm_head kernels --------------===//

#include "LanguageModel.h"

#include "dualpipe/Runtime/ElementType.h"
#include "dualpipe/Schedule/Kernels.h"

#include <cmath>

namespace dualpipe::runtime {
namespace {

/// GPT-2's initialisation of embeddings and projections.
constexpr double kInitStd = 0.02;

torch::TensorOptions floatOptions(const TrainConfig &config) {
  return torch::TensorOptions().dtype(scalarType(config));
}

torch::Tensor normal(std::vector<int64_t> shape, const TrainConfig &config,
                     at::Generator &gen) {
  return torch::empty(shape, floatOptions(config))
      .normal_(0, kInitStd, gen)
      .requires_grad_();
}

torch::Tensor filled(int64_t size, double value, const TrainConfig &config) {
  return torch::full({size}, value, floatOptions(config)).requires_grad_();
}

/// The reason an attribute is bad, or empty. `vocab` and `hidden` are
/// consistency checks against the program: the vocabulary is the model's
/// classes, the width the message's.
std::string checkAttrs(const LayerSpec &spec, const TrainConfig &config,
                       const std::string &path, bool vocabRequired) {
  for (const auto &entry : spec.attrs)
    if (entry.first != "vocab" && entry.first != "hidden")
      return path + ".attrs: unknown attribute '" + entry.first +
             "' for kernel " + spec.kernel + " (known: hidden, vocab)";
  for (auto [key, expected] : {std::pair{"vocab", config.classes},
                               std::pair{"hidden", config.hidden()}}) {
    const AttrValue *value = spec.attrs.find(key);
    if (!value) {
      if (vocabRequired && std::string_view(key) == "vocab")
        return path + ".attrs.vocab: kernel embedding needs its vocabulary "
                      "size";
      continue;
    }
    if (!value->asInt() || *value->asInt() < 1)
      return path + ".attrs." + key + ": expected a positive integer, got " +
             value->text();
    if (*value->asInt() != expected)
      return path + ".attrs." + key + ": " + value->text() +
             " differs from the " +
             (std::string_view(key) == "vocab" ? "model's classes "
                                               : "message's hidden size ") +
             std::to_string(expected);
  }
  if (config.messageShape.size() != 3)
    return path + ": kernel " + spec.kernel +
           " needs [rows, seq, hidden] messages (set the model's seq_len)";
  if (config.loss != LossKind::CrossEntropy)
    return path + ": kernel " + spec.kernel +
           " needs the model's loss to be cross_entropy (token targets)";
  return "";
}

/// Token and position embeddings, summed: [rows, seq] ids -> [rows, seq,
/// hidden].
class EmbeddingLayer : public Layer {
public:
  EmbeddingLayer(const TrainConfig &config, at::Generator &gen) {
    tokens_ = normal({config.classes, config.hidden()}, config, gen);
    positions_ = normal({config.messageShape[1], config.hidden()}, config, gen);
  }
  torch::Tensor forward(const torch::Tensor &ids) override {
    return torch::embedding(tokens_, ids) + positions_;
  }
  std::vector<torch::Tensor> parameters() override {
    return {tokens_, positions_};
  }

private:
  torch::Tensor tokens_, positions_;
};

/// The final layer norm of a pre-norm stack, then the projection to the
/// vocabulary (no bias, as GPT-2's).
class LmHeadLayer : public Layer {
public:
  LmHeadLayer(const TrainConfig &config, at::Generator &gen)
      : hidden_(config.hidden()) {
    normWeight_ = filled(hidden_, 1, config);
    normBias_ = filled(hidden_, 0, config);
    projection_ = normal({config.classes, hidden_}, config, gen);
  }
  torch::Tensor forward(const torch::Tensor &x) override {
    return torch::linear(
        torch::layer_norm(x, {hidden_}, normWeight_, normBias_), projection_);
  }
  std::vector<torch::Tensor> parameters() override {
    return {normWeight_, normBias_, projection_};
  }

private:
  int64_t hidden_;
  torch::Tensor normWeight_, normBias_, projection_;
};

} // namespace

bool isLanguageKernel(std::string_view kernel) {
  return kernel == kEmbeddingKernel || kernel == kLmHeadKernel;
}

std::string checkLanguageLayer(const LayerSpec &spec, const TrainConfig &config,
                               const std::string &path) {
  bool embedding = spec.kernel == kEmbeddingKernel;
  if (std::string bad = checkAttrs(spec, config, path, embedding); !bad.empty())
    return bad;
  if (embedding && !config.tokenInput)
    return path + ": kernel embedding needs token ids as the input (the "
                  "program's input dtype int64)";
  return "";
}

std::unique_ptr<Layer> makeLanguageLayer(const LayerSpec &spec,
                                         const TrainConfig &config,
                                         at::Generator &generator) {
  if (std::string bad = checkLanguageLayer(spec, config, "layer"); !bad.empty())
    throw std::runtime_error(bad);
  if (spec.kernel == kEmbeddingKernel)
    return std::make_unique<EmbeddingLayer>(config, generator);
  return std::make_unique<LmHeadLayer>(config, generator);
}

} // namespace dualpipe::runtime
