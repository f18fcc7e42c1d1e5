//===- Tokens.cpp - Training windows from a token stream ------------------===//

#include "dualpipe/Runtime/Tokens.h"
#include "dualpipe/Runtime/Stage.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <stdexcept>
#include <sys/stat.h>
#include <unistd.h>

namespace dualpipe::runtime {
namespace {

std::string tokenRangeError(const std::string &name, int64_t token,
                            int64_t offset, int64_t vocab) {
  return name + ": token " + std::to_string(token) + " at byte offset " +
         std::to_string(offset) + " is >= the vocabulary size " +
         std::to_string(vocab);
}

/// Empty if `config` is a language model's (token input [rows, seq]).
std::string languageModelError(const std::string &name,
                               const TrainConfig &config) {
  if (!config.tokenInput || config.inputShape.size() != 2)
    return name + ": token data needs a language model (first layer "
                  "embedding, input token ids [rows, seq])";
  return "";
}

} // namespace

std::optional<TokenFormat> parseTokenFormat(const std::string &name) {
  if (name == "uint16")
    return TokenFormat::Uint16;
  if (name == "bytes")
    return TokenFormat::Bytes;
  return std::nullopt;
}

std::optional<std::vector<int64_t>> readTokenFile(const std::string &path,
                                                  TokenFormat format,
                                                  int64_t vocab,
                                                  std::string &error) {
  int fd = ::open(path.c_str(), O_RDONLY);
  struct stat info;
  if (fd < 0 || fstat(fd, &info) != 0 || !S_ISREG(info.st_mode)) {
    error = path + ": cannot read the token file: " +
            (fd < 0 ? std::strerror(errno) : "not a regular file");
    if (fd >= 0)
      ::close(fd);
    return std::nullopt;
  }
  int64_t bytes = info.st_size;
  int64_t width = format == TokenFormat::Uint16 ? 2 : 1;
  if (bytes % width != 0) {
    ::close(fd);
    error = path + ": " + std::to_string(bytes) +
            " bytes, an odd count for uint16 tokens (a half token at byte "
            "offset " +
            std::to_string(bytes - 1) + ")";
    return std::nullopt;
  }
  std::vector<unsigned char> raw(static_cast<size_t>(bytes));
  int64_t done = 0;
  while (done < bytes) {
    ssize_t n = ::read(fd, raw.data() + done, bytes - done);
    if (n <= 0) {
      ::close(fd);
      error = path + ": read failed at byte offset " + std::to_string(done) +
              (n < 0 ? std::string(": ") + std::strerror(errno) : "");
      return std::nullopt;
    }
    done += n;
  }
  ::close(fd);
  std::vector<int64_t> tokens(static_cast<size_t>(bytes / width));
  for (size_t i = 0; i < tokens.size(); ++i) {
    int64_t token = width == 2 ? raw[2 * i] | (raw[2 * i + 1] << 8) : raw[i];
    if (token >= vocab) {
      error = tokenRangeError(path, token, int64_t(i) * width, vocab);
      return std::nullopt;
    }
    tokens[i] = token;
  }
  return tokens;
}

TokenSource::TokenSource(std::vector<int64_t> tokens, std::string name,
                         const TrainConfig &config, TokenStream stream)
    : tokens_(std::move(tokens)), seed_(config.seed), stream_(stream) {
  if (std::string bad = languageModelError(name, config); !bad.empty())
    throw std::invalid_argument(bad);
  rows_ = config.inputShape[0];
  seq_ = config.inputShape[1];
  if (size() < seq_ + 1)
    throw std::invalid_argument(
        name + ": " + std::to_string(size()) +
        " tokens, too short for one window of seq_len + 1 = " +
        std::to_string(seq_ + 1) + " (the data ends at token offset " +
        std::to_string(size()) + ")");
  for (size_t i = 0; i < tokens_.size(); ++i)
    if (tokens_[i] < 0 || tokens_[i] >= config.classes)
      throw std::invalid_argument(
          name + ": token " + std::to_string(tokens_[i]) + " at token offset " +
          std::to_string(i) + " is outside the vocabulary [0, " +
          std::to_string(config.classes) + ")");
}

std::shared_ptr<TokenSource> TokenSource::open(const std::string &path,
                                               TokenFormat format,
                                               const TrainConfig &config,
                                               std::string &error,
                                               TokenStream stream) {
  if (error = languageModelError(path, config); !error.empty())
    return nullptr;
  auto tokens = readTokenFile(path, format, config.classes, error);
  if (!tokens)
    return nullptr;
  try {
    return std::make_shared<TokenSource>(std::move(*tokens), path, config,
                                         stream);
  } catch (const std::invalid_argument &e) {
    error = e.what();
    return nullptr;
  }
}

torch::Tensor TokenSource::window(int64_t step, int64_t mb) const {
  // Every start in [0, size - seq_len - 1] has a full window after it.
  uint64_t starts = static_cast<uint64_t>(size() - seq_);
  torch::Tensor out = torch::empty({rows_, seq_ + 1}, torch::kLong);
  int64_t *data = out.data_ptr<int64_t>();
  for (int64_t r = 0; r < rows_; ++r) {
    // The stream values (3, 4) are above the synthetic data's salts (1, 2),
    // so no two kinds of draw share a key.
    uint64_t key = mixSeed(seed_, {static_cast<uint64_t>(stream_),
                                   uint64_t(step), uint64_t(mb), uint64_t(r)});
    std::copy_n(tokens_.begin() + static_cast<int64_t>(key % starts), seq_ + 1,
                data + r * (seq_ + 1));
  }
  return out;
}

torch::Tensor TokenSource::input(int64_t step, int64_t mb) {
  return window(step, mb).narrow(1, 0, seq_);
}

torch::Tensor TokenSource::target(int64_t step, int64_t mb) {
  return window(step, mb).narrow(1, 1, seq_);
}

} // namespace dualpipe::runtime
