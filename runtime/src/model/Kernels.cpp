//===- Kernels.cpp - Built-in and TorchScript layers ----------------------===//
//
// The built-in kernels are written with plain tensor functions instead of
// torch::nn modules so that their parameters are explicit, initialised from
// the stage's generator and listed in a fixed order (what the mirrors and
// the reference rely on to start identical).
//
//===----------------------------------------------------------------------===//

#include "dualpipe/Schedule/Kernels.h"
#include "LanguageModel.h"
#include "dualpipe/Runtime/ElementType.h"
#include "dualpipe/Runtime/Stage.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/script.h>

#include <cmath>
#include <set>
#include <sys/stat.h>

namespace dualpipe::runtime {
namespace {

struct KernelError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

[[noreturn]] void fail(const std::string &path, const std::string &message) {
  throw KernelError(path + ": " + message);
}

void checkKnownAttrs(const LayerSpec &spec, const std::string &path,
                     const std::set<std::string> &known) {
  for (const auto &[key, value] : spec.attrs)
    if (!known.count(key)) {
      std::string list;
      for (const std::string &name : known)
        list += (list.empty() ? "" : ", ") + name;
      fail(path + ".attrs",
           "unknown attribute '" + key + "' for kernel " + spec.kernel +
               " (known: " + (list.empty() ? "none" : list) + ")");
    }
}

int64_t intAttr(const LayerSpec &spec, const std::string &path, const char *key,
                int64_t fallback) {
  const AttrValue *value = spec.attrs.find(key);
  if (!value)
    return fallback;
  if (!value->asInt() || *value->asInt() < 1)
    fail(path + ".attrs." + key,
         "expected a positive integer, got " + value->text());
  return *value->asInt();
}

/// The activation width is fixed by the message shape; an explicit "hidden"
/// attribute is only a consistency check.
int64_t hiddenAttr(const LayerSpec &spec, const TrainConfig &config,
                   const std::string &path) {
  int64_t hidden = intAttr(spec, path, "hidden", config.hidden());
  if (hidden != config.hidden())
    fail(path + ".attrs.hidden", std::to_string(hidden) +
                                     " differs from the message's hidden "
                                     "size " +
                                     std::to_string(config.hidden()));
  return hidden;
}

struct MlpAttrs {
  int64_t hidden, ffn;
  bool bias, residual;
};

bool boolAttr(const LayerSpec &spec, const std::string &path,
              const std::string &name, bool fallback) {
  const AttrValue *value = spec.attrs.find(name);
  if (!value)
    return fallback;
  if (!value->asBool())
    fail(path + ".attrs." + name, "expected true or false");
  return *value->asBool();
}

MlpAttrs mlpAttrs(const LayerSpec &spec, const TrainConfig &config,
                  const std::string &path) {
  checkKnownAttrs(spec, path, {"hidden", "ffn", "bias", "residual"});
  MlpAttrs attrs;
  attrs.hidden = hiddenAttr(spec, config, path);
  attrs.ffn = intAttr(spec, path, "ffn", 4 * attrs.hidden);
  attrs.bias = boolAttr(spec, path, "bias", false);
  // Without the skip connection a deep stack of these layers has vanishing
  // gradients and the loss barely moves; residual=false gives DualPipe's
  // example block exactly.
  attrs.residual = boolAttr(spec, path, "residual", true);
  return attrs;
}

struct TransformerAttrs {
  int64_t hidden, heads, ffn;
};

TransformerAttrs transformerAttrs(const LayerSpec &spec,
                                  const TrainConfig &config,
                                  const std::string &path) {
  checkKnownAttrs(spec, path, {"hidden", "heads", "ffn"});
  if (config.messageShape.size() != 3)
    fail(path, "kernel transformer needs [rows, seq, hidden] messages (set "
               "the model's seq_len)");
  TransformerAttrs attrs;
  attrs.hidden = hiddenAttr(spec, config, path);
  attrs.heads = intAttr(spec, path, "heads", 1);
  attrs.ffn = intAttr(spec, path, "ffn", 4 * attrs.hidden);
  if (attrs.hidden % attrs.heads != 0)
    fail(path + ".attrs.heads", std::to_string(attrs.heads) +
                                    " heads do not divide the hidden size " +
                                    std::to_string(attrs.hidden));
  return attrs;
}

std::string scriptPath(const LayerSpec &spec, const std::string &baseDir,
                       const std::string &path) {
  checkKnownAttrs(spec, path, {"path"});
  std::string file = spec.attrs.getString("path").value_or("");
  if (file.empty())
    fail(path + ".attrs.path", "kernel torchscript needs a file path");
  if (file.front() != '/')
    file = baseDir + "/" + file;
  struct stat info;
  if (stat(file.c_str(), &info) != 0 || !S_ISREG(info.st_mode))
    fail(path + ".attrs.path", "no TorchScript file at " + file);
  return file;
}

//===----------------------------------------------------------------------===//
// Layers
//===----------------------------------------------------------------------===//

torch::TensorOptions paramOptions(const TrainConfig &config) {
  return torch::TensorOptions().dtype(scalarType(config));
}

/// nn.Linear's default initialisation, drawn from the stage's generator.
torch::Tensor linearWeight(int64_t out, int64_t in, const TrainConfig &config,
                           at::Generator &gen) {
  double bound = 1.0 / std::sqrt(static_cast<double>(in));
  return torch::empty({out, in}, paramOptions(config))
      .uniform_(-bound, bound, gen)
      .requires_grad_();
}

torch::Tensor linearBias(int64_t out, int64_t in, const TrainConfig &config,
                         at::Generator &gen) {
  double bound = 1.0 / std::sqrt(static_cast<double>(in));
  return torch::empty({out}, paramOptions(config))
      .uniform_(-bound, bound, gen)
      .requires_grad_();
}

torch::Tensor filled(int64_t size, double value, const TrainConfig &config) {
  return torch::full({size}, value, paramOptions(config)).requires_grad_();
}

/// Linear(hidden, ffn), GELU, Linear(ffn, hidden), as in DualPipe's example,
/// plus the input when residual.
class MlpLayer : public Layer {
public:
  MlpLayer(const MlpAttrs &attrs, const TrainConfig &config, at::Generator &gen)
      : residual_(attrs.residual) {
    w1_ = linearWeight(attrs.ffn, attrs.hidden, config, gen);
    w2_ = linearWeight(attrs.hidden, attrs.ffn, config, gen);
    if (attrs.bias) {
      b1_ = linearBias(attrs.ffn, attrs.hidden, config, gen);
      b2_ = linearBias(attrs.hidden, attrs.ffn, config, gen);
    }
  }
  torch::Tensor forward(const torch::Tensor &x) override {
    torch::Tensor y =
        deferredLinear(torch::gelu(deferredLinear(x, w1_, b1_)), w2_, b2_);
    return residual_ ? x + y : y;
  }
  bool defersWeightGradients() const override { return true; }
  std::vector<torch::Tensor> parameters() override {
    std::vector<torch::Tensor> params{w1_, w2_};
    if (b1_.defined())
      params.insert(params.end(), {b1_, b2_});
    return params;
  }

private:
  bool residual_;
  torch::Tensor w1_, w2_, b1_, b2_;
};

/// Pre-norm decoder block: x + Attn(LN(x)), then x + MLP(LN(x)), with causal
/// multi-head self-attention.
class TransformerLayer : public Layer {
public:
  TransformerLayer(const TransformerAttrs &attrs, const TrainConfig &config,
                   at::Generator &gen)
      : hidden_(attrs.hidden), heads_(attrs.heads) {
    int64_t h = attrs.hidden, f = attrs.ffn;
    ln1w_ = filled(h, 1, config);
    ln1b_ = filled(h, 0, config);
    qkvW_ = linearWeight(3 * h, h, config, gen);
    qkvB_ = linearBias(3 * h, h, config, gen);
    outW_ = linearWeight(h, h, config, gen);
    outB_ = linearBias(h, h, config, gen);
    ln2w_ = filled(h, 1, config);
    ln2b_ = filled(h, 0, config);
    ffn1W_ = linearWeight(f, h, config, gen);
    ffn1B_ = linearBias(f, h, config, gen);
    ffn2W_ = linearWeight(h, f, config, gen);
    ffn2B_ = linearBias(h, f, config, gen);
  }
  torch::Tensor forward(const torch::Tensor &x) override {
    torch::Tensor h =
        x + attention(torch::layer_norm(x, {hidden_}, ln1w_, ln1b_));
    torch::Tensor m = torch::layer_norm(h, {hidden_}, ln2w_, ln2b_);
    return h + deferredLinear(torch::gelu(deferredLinear(m, ffn1W_, ffn1B_)),
                              ffn2W_, ffn2B_);
  }
  std::vector<torch::Tensor> parameters() override {
    return {ln1w_, ln1b_, qkvW_,  qkvB_,  outW_,  outB_,
            ln2w_, ln2b_, ffn1W_, ffn1B_, ffn2W_, ffn2B_};
  }
  /// The layer norms' gradients (element-wise) stay in the input pass.
  bool defersWeightGradients() const override { return true; }

private:
  torch::Tensor attention(const torch::Tensor &x) {
    int64_t batch = x.size(0), seq = x.size(1), dim = hidden_ / heads_;
    auto split = [&](const torch::Tensor &t) {
      return t.reshape({batch, seq, heads_, dim}).transpose(1, 2);
    };
    auto qkv = deferredLinear(x, qkvW_, qkvB_).chunk(3, -1);
    torch::Tensor q = split(qkv[0]), k = split(qkv[1]), v = split(qkv[2]);
    torch::Tensor scores =
        torch::matmul(q, k.transpose(-2, -1)) / std::sqrt(double(dim));
    torch::Tensor future =
        torch::ones({seq, seq}, x.options().dtype(torch::kBool)).triu(1);
    scores =
        scores.masked_fill(future, -std::numeric_limits<double>::infinity());
    torch::Tensor mixed = torch::matmul(torch::softmax(scores, -1), v);
    return deferredLinear(mixed.transpose(1, 2).reshape({batch, seq, hidden_}),
                          outW_, outB_);
  }

  int64_t hidden_, heads_;
  torch::Tensor ln1w_, ln1b_, qkvW_, qkvB_, outW_, outB_;
  torch::Tensor ln2w_, ln2b_, ffn1W_, ffn1B_, ffn2W_, ffn2B_;
};

/// Passes activations through; lets benchmarks measure the executor alone.
class IdentityLayer : public Layer {
public:
  torch::Tensor forward(const torch::Tensor &x) override {
    return x.view_as(x);
  }
  std::vector<torch::Tensor> parameters() override { return {}; }
  bool defersWeightGradients() const override { return true; }
};

class ScriptLayer : public Layer {
public:
  ScriptLayer(const std::string &file, const TrainConfig &config,
              const std::string &path) {
    try {
      module_ = torch::jit::load(file);
    } catch (const std::exception &e) {
      fail(path + ".attrs.path",
           "cannot load TorchScript " + file + ": " + e.what());
    }
    module_.train();
    module_.to(scalarType(config));
    for (const torch::Tensor &p : module_.parameters())
      params_.push_back(p.requires_grad_());
  }
  torch::Tensor forward(const torch::Tensor &x) override {
    torch::jit::IValue out = module_.forward({x});
    if (!out.isTensor())
      throw std::runtime_error("TorchScript forward must return one tensor");
    return out.toTensor();
  }
  std::vector<torch::Tensor> parameters() override { return params_; }
  /// Module::to moves the buffers too (running statistics, masks), and
  /// keeps each parameter's identity through set_data.
  void moveTo(torch::Device device) override { module_.to(device); }

private:
  torch::jit::Module module_;
  std::vector<torch::Tensor> params_;
};

uint64_t splitmix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

} // namespace

uint64_t mixSeed(uint64_t state, std::initializer_list<uint64_t> values) {
  for (uint64_t v : values)
    state = splitmix(state ^ splitmix(v));
  return state;
}

at::Generator seededGenerator(std::initializer_list<uint64_t> values) {
  return at::make_generator<at::CPUGeneratorImpl>(mixSeed(0x5eed, values));
}

std::string checkLayer(const LayerSpec &spec, const TrainConfig &config,
                       const std::string &baseDir, const std::string &path) {
  try {
    if (spec.kernel == "mlp")
      mlpAttrs(spec, config, path);
    else if (spec.kernel == "transformer")
      transformerAttrs(spec, config, path);
    else if (spec.kernel == "identity")
      checkKnownAttrs(spec, path, {});
    else if (spec.kernel == "torchscript")
      scriptPath(spec, baseDir, path);
    else if (isLanguageKernel(spec.kernel))
      return checkLanguageLayer(spec, config, path);
    else
      fail(path + ".kernel", "unknown kernel \"" + spec.kernel +
                                 "\" (known: " + knownKernelsText() + ")");
  } catch (const KernelError &e) {
    return e.what();
  }
  return "";
}

double trainingFlopsPerToken(const LayerSpec &spec, const TrainConfig &config) {
  // Forward FLOPs per token; training is 3x: the input and the weight
  // gradient each cost one more product per forward product.
  double forward = 0;
  std::string path = "layer";
  if (spec.kernel == "mlp") {
    MlpAttrs a = mlpAttrs(spec, config, path);
    forward = 2.0 * 2 * a.hidden * a.ffn;
  } else if (spec.kernel == "transformer") {
    TransformerAttrs a = transformerAttrs(spec, config, path);
    double h = a.hidden, seq = config.messageShape[1];
    // qkv (3h^2), out (h^2), ffn (2hf); scores and mixing (2 seq h).
    forward = 2.0 * (4 * h * h + 2 * h * a.ffn + 2 * seq * h);
  }
  return 3 * forward;
}

std::unique_ptr<Layer> makeLayer(const LayerSpec &spec,
                                 const TrainConfig &config,
                                 const std::string &baseDir,
                                 const std::string &path,
                                 at::Generator &generator) {
  torch::NoGradGuard noGrad;
  if (spec.kernel == "mlp")
    return std::make_unique<MlpLayer>(mlpAttrs(spec, config, path), config,
                                      generator);
  if (spec.kernel == "transformer")
    return std::make_unique<TransformerLayer>(
        transformerAttrs(spec, config, path), config, generator);
  if (spec.kernel == "identity")
    return std::make_unique<IdentityLayer>();
  if (spec.kernel == "torchscript")
    return std::make_unique<ScriptLayer>(scriptPath(spec, baseDir, path),
                                         config, path);
  if (isLanguageKernel(spec.kernel))
    return makeLanguageLayer(spec, config, generator);
  fail(path + ".kernel", "unknown kernel \"" + spec.kernel + "\"");
}

} // namespace dualpipe::runtime
