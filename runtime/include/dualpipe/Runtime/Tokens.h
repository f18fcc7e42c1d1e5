//===- Tokens.h - Training windows from a token stream ----------*- C++ -*-===//
//
// A language model trains on windows of seq_len + 1 consecutive tokens: the
// first seq_len are the input, the last seq_len the target. Each row of a
// micro-batch starts at an offset drawn from (seed, step, micro-batch, row)
// alone, so the first stage (inputs), the last stage (targets) and the
// --check reference, in any process, read the same window without a data
// broadcast, and a resumed run continues the same sequence of windows.
//
//===----------------------------------------------------------------------===//
#ifndef DUALPIPE_RUNTIME_TOKENS_H
#define DUALPIPE_RUNTIME_TOKENS_H

#include "dualpipe/Runtime/Data.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace dualpipe::runtime {

/// How a token file is laid out: flat little-endian uint16 (nanoGPT's
/// train.bin) or one token per byte (a vocabulary of 256).
enum class TokenFormat { Uint16, Bytes };

/// Which windows a source draws: the training steps' or the evaluations'.
/// Each salts the window keys, so an evaluation never draws a training
/// step's keys (and a validation file equal to the training file would
/// still give other windows).
enum class TokenStream : uint64_t { Train = 3, Eval = 4 };

/// "uint16" or "bytes"; nullopt otherwise.
std::optional<TokenFormat> parseTokenFormat(const std::string &name);

/// Reads a token file. Errors (nullopt, `error` set) name the file and,
/// where there is one, the byte offset: missing or unreadable, an odd byte
/// count for uint16, a token >= `vocab`.
std::optional<std::vector<int64_t>> readTokenFile(const std::string &path,
                                                  TokenFormat format,
                                                  int64_t vocab,
                                                  std::string &error);

/// The windows of a token stream for a language model's program.
class TokenSource : public BatchSource {
public:
  /// `tokens` in [0, vocab) (checked); `name` (a file name, or "data")
  /// starts every error. Throws std::invalid_argument when the stream is
  /// shorter than one window, a token is out of range, or `config` is not a
  /// language model's (token input).
  TokenSource(std::vector<int64_t> tokens, std::string name,
              const TrainConfig &config,
              TokenStream stream = TokenStream::Train);

  /// Reads `path` (readTokenFile) and checks it against `config`; nullptr
  /// and `error` set on any error.
  static std::shared_ptr<TokenSource>
  open(const std::string &path, TokenFormat format, const TrainConfig &config,
       std::string &error, TokenStream stream = TokenStream::Train);

  torch::Tensor input(int64_t step, int64_t mb) override;
  torch::Tensor target(int64_t step, int64_t mb) override;
  /// Rows x (seq_len + 1) tokens of (step, mb): row r starts at the
  /// offset mixSeed(seed, {stream, step, mb, r}) picks.
  torch::Tensor window(int64_t step, int64_t mb) const;
  int64_t size() const { return static_cast<int64_t>(tokens_.size()); }

private:
  std::vector<int64_t> tokens_;
  int64_t rows_, seq_;
  uint64_t seed_;
  TokenStream stream_;
};

} // namespace dualpipe::runtime

#endif // DUALPIPE_RUNTIME_TOKENS_H
