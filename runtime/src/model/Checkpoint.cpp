//===- Checkpoint.cpp - Saving and resuming training ----------------------===//

#include "model/Checkpoint.h"

#include "ErrorText.h"

#include <ATen/CPUGeneratorImpl.h>
#include <nlohmann/json.hpp>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iomanip>
#include <sstream>
#include <sys/stat.h>

namespace dualpipe::runtime {
namespace {

using nlohmann::json;

constexpr const char *kFormat = "dualpipe-checkpoint";
constexpr int64_t kVersion = 1;

struct CheckpointError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

[[noreturn]] void fail(const std::string &file, const std::string &message) {
  throw CheckpointError(file + ": " + message);
}

std::string stepDirName(int64_t step) {
  std::ostringstream out;
  out << "step-" << std::setw(8) << std::setfill('0') << step;
  return out.str();
}

std::string layerFileName(int64_t layer) {
  std::ostringstream out;
  out << "layer-" << std::setw(5) << std::setfill('0') << layer << ".bin";
  return out.str();
}

uint64_t fnv1a(const std::string &bytes) {
  uint64_t hash = 0xcbf29ce484222325ull;
  for (unsigned char c : bytes)
    hash = (hash ^ c) * 0x100000001b3ull;
  return hash;
}

std::string hex(uint64_t value) {
  std::ostringstream out;
  out << std::hex << std::setw(16) << std::setfill('0') << value;
  return out.str();
}

void makeDir(const std::string &dir) {
  if (mkdir(dir.c_str(), 0777) != 0 && errno != EEXIST)
    fail(dir,
         std::string("cannot create the directory: ") + std::strerror(errno));
}

/// Writes `bytes` to `path` through a temporary file and a rename, so that
/// `path` is either its old content or the whole new one. `tag` keeps the
/// temporary names of concurrent writers apart.
void writeAtomically(const std::string &path, const std::string &bytes,
                     const std::string &tag) {
  std::string tmp = path + ".tmp." + tag;
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    out.flush();
    if (!out)
      fail(tmp, "cannot write");
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0)
    fail(path, std::string("cannot rename ") + tmp +
                   " onto it: " + std::strerror(errno));
}

std::string readFile(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    fail(path, "cannot open (missing checkpoint file)");
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

const std::map<std::string, torch::ScalarType> &dtypes() {
  static const std::map<std::string, torch::ScalarType> names{
      {"float32", torch::kFloat32},
      {"float64", torch::kFloat64},
      {"bfloat16", torch::kBFloat16},
      {"float16", torch::kHalf},
      {"int64", torch::kLong}};
  return names;
}

std::string dtypeName(torch::ScalarType type) {
  for (const auto &[name, t] : dtypes())
    if (t == type)
      return name;
  throw std::runtime_error(std::string("checkpoint: unsupported dtype ") +
                           c10::toString(type));
}

//===----------------------------------------------------------------------===//
// A layer's state: its parameters and their optimizer state, by name
//===----------------------------------------------------------------------===//

struct NamedTensor {
  std::string name;
  torch::Tensor tensor;
};

std::string stateKey(const torch::Tensor &param) {
  return c10::guts::to_string(param.unsafeGetTensorImpl());
}

std::vector<NamedTensor> layerState(StageWorker &worker, size_t layer) {
  std::vector<torch::Tensor> params = worker.layerParameters(layer);
  std::vector<NamedTensor> state;
  for (size_t i = 0; i < params.size(); ++i)
    state.push_back({"param." + std::to_string(i), params[i].detach()});
  torch::optim::Optimizer *optimizer = worker.optimizer();
  if (!optimizer)
    return state;
  for (size_t i = 0; i < params.size(); ++i) {
    auto it = optimizer->state().find(stateKey(params[i]));
    if (it == optimizer->state().end())
      continue;
    std::string index = "." + std::to_string(i);
    if (auto *adam =
            dynamic_cast<torch::optim::AdamParamState *>(it->second.get())) {
      state.push_back({"adam.step" + index, torch::tensor(adam->step())});
      state.push_back({"adam.exp_avg" + index, adam->exp_avg()});
      state.push_back({"adam.exp_avg_sq" + index, adam->exp_avg_sq()});
      if (adam->max_exp_avg_sq().defined())
        state.push_back(
            {"adam.max_exp_avg_sq" + index, adam->max_exp_avg_sq()});
    } else if (auto *sgd = dynamic_cast<torch::optim::SGDParamState *>(
                   it->second.get())) {
      if (sgd->momentum_buffer().defined())
        state.push_back(
            {"sgd.momentum_buffer" + index, sgd->momentum_buffer()});
    }
  }
  return state;
}

/// Installs `tensors` (validated names) as the layer's parameters and
/// optimizer state.
void setLayerState(StageWorker &worker, size_t layer,
                   const std::map<std::string, torch::Tensor> &tensors) {
  torch::NoGradGuard noGrad;
  std::vector<torch::Tensor> params = worker.layerParameters(layer);
  for (size_t i = 0; i < params.size(); ++i)
    params[i].detach().copy_(tensors.at("param." + std::to_string(i)));
  torch::optim::Optimizer *optimizer = worker.optimizer();
  if (!optimizer)
    return;
  for (size_t i = 0; i < params.size(); ++i) {
    std::string index = "." + std::to_string(i);
    auto device = params[i].device();
    auto get = [&](const std::string &name) {
      auto it = tensors.find(name + index);
      return it == tensors.end() ? torch::Tensor()
                                 : it->second.to(device).clone();
    };
    std::string key = stateKey(params[i]);
    if (tensors.count("adam.step" + index)) {
      auto state = std::make_unique<torch::optim::AdamParamState>();
      state->step(tensors.at("adam.step" + index).item<int64_t>());
      state->exp_avg(get("adam.exp_avg"));
      state->exp_avg_sq(get("adam.exp_avg_sq"));
      state->max_exp_avg_sq(get("adam.max_exp_avg_sq"));
      optimizer->state()[key] = std::move(state);
    } else if (tensors.count("sgd.momentum_buffer" + index)) {
      auto state = std::make_unique<torch::optim::SGDParamState>();
      state->momentum_buffer(get("sgd.momentum_buffer"));
      optimizer->state()[key] = std::move(state);
    } else {
      optimizer->state().erase(key);
    }
  }
}

/// Global index of each stage's first layer.
std::vector<int64_t> stageOffsets(const LoadedProgram &program) {
  std::vector<int64_t> offsets;
  int64_t next = 0;
  for (const StageSpec &stage : program.file.stages) {
    offsets.push_back(next);
    next += static_cast<int64_t>(stage.layers.size());
  }
  return offsets;
}

std::string optimizerName(const TrainConfig &config) {
  return config.optimizer == OptimizerKind::Adam ? "adam" : "sgd";
}

std::string generatorStateHex() {
  torch::Tensor state = at::detail::getDefaultCPUGenerator().get_state();
  std::ostringstream out;
  out << std::hex << std::setfill('0');
  const uint8_t *bytes = state.data_ptr<uint8_t>();
  for (int64_t i = 0; i < state.numel(); ++i)
    out << std::setw(2) << static_cast<int>(bytes[i]);
  return out.str();
}

void restoreGenerator(const std::string &text, const std::string &file) {
  if (text.size() % 2 != 0)
    fail(file, "rng.default_cpu_generator: odd number of hex digits");
  torch::Tensor state =
      torch::empty({static_cast<int64_t>(text.size() / 2)}, torch::kUInt8);
  uint8_t *bytes = state.data_ptr<uint8_t>();
  for (size_t i = 0; i < text.size(); i += 2) {
    char *end = nullptr;
    std::string pair = text.substr(i, 2);
    bytes[i / 2] = static_cast<uint8_t>(std::strtoul(pair.c_str(), &end, 16));
    if (end != pair.c_str() + 2)
      fail(file,
           "rng.default_cpu_generator: not hex at digit " + std::to_string(i));
  }
  try {
    at::Generator generator = at::detail::getDefaultCPUGenerator(); // shares
    generator.set_state(state);
  } catch (const std::exception &e) {
    fail(file, std::string("rng.default_cpu_generator: ") + e.what());
  }
}

//===----------------------------------------------------------------------===//
// The manifest
//===----------------------------------------------------------------------===//

/// DIR/latest's step directory and its parsed manifest.
struct Manifest {
  std::string stepDir;
  std::string path;
  json body;
};

Manifest readManifest(const std::string &dir) {
  std::string latestPath = dir + "/latest";
  std::ifstream latest(latestPath);
  if (!latest)
    fail(latestPath, "cannot open (no checkpoint in " + dir + ")");
  std::string name;
  std::getline(latest, name);
  if (name.empty() || name.find('/') != std::string::npos)
    fail(latestPath, "does not name a step directory");
  Manifest manifest;
  manifest.stepDir = dir + "/" + name;
  manifest.path = manifest.stepDir + "/manifest.json";
  std::string text = readFile(manifest.path);
  try {
    manifest.body = json::parse(text);
  } catch (const json::exception &e) {
    fail(manifest.path, std::string("not valid JSON: ") + e.what());
  }
  return manifest;
}

const json &field(const json &object, const std::string &key,
                  const std::string &where, const std::string &file) {
  if (!object.is_object() || !object.contains(key))
    fail(file, where + ": missing field '" + key + "'");
  return object.at(key);
}

int64_t intField(const json &object, const std::string &key,
                 const std::string &where, const std::string &file) {
  const json &value = field(object, key, where, file);
  if (!value.is_number_integer() || value.get<int64_t>() < 0)
    fail(file, where + "." + key + ": expected a non-negative integer");
  return value.get<int64_t>();
}

std::string stringField(const json &object, const std::string &key,
                        const std::string &where, const std::string &file) {
  const json &value = field(object, key, where, file);
  if (!value.is_string())
    fail(file, where + "." + key + ": expected a string");
  return value.get<std::string>();
}

/// The first difference between the manifest and the model, if any.
void checkManifest(const Manifest &manifest, const LoadedProgram &program) {
  const json &body = manifest.body;
  const std::string &file = manifest.path;
  if (!body.is_object() || body.value("format", "") != kFormat)
    fail(file, std::string("not a ") + kFormat + " manifest");
  if (intField(body, "version", "manifest", file) != kVersion)
    fail(file, "version " + body["version"].dump() + ", this build reads " +
                   std::to_string(kVersion));
  intField(body, "step", "manifest", file);
  const json &model = field(body, "model", "manifest", file);
  std::string optimizer = stringField(model, "optimizer", "model", file);
  if (optimizer != optimizerName(program.config))
    fail(file, "model.optimizer: " + optimizer + " in the checkpoint, " +
                   optimizerName(program.config) + " in the model");
  std::string dtype = stringField(model, "dtype", "model", file);
  const std::string &want = program.config.dtype;
  if (dtype != want)
    fail(file, "model.dtype: " + dtype + " in the checkpoint, " + want +
                   " in the model");
  const json &layers = field(body, "layers", "manifest", file);
  const std::vector<LayerSpec> &specs = program.file.model.layers;
  if (!layers.is_array() || layers.size() != specs.size())
    fail(file, "the checkpoint has " +
                   (layers.is_array() ? std::to_string(layers.size())
                                      : std::string("no list of")) +
                   " layers, the model " + std::to_string(specs.size()));
  for (size_t l = 0; l < specs.size(); ++l) {
    std::string where = "layers[" + std::to_string(l) + "]";
    if (intField(layers[l], "index", where, file) != int64_t(l))
      fail(file, where + ".index: expected " + std::to_string(l));
    std::string kernel = stringField(layers[l], "kernel", where, file);
    if (kernel != specs[l].kernel)
      fail(file, where + ".kernel: " + kernel + " in the checkpoint, " +
                     specs[l].kernel + " in the model");
    stringField(layers[l], "file", where, file);
    if (!field(layers[l], "tensors", where, file).is_array())
      fail(file, where + ".tensors: expected a list");
  }
}

/// Reads layer `index`'s file and checks it, and its tensors' names,
/// shapes and dtypes, against the manifest and the model's `current` state.
std::map<std::string, torch::Tensor>
readLayer(const Manifest &manifest, int64_t index,
          const std::vector<NamedTensor> &current) {
  const json &entry = manifest.body["layers"][index];
  std::string where = "layers[" + std::to_string(index) + "]";
  std::string path = manifest.stepDir + "/" + entry["file"].get<std::string>();
  std::string bytes = readFile(path);
  int64_t size = intField(entry, "bytes", where, manifest.path);
  if (int64_t(bytes.size()) != size)
    fail(path, std::to_string(bytes.size()) + " bytes, the manifest says " +
                   std::to_string(size) + " (truncated or corrupt)");
  std::string checksum = stringField(entry, "fnv1a64", where, manifest.path);
  if (hex(fnv1a(bytes)) != checksum)
    fail(path, "checksum " + hex(fnv1a(bytes)) +
                   " differs from the "
                   "manifest's " +
                   checksum + " (corrupt)");
  std::map<std::string, torch::Tensor> tensors;
  const json &list = entry["tensors"];
  for (size_t t = 0; t < list.size(); ++t) {
    std::string at = where + ".tensors[" + std::to_string(t) + "]";
    std::string name = stringField(list[t], "name", at, manifest.path);
    std::string dtype = stringField(list[t], "dtype", at, manifest.path);
    int64_t offset = intField(list[t], "offset", at, manifest.path);
    const json &shapeJson = field(list[t], "shape", at, manifest.path);
    std::vector<int64_t> shape;
    for (const json &d : shapeJson)
      shape.push_back(d.is_number_integer() ? d.get<int64_t>() : -1);
    auto type = dtypes().find(dtype);
    if (type == dtypes().end())
      fail(manifest.path, at + ".dtype: unknown dtype " + dtype);
    torch::Tensor tensor = torch::empty(shape, type->second);
    int64_t nbytes = static_cast<int64_t>(tensor.nbytes());
    if (offset + nbytes > size)
      fail(path, at + " (" + name + ") runs past the end of the file");
    std::memcpy(tensor.data_ptr(), bytes.data() + offset, nbytes);
    tensors[name] = tensor;
  }
  // Every parameter of the model must be there with its shape and dtype;
  // optimizer state must belong to a parameter and have its shape.
  for (size_t i = 0; i < current.size(); ++i) {
    const NamedTensor &want = current[i];
    if (want.name.rfind("param.", 0) != 0)
      continue;
    auto it = tensors.find(want.name);
    std::vector<int64_t> shape = want.tensor.sizes().vec();
    if (it == tensors.end())
      fail(manifest.path, where + ": no tensor " + want.name +
                              " (the model's "
                              "layer has shape " +
                              shapeText(shape) + ")");
    if (it->second.sizes().vec() != shape)
      fail(manifest.path, where + " " + want.name + ": shape " +
                              shapeText(it->second.sizes().vec()) +
                              " in the checkpoint, " + shapeText(shape) +
                              " in the model");
    if (it->second.scalar_type() != want.tensor.scalar_type())
      fail(manifest.path,
           where + " " + want.name + ": dtype " +
               dtypeName(it->second.scalar_type()) + " in the checkpoint, " +
               dtypeName(want.tensor.scalar_type()) + " in the model");
  }
  size_t params = 0;
  for (const NamedTensor &t : current)
    params += t.name.rfind("param.", 0) == 0;
  for (const auto &[name, tensor] : tensors) {
    size_t dot = name.rfind('.');
    std::string kind = name.substr(0, dot);
    std::string digits = dot == std::string::npos ? "" : name.substr(dot + 1);
    bool known = kind == "param" || kind == "adam.step" ||
                 kind == "adam.exp_avg" || kind == "adam.exp_avg_sq" ||
                 kind == "adam.max_exp_avg_sq" || kind == "sgd.momentum_buffer";
    if (!known || digits.empty() ||
        digits.find_first_not_of("0123456789") != std::string::npos ||
        std::stoul(digits) >= params)
      fail(manifest.path, where + ": tensor " + name +
                              " belongs to no parameter of the model's layer "
                              "(it has " +
                              std::to_string(params) + ")");
    if (kind != "param" && kind != "adam.step" &&
        tensor.sizes() != tensors.at("param." + digits).sizes())
      fail(manifest.path, where + " " + name + ": shape " +
                              shapeText(tensor.sizes().vec()) +
                              " differs from its parameter's");
  }
  return tensors;
}

} // namespace

std::optional<int64_t> openCheckpoint(const std::string &dir,
                                      const LoadedProgram &program,
                                      std::string &error) {
  try {
    Manifest manifest = readManifest(dir);
    checkManifest(manifest, program);
    const json &rng = manifest.body.value("rng", json::object());
    if (rng.contains("default_cpu_generator"))
      restoreGenerator(
          stringField(rng, "default_cpu_generator", "rng", manifest.path),
          manifest.path);
    return manifest.body["step"].get<int64_t>();
  } catch (const CheckpointError &e) {
    error = e.what();
    return std::nullopt;
  }
}

void loadStages(const std::string &dir, const LoadedProgram &program,
                const std::map<int64_t, std::unique_ptr<StageWorker>> &stages) {
  Manifest manifest = readManifest(dir);
  checkManifest(manifest, program);
  std::vector<int64_t> offsets = stageOffsets(program);
  for (const auto &[stage, worker] : stages)
    for (size_t l = 0; l < worker->layerCount(); ++l) {
      int64_t index = offsets[stage] + static_cast<int64_t>(l);
      setLayerState(*worker, l,
                    readLayer(manifest, index, layerState(*worker, l)));
    }
}

std::string
saveStages(const std::string &dir, int64_t step, const LoadedProgram &program,
           int64_t rank,
           const std::map<int64_t, std::unique_ptr<StageWorker>> &stages) {
  std::string stepDir = dir + "/" + stepDirName(step);
  makeDir(dir);
  makeDir(stepDir);
  std::vector<int64_t> offsets = stageOffsets(program);
  json entries = json::array();
  for (const auto &[stage, worker] : stages) {
    int64_t owner = 0;
    while (!program.placement().holds(owner, stage))
      ++owner;
    if (owner != rank)
      continue;
    for (size_t l = 0; l < worker->layerCount(); ++l) {
      int64_t index = offsets[stage] + static_cast<int64_t>(l);
      std::string bytes;
      json tensors = json::array();
      for (const NamedTensor &t : layerState(*worker, l)) {
        torch::Tensor cpu = t.tensor.detach().to(torch::kCPU).contiguous();
        tensors.push_back({{"name", t.name},
                           {"dtype", dtypeName(cpu.scalar_type())},
                           {"shape", cpu.sizes().vec()},
                           {"offset", bytes.size()}});
        bytes.append(static_cast<const char *>(cpu.data_ptr()), cpu.nbytes());
      }
      std::string file = layerFileName(index);
      writeAtomically(stepDir + "/" + file, bytes, std::to_string(rank));
      entries.push_back({{"index", index},
                         {"kernel", program.file.model.layers[index].kernel},
                         {"file", file},
                         {"bytes", bytes.size()},
                         {"fnv1a64", hex(fnv1a(bytes))},
                         {"tensors", std::move(tensors)}});
    }
  }
  return entries.dump();
}

void writeManifest(const std::string &dir, int64_t step,
                   const LoadedProgram &program,
                   const std::vector<std::string> &rankEntries) {
  size_t count = program.file.model.layers.size();
  std::vector<json> layers(count);
  for (const std::string &text : rankEntries)
    for (json &entry : json::parse(text)) {
      // Read before the move: json's operator= takes its argument by value.
      size_t index = entry["index"].get<size_t>();
      layers.at(index) = std::move(entry);
    }
  for (size_t l = 0; l < count; ++l)
    if (layers[l].is_null())
      throw std::runtime_error("checkpoint: no rank saved layer " +
                               std::to_string(l));
  json manifest{{"format", kFormat},
                {"version", kVersion},
                {"step", step},
                {"data_position", {{"next_step", step}}},
                {"model",
                 {{"layers", count},
                  {"optimizer", optimizerName(program.config)},
                  {"dtype", program.config.dtype},
                  {"seed", program.config.seed}}},
                {"rng", {{"default_cpu_generator", generatorStateHex()}}},
                {"layers", std::move(layers)}};
  std::string stepDir = dir + "/" + stepDirName(step);
  writeAtomically(stepDir + "/manifest.json", manifest.dump(1) + "\n", "0");
  writeAtomically(dir + "/latest", stepDirName(step) + "\n", "0");
}

} // namespace dualpipe::runtime
