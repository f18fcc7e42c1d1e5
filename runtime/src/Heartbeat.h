//===- Heartbeat.h - "progress:" lines of a long run ------------*- C++ -*-===//
#ifndef DUALPIPE_RUNTIME_SRC_HEARTBEAT_H
#define DUALPIPE_RUNTIME_SRC_HEARTBEAT_H

#include "dualpipe/Runtime/Runner.h"

#include <chrono>
#include <condition_variable>
#include <iomanip>
#include <mutex>
#include <sstream>
#include <thread>

namespace dualpipe::runtime {

/// Rank 0's "progress:" line whenever a step runs for `period` without a
/// step line, so a run with long steps still shows that it is alive.
class Heartbeat {
  using Clock = std::chrono::steady_clock;

public:
  Heartbeat(const RunOptions &options, bool active) : options_(options) {
    if (active && options_.progress)
      thread_ = std::thread([this] { loop(); });
  }
  ~Heartbeat() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      done_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable())
      thread_.join();
  }
  /// A step line was printed; `next` is the step now running (from 1).
  void beat(int64_t next) {
    std::lock_guard<std::mutex> lock(mutex_);
    step_ = next;
    since_ = Clock::now();
  }

private:
  void loop() {
    std::unique_lock<std::mutex> lock(mutex_);
    while (!done_) {
      if (wake_.wait_until(lock, since_ + options_.heartbeat,
                           [this] { return done_; }))
        return;
      if (Clock::now() - since_ < options_.heartbeat)
        continue;
      double seconds =
          std::chrono::duration<double>(Clock::now() - started_).count();
      std::ostringstream line;
      line << "progress: step " << step_ << " running, " << std::setprecision(3)
           << seconds << " s since the run started";
      options_.progress(line.str());
      since_ = Clock::now();
    }
  }

  const RunOptions &options_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool done_ = false;
  int64_t step_ = options_.firstStep + 1;
  Clock::time_point started_ = Clock::now(), since_ = started_;
  std::thread thread_;
};

} // namespace dualpipe::runtime

#endif // DUALPIPE_RUNTIME_SRC_HEARTBEAT_H
