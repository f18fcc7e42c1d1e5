//===- Data.h - User-supplied training data ---------------------*- C++ -*-===//
//
// By default every step trains on the synthetic batch of DataSource (one
// fixed batch drawn from the seed). A run's BatchSource (RunOptions::data)
// replaces it for that run alone, so that runs in one process (the Python
// package's train() from several threads) each train on their own data.
//
// The sources are asked per (step, micro-batch) by each consumer separately:
// the rank of the first stage for the input, the rank of the last stage for
// the target, and the --check reference for both, so there is no data
// broadcast and a source must be deterministic in (step, micro-batch). The
// step is passed down from the executor's step (counted from 0 over the
// whole run, so a resumed run asks for the uninterrupted run's steps); an
// evaluation asks its own source with the training step it follows.
//
//===----------------------------------------------------------------------===//
#ifndef DUALPIPE_RUNTIME_DATA_H
#define DUALPIPE_RUNTIME_DATA_H

#include "dualpipe/Runtime/Program.h"

#include <torch/torch.h>

#include <memory>

namespace dualpipe::runtime {

/// Training data for (step, micro-batch), both counted from 0. Called from
/// the ranks' worker threads, concurrently.
class BatchSource {
public:
  virtual ~BatchSource() = default;
  /// The first stage's input: the program's message shape and dtype.
  virtual torch::Tensor input(int64_t step, int64_t mb) = 0;
  /// mse: the message shape and dtype; cross_entropy: int64 class ids in
  /// [0, classes) of the message shape without its last dimension.
  virtual torch::Tensor target(int64_t step, int64_t mb) = 0;
};

/// The checked data of one consumer (a DataSource): its run's source, or
/// none.
class UserData {
public:
  explicit UserData(std::shared_ptr<BatchSource> source)
      : source_(std::move(source)) {}
  /// Whether the run has a BatchSource (else the synthetic batch).
  bool active() const { return source_ != nullptr; }
  /// Step `step`'s input / target of `mb`, checked against `config`;
  /// throws std::runtime_error naming the step, the micro-batch and what
  /// is wrong.
  torch::Tensor input(int64_t step, int64_t mb,
                      const TrainConfig &config) const;
  torch::Tensor target(int64_t step, int64_t mb,
                       const TrainConfig &config) const;

private:
  std::shared_ptr<BatchSource> source_;
};

} // namespace dualpipe::runtime

#endif // DUALPIPE_RUNTIME_DATA_H
