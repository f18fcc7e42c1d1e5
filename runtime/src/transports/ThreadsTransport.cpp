//===- ThreadsTransport.cpp - Mailboxes between rank threads --------------===//
//
// One mutex guards every mailbox: messages are few and small next to the
// compute between them, and a single lock makes matching and abort trivially
// consistent. Unmatched sends and receives queue per (src, dst, tag), so
// same-key messages match in order, as over Gloo.
//
//===----------------------------------------------------------------------===//

#include "dualpipe/Runtime/Transport.h"

#include "execution/SpinWait.h"

#include <atomic>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <sstream>
#include <tuple>

namespace dualpipe::runtime {

namespace {

/// One side of a message.
struct Op {
  torch::Tensor tensor; // a send's payload; a receive's result once matched
  std::shared_ptr<void> ready; // the TensorHandoff mark of a device tensor
  /// Set under the hub's mutex after `tensor`; read without it by waiters
  /// that spin before they sleep (SpinWait.h).
  std::atomic<bool> done{false};
};

struct Channel {
  std::deque<std::shared_ptr<Op>> sends; // issued, no receive posted yet
  std::deque<std::shared_ptr<Op>> recvs; // posted, no send issued yet
};

std::string secondsText(std::chrono::milliseconds timeout) {
  std::ostringstream out;
  out << timeout.count() / 1000.0 << " s";
  return out.str();
}

} // namespace

struct ThreadsHub::State {
  State(int64_t ranks, std::shared_ptr<TensorHandoff> handoff)
      : ranks(ranks), handoff(std::move(handoff)) {}
  int64_t ranks;
  std::shared_ptr<TensorHandoff> handoff;
  std::mutex mutex;
  std::condition_variable changed;
  std::map<std::tuple<int64_t, int64_t, int64_t>, Channel> channels;
  std::optional<std::string> abortReason;
  std::map<std::string, std::vector<std::optional<std::string>>> gathers;

  /// Waits for `ready` under the lock; throws on abort or timeout.
  template <typename Ready>
  void waitFor(std::unique_lock<std::mutex> &lock,
               std::chrono::milliseconds timeout, const std::string &what,
               Ready ready) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    bool ok = changed.wait_until(lock, deadline,
                                 [&] { return ready() || abortReason; });
    if (ready())
      return;
    if (ok && abortReason)
      throw CommError("aborted: " + *abortReason, true);
    throw CommError("timed out after " + secondsText(timeout) + ": " + what);
  }
};

namespace {

class ThreadsHandle : public CommHandle {
public:
  ThreadsHandle(std::shared_ptr<ThreadsHub::State> state,
                std::shared_ptr<Op> op, bool isSend, torch::Device device)
      : state_(std::move(state)), op_(std::move(op)), send_(isSend),
        device_(device) {}
  torch::Tensor wait(std::chrono::milliseconds timeout) override {
    spinBriefly([&] { return op_->done.load(std::memory_order_acquire); });
    std::unique_lock<std::mutex> lock(state_->mutex);
    state_->waitFor(lock, timeout,
                    send_ ? "no matching recv was posted"
                          : "no matching send arrived",
                    [&] { return op_->done.load(); });
    lock.unlock();
    if (op_->ready)
      return state_->handoff->await(op_->ready, op_->tensor, device_);
    return std::move(op_->tensor);
  }

private:
  std::shared_ptr<ThreadsHub::State> state_;
  std::shared_ptr<Op> op_;
  bool send_;
  torch::Device device_;
};

class ThreadsTransport : public Transport {
public:
  ThreadsTransport(std::shared_ptr<ThreadsHub::State> state, int64_t rank,
                   torch::Device device)
      : state_(std::move(state)), rank_(rank), device_(device) {}

  int64_t rank() const override { return rank_; }
  int64_t size() const override { return state_->ranks; }

  std::unique_ptr<CommHandle> send(int64_t dst, int64_t tag,
                                   const torch::Tensor &tensor) override {
    auto op = std::make_shared<Op>();
    std::shared_ptr<void> ready;
    if (state_->handoff && tensor.is_cuda())
      ready = state_->handoff->mark(tensor);
    {
      std::lock_guard<std::mutex> lock(state_->mutex);
      Channel &channel = state_->channels[{rank_, dst, tag}];
      if (channel.recvs.empty()) {
        op->tensor = tensor;
        op->ready = std::move(ready);
        channel.sends.push_back(op);
      } else {
        Op &recv = *channel.recvs.front();
        recv.tensor = tensor;
        recv.ready = std::move(ready);
        recv.done.store(true, std::memory_order_release);
        op->done.store(true, std::memory_order_release);
        channel.recvs.pop_front();
      }
    }
    state_->changed.notify_all();
    return std::make_unique<ThreadsHandle>(state_, op, true, device_);
  }

  std::unique_ptr<CommHandle> recv(int64_t src, int64_t tag,
                                   std::vector<int64_t>,
                                   torch::ScalarType) override {
    auto op = std::make_shared<Op>();
    {
      std::lock_guard<std::mutex> lock(state_->mutex);
      Channel &channel = state_->channels[{src, rank_, tag}];
      if (channel.sends.empty()) {
        channel.recvs.push_back(op);
      } else {
        Op &send = *channel.sends.front();
        op->tensor = std::move(send.tensor);
        op->ready = std::move(send.ready);
        op->done.store(true, std::memory_order_release);
        send.done.store(true, std::memory_order_release);
        channel.sends.pop_front();
      }
    }
    state_->changed.notify_all();
    return std::make_unique<ThreadsHandle>(state_, op, false, device_);
  }

  std::vector<std::string> gather(const std::string &key,
                                  const std::string &bytes,
                                  std::chrono::milliseconds timeout) override {
    std::unique_lock<std::mutex> lock(state_->mutex);
    auto &slots = state_->gathers[key];
    slots.resize(state_->ranks);
    slots[rank_] = bytes;
    state_->changed.notify_all();
    if (rank_ != 0)
      return {};
    auto complete = [&] {
      for (const auto &slot : state_->gathers[key])
        if (!slot)
          return false;
      return true;
    };
    state_->waitFor(lock, timeout, "not every rank reported '" + key + "'",
                    complete);
    std::vector<std::string> result;
    for (auto &slot : state_->gathers[key])
      result.push_back(std::move(*slot));
    state_->gathers.erase(key);
    return result;
  }

  void abort(const std::string &reason) override {
    {
      std::lock_guard<std::mutex> lock(state_->mutex);
      if (!state_->abortReason)
        state_->abortReason = reason;
    }
    state_->changed.notify_all();
  }

private:
  std::shared_ptr<ThreadsHub::State> state_;
  int64_t rank_;
  torch::Device device_;
};

} // namespace

ThreadsHub::ThreadsHub(int64_t ranks, std::shared_ptr<TensorHandoff> handoff)
    : state_(std::make_shared<State>(ranks, std::move(handoff))) {}

ThreadsHub::~ThreadsHub() = default;

std::unique_ptr<Transport> ThreadsHub::endpoint(int64_t rank,
                                                torch::Device device) {
  return std::make_unique<ThreadsTransport>(state_, rank, device);
}

void ThreadsHub::abort(const std::string &reason) {
  endpoint(0)->abort(reason);
}

} // namespace dualpipe::runtime
