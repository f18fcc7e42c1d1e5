//===- Program.cpp - Loading a program file for execution -----------------===//

#include "ProgramTree.h"

#include "JsonText.h"
#include "ProgramJsonTree.h"
#include "dualpipe/Schedule/Kernels.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sstream>
#include <sys/stat.h>
#include <unistd.h>

namespace dualpipe::runtime {
namespace {

std::string directoryOf(const std::string &path) {
  size_t slash = path.find_last_of('/');
  if (slash == std::string::npos)
    return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

/// FNV-1a: only needs to tell different programs apart, not resist attacks.
std::string digestOf(const std::string &text) {
  uint64_t hash = 14695981039346656037ull;
  for (unsigned char c : text) {
    hash ^= c;
    hash *= 1099511628211ull;
  }
  std::ostringstream out;
  out << std::hex << hash;
  return out.str();
}

TrainConfig trainConfig(const ProgramFile &file) {
  // programFromJson has checked every key's presence and type.
  const AttrMap &config = file.model.config;
  TrainConfig train;
  train.loss = config.getString("loss") == "cross_entropy"
                   ? LossKind::CrossEntropy
                   : LossKind::Mse;
  train.classes = config.getInt("classes").value_or(0);
  train.optimizer = config.getString("optimizer") == "adam"
                        ? OptimizerKind::Adam
                        : OptimizerKind::Sgd;
  train.lr = config.getNumber("lr").value_or(0.0);
  train.momentum = config.getNumber("momentum").value_or(0.0);
  train.weightDecay = config.getNumber("weight_decay").value_or(0.0);
  train.seed = static_cast<uint64_t>(config.getInt("seed").value_or(0));
  train.dtype = file.message.dtype;
  train.messageShape = file.message.shape;
  train.inputShape = file.input.shape;
  train.tokenInput = file.input.dtype == "int64";
  return train;
}

std::string checkOptimizer(const TrainConfig &config) {
  if (!(config.lr > 0))
    return "model.optimizer.lr: must be > 0";
  if (config.momentum < 0 ||
      (config.momentum > 0 && config.optimizer != OptimizerKind::Sgd))
    return "model.optimizer.momentum: needs sgd and a value >= 0";
  if (config.weightDecay < 0)
    return "model.optimizer.weight_decay: must be >= 0";
  return "";
}

std::string checkLayers(const ProgramFile &file, const TrainConfig &config,
                        const std::string &baseDir) {
  int64_t index = 0, count = static_cast<int64_t>(file.model.layers.size());
  for (const StageSpec &stage : file.stages)
    for (size_t l = 0; l < stage.layers.size(); ++l, ++index) {
      std::string path = "model.stages[" + std::to_string(stage.stage) +
                         "].layers[" + std::to_string(l) + "]";
      if (std::string bad = checkLayer(stage.layers[l], config, baseDir, path);
          !bad.empty())
        return bad;
      if (std::string bad =
              layerPositionError(stage.layers[l].kernel, index, 1, count);
          !bad.empty())
        return path + ".kernel: " + bad;
    }
  return "";
}

/// The whole file, read with POSIX calls: a stream on a directory opens and
/// then throws std::ios_base::failure from inside the JSON parser.
std::optional<std::string> readProgramText(const std::string &path,
                                           std::string &error) {
  auto fail = [&](const std::string &what) {
    error = path + ": " + what + ": " + std::strerror(errno);
    return std::nullopt;
  };
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return fail("cannot open the program file");
  struct stat info;
  if (::fstat(fd, &info) == 0 && S_ISDIR(info.st_mode)) {
    ::close(fd);
    error = path + ": is a directory, not a program file";
    return std::nullopt;
  }
  std::string text;
  char buffer[1 << 16];
  while (true) {
    ssize_t got = ::read(fd, buffer, sizeof(buffer));
    if (got < 0 && errno == EINTR)
      continue;
    if (got < 0) {
      int saved = errno;
      ::close(fd);
      errno = saved;
      return fail("cannot read the program file");
    }
    if (got == 0)
      break;
    text.append(buffer, static_cast<size_t>(got));
  }
  ::close(fd);
  return text;
}

} // namespace

std::optional<LoadedProgram> loadProgramJson(const nlohmann::json &json,
                                             const std::string &baseDir,
                                             std::string &error) {
  auto file = programFromJson(json, error);
  if (!file)
    return std::nullopt;
  LoadedProgram loaded;
  loaded.config = trainConfig(*file);
  loaded.file = std::move(*file);
  loaded.baseDir = baseDir;
  loaded.digest = digestOf(json.dump());
  if (std::string bad = checkOptimizer(loaded.config); !bad.empty()) {
    error = bad;
    return std::nullopt;
  }
  if (std::string bad = checkLayers(loaded.file, loaded.config, baseDir);
      !bad.empty()) {
    error = bad;
    return std::nullopt;
  }
  return loaded;
}

std::optional<LoadedProgram> loadProgramFile(const std::string &path,
                                             std::string &error) {
  std::optional<std::string> text = readProgramText(path, error);
  if (!text)
    return std::nullopt;
  auto loaded = loadProgramText(*text, directoryOf(path), error);
  if (!loaded)
    error = path + ": " + error;
  return loaded;
}

std::optional<LoadedProgram> loadProgramText(std::string_view text,
                                             const std::string &baseDir,
                                             std::string &error) {
  std::optional<nlohmann::json> json = parseJsonText(text, error);
  if (!json)
    return std::nullopt;
  return loadProgramJson(*json, baseDir, error);
}

int64_t messageTag(const MsgKey &key, const Placement &placement) {
  int64_t slot = key.mb * placement.stages + key.stage;
  return 2 * slot + (key.kind == MsgKind::Gradient ? 1 : 0);
}

int64_t controlTag(ControlTag purpose, int64_t stage,
                   const Placement &placement) {
  int64_t base = 2 * placement.stages * placement.microbatches;
  return base + static_cast<int64_t>(purpose) * placement.stages + stage;
}

} // namespace dualpipe::runtime
