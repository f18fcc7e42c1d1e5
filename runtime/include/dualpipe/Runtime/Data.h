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
// step of a draw is counted, not passed down: a DataSource draws each
// micro-batch's input (and each StageWorker its target) exactly once per
// step, so its n-th draw of micro-batch m is step n's.
//
//===----------------------------------------------------------------------===//
#ifndef DUALPIPE_RUNTIME_DATA_H
#define DUALPIPE_RUNTIME_DATA_H

#include "dualpipe/Runtime/Program.h"

#include <torch/torch.h>

#include <map>
#include <memory>
#include <mutex>

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

/// `source` seen from step `firstStep` on: a resumed run counts its draws
/// from 0 (UserData), and this keeps them the uninterrupted run's draws.
std::shared_ptr<BatchSource> startingAt(std::shared_ptr<BatchSource> source,
                                        int64_t firstStep);

/// The data of one consumer (a DataSource): its run's source, or none, and
/// its count of draws per micro-batch.
class UserData {
public:
  explicit UserData(std::shared_ptr<BatchSource> source);
  /// Whether the run has a BatchSource (else the synthetic batch).
  bool active() const { return source_ != nullptr; }
  /// The next step's input / target of `mb`, checked against `config`;
  /// throws std::runtime_error naming the step, the micro-batch and what
  /// is wrong.
  torch::Tensor input(int64_t mb, const TrainConfig &config) const;
  torch::Tensor target(int64_t mb, const TrainConfig &config) const;

private:
  struct Draws {
    std::mutex mutex;
    std::map<int64_t, int64_t> input, target;
  };
  static int64_t next(std::map<int64_t, int64_t> &counts, int64_t mb,
                      std::mutex &mutex);

  std::shared_ptr<BatchSource> source_;
  std::shared_ptr<Draws> draws_;
};

} // namespace dualpipe::runtime

#endif // DUALPIPE_RUNTIME_DATA_H
