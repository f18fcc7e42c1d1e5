//===- NcclTransport.cpp - Ranks as processes over NCCL -------------------===//
//
// NCCL directly, not c10d's ProcessGroupNCCL: ProcessGroupNCCL runs each
// operation on a stream of its own and makes it wait on the caller's
// current stream, so tying it to the rank's comm stream would take one more
// event per message, and its point-to-point API has no ncclGroupStart/End
// around a post group. Here every ncclSend/ncclRecv goes on the caller's
// current stream (the comm worker's, CudaStreams.cpp) inside the post
// group's ncclGroupStart/ncclGroupEnd, and nothing on the host waits for
// the device: a Wait's consumers wait on the event recorded after the Wait,
// which the comm stream reaches only after the whole group.
//
// The communicator is non-blocking (ncclConfig_t::blocking = 0), so no NCCL
// call holds the host: init and ncclGroupEnd return ncclInProgress and are
// polled, bounded by the timeout. A watchdog thread polls
// ncclCommGetAsyncError, the completion of the oldest posted group (a CUDA
// event recorded after it) and the store's abort key; on an error, a group
// older than the timeout or another rank's abort it calls ncclCommAbort,
// which ends the kernels that wait on a dead peer, and keeps the cause for
// checkAsync and for every later call. A rank that fails sets the abort key,
// so every other rank stops at its next poll.
//
// Compiled on every build (unlinked where LibTorch has no CUDA).
//
//===----------------------------------------------------------------------===//

#include "ErrorText.h"
#include "dualpipe/Runtime/Transport.h"
#include "transports/StoreGather.h"

#include <ATen/cuda/CUDAEvent.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>

#include <nccl.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <sstream>
#include <thread>

namespace dualpipe::runtime {
namespace {

using Clock = std::chrono::steady_clock;

constexpr auto kPoll = std::chrono::milliseconds(2);
constexpr int kStorePollEvery = 50; // watchdog polls per store check
const char *const kAbortKey = "nccl/abort";

std::string seconds(std::chrono::milliseconds timeout) {
  std::ostringstream out;
  out << timeout.count() / 1000.0 << " s";
  return out.str();
}

ncclDataType_t ncclType(torch::ScalarType type) {
  switch (type) {
  case torch::kFloat32:
    return ncclFloat32;
  case torch::kFloat64:
    return ncclFloat64;
  case torch::kBFloat16:
    return ncclBfloat16;
  case torch::kFloat16:
    return ncclFloat16;
  case torch::kInt64:
    return ncclInt64;
  default:
    throw CommError(std::string("nccl: no NCCL type for ") +
                    c10::toString(type));
  }
}

class NcclHandle : public CommHandle {
public:
  explicit NcclHandle(torch::Tensor tensor) : tensor_(std::move(tensor)) {}
  /// Stream-ordered: the caller's stream is behind the group already.
  torch::Tensor wait(std::chrono::milliseconds) override {
    return std::move(tensor_);
  }

private:
  torch::Tensor tensor_;
};

class NcclTransport : public Transport {
public:
  NcclTransport(const GlooOptions &options, torch::Device device)
      : options_(options), device_(device) {
    c10::cuda::CUDAGuard guard(device_);
    store_ = connectStore(options_);
    ncclUniqueId id;
    const std::string idKey = "nccl/id";
    if (options_.rank == 0) {
      check(ncclGetUniqueId(&id), "ncclGetUniqueId");
      store_->set(idKey, std::vector<uint8_t>(reinterpret_cast<uint8_t *>(&id),
                                              reinterpret_cast<uint8_t *>(&id) +
                                                  sizeof(id)));
    } else {
      std::vector<uint8_t> bytes = store_->get(idKey);
      if (bytes.size() != sizeof(id))
        throw CommError("nccl: the unique id in the store has " +
                        std::to_string(bytes.size()) + " bytes");
      std::copy(bytes.begin(), bytes.end(), reinterpret_cast<uint8_t *>(&id));
    }
    ncclConfig_t config = NCCL_CONFIG_INITIALIZER;
    config.blocking = 0;
    check(ncclCommInitRankConfig(&comm_, static_cast<int>(options_.worldSize),
                                 id, static_cast<int>(options_.rank), &config),
          "ncclCommInitRankConfig");
    settle("ncclCommInitRankConfig (every rank must join)");
    watchStore_ = connectStore(options_, /*client=*/true);
    watchdog_ = std::thread([this] { watch(); });
  }

  ~NcclTransport() override {
    {
      std::lock_guard<std::mutex> lock(stateMutex_);
      stop_ = true;
    }
    stopped_.notify_all();
    watchdog_.join();
    std::lock_guard<std::mutex> lock(commMutex_);
    // Abort frees the communicator without waiting for the peers, which a
    // clean destroy would.
    if (!aborted_)
      ncclCommAbort(comm_);
  }

  int64_t rank() const override { return options_.rank; }
  int64_t size() const override { return options_.worldSize; }

  std::unique_ptr<CommHandle> send(int64_t dst, int64_t,
                                   const torch::Tensor &tensor) override {
    torch::Tensor data = tensor.contiguous();
    call("ncclSend", [&] {
      return ncclSend(data.data_ptr(), data.numel(),
                      ncclType(data.scalar_type()), static_cast<int>(dst),
                      comm_, currentStream());
    });
    if (!inGroup_)
      afterGroup("send to rank " + std::to_string(dst));
    return std::make_unique<NcclHandle>(torch::Tensor());
  }

  std::unique_ptr<CommHandle> recv(int64_t src, int64_t,
                                   std::vector<int64_t> shape,
                                   torch::ScalarType dtype) override {
    torch::Tensor data = torch::empty(
        shape, torch::TensorOptions().dtype(dtype).device(device_));
    call("ncclRecv", [&] {
      return ncclRecv(data.data_ptr(), data.numel(), ncclType(dtype),
                      static_cast<int>(src), comm_, currentStream());
    });
    if (!inGroup_)
      afterGroup("recv from rank " + std::to_string(src));
    return std::make_unique<NcclHandle>(std::move(data));
  }

  void beginGroup() override {
    call("ncclGroupStart", [] { return ncclGroupStart(); });
    inGroup_ = true;
  }

  void endGroup(const std::string &what) override {
    inGroup_ = false;
    call("ncclGroupEnd", [] { return ncclGroupEnd(); });
    afterGroup(what);
  }

  void checkAsync() override {
    std::lock_guard<std::mutex> lock(stateMutex_);
    if (failure_)
      throw *failure_;
  }

  std::vector<std::string> gather(const std::string &key,
                                  const std::string &bytes,
                                  std::chrono::milliseconds timeout) override {
    try {
      return storeGather(*store_, key, bytes, options_.rank, options_.worldSize,
                         timeout);
    } catch (const std::exception &e) {
      throw CommError("nccl store: " + firstLine(e.what()));
    }
  }

  void abort(const std::string &reason) override {
    try {
      store_->set(kAbortKey,
                  std::vector<uint8_t>(reason.begin(), reason.end()));
    } catch (const std::exception &) {
      // The store's host may be the rank that died; the local abort below
      // still stops this rank, and the peers' watchdogs time out.
    }
    fail(CommError("aborted: " + reason, true));
  }

private:
  cudaStream_t currentStream() const {
    return c10::cuda::getCurrentCUDAStream(device_.index()).stream();
  }

  static void check(ncclResult_t result, const char *what) {
    if (result != ncclSuccess && result != ncclInProgress)
      throw CommError(std::string("nccl: ") + what + ": " +
                      ncclGetErrorString(result));
  }

  /// An NCCL call on the communicator, refused once it was aborted (an
  /// aborted communicator is freed).
  template <typename Fn> void call(const char *what, Fn fn) {
    std::lock_guard<std::mutex> lock(commMutex_);
    if (aborted_)
      rethrowFailure();
    ncclResult_t result = fn();
    if (result != ncclSuccess && result != ncclInProgress)
      throw CommError(std::string("nccl: ") + what + ": " +
                      ncclGetErrorString(result) + ": " +
                      ncclGetLastError(comm_));
  }

  /// Polls a non-blocking call to completion, bounded by the timeout.
  void settle(const std::string &what) {
    auto deadline = Clock::now() + options_.timeout;
    for (;;) {
      ncclResult_t state = ncclSuccess;
      {
        std::lock_guard<std::mutex> lock(commMutex_);
        if (aborted_)
          rethrowFailure();
        check(ncclCommGetAsyncError(comm_, &state), "ncclCommGetAsyncError");
      }
      if (state == ncclSuccess)
        return;
      if (state != ncclInProgress)
        throw CommError("nccl: " + what + ": " + ncclGetErrorString(state));
      if (Clock::now() > deadline)
        throw CommError("nccl: " + what + " did not complete within " +
                        seconds(options_.timeout));
      std::this_thread::sleep_for(kPoll);
    }
  }

  /// The group is on the stream once NCCL is done enqueueing it; the event
  /// after it is what the watchdog watches.
  void afterGroup(const std::string &what) {
    settle(what);
    auto event = std::make_unique<at::cuda::CUDAEvent>(cudaEventDisableTiming);
    event->record(c10::cuda::getCurrentCUDAStream(device_.index()));
    std::lock_guard<std::mutex> lock(stateMutex_);
    if (groups_.empty())
      frontSince_ = Clock::now();
    groups_.push_back(Group{std::move(event), what});
  }

  [[noreturn]] void rethrowFailure() {
    std::lock_guard<std::mutex> lock(stateMutex_);
    throw failure_ ? *failure_ : CommError("nccl: communicator aborted");
  }

  /// Aborts the communicator once and keeps the first cause.
  void fail(const CommError &cause) {
    {
      std::lock_guard<std::mutex> lock(stateMutex_);
      if (!failure_)
        failure_ = cause;
    }
    std::lock_guard<std::mutex> lock(commMutex_);
    if (!aborted_) {
      ncclCommAbort(comm_);
      aborted_ = true;
    }
  }

  void watch() {
    c10::cuda::CUDAGuard guard(device_);
    for (int poll = 0;; ++poll) {
      {
        std::unique_lock<std::mutex> lock(stateMutex_);
        if (stopped_.wait_for(lock, kPoll, [&] { return stop_; }) || failure_)
          return;
      }
      if (std::optional<CommError> cause = findFailure(poll)) {
        bool root = !cause->aborted();
        fail(*cause);
        if (root)
          publish(cause->what());
        return;
      }
    }
  }

  std::optional<CommError> findFailure(int poll) {
    {
      std::lock_guard<std::mutex> lock(commMutex_);
      if (aborted_)
        return std::nullopt;
      ncclResult_t state = ncclSuccess;
      ncclResult_t result = ncclCommGetAsyncError(comm_, &state);
      if (result != ncclSuccess ||
          (state != ncclSuccess && state != ncclInProgress))
        return CommError(
            frontGroup() + ": nccl: asynchronous error: " +
            ncclGetErrorString(result != ncclSuccess ? result : state) + ": " +
            ncclGetLastError(comm_));
    }
    {
      std::lock_guard<std::mutex> lock(stateMutex_);
      while (!groups_.empty() && groups_.front().done->query()) {
        groups_.pop_front();
        frontSince_ = Clock::now();
      }
      if (!groups_.empty() && Clock::now() - frontSince_ > options_.timeout)
        return CommError(groups_.front().what +
                         ": nccl: did not complete within " +
                         seconds(options_.timeout) +
                         " (a peer died, failed or does not post the "
                         "matching message)");
    }
    if (poll % kStorePollEvery == 0) {
      try {
        if (watchStore_->check({kAbortKey})) {
          std::vector<uint8_t> why = watchStore_->get(kAbortKey);
          return CommError("aborted: " + std::string(why.begin(), why.end()),
                           true);
        }
      } catch (const std::exception &e) {
        return CommError("nccl: the store at " + options_.masterAddr + ":" +
                         std::to_string(options_.masterPort) +
                         " is gone (rank 0 died?): " + firstLine(e.what()));
      }
    }
    return std::nullopt;
  }

  std::string frontGroup() {
    std::lock_guard<std::mutex> lock(stateMutex_);
    return groups_.empty()
               ? std::string("rank " + std::to_string(options_.rank))
               : groups_.front().what;
  }

  void publish(const std::string &cause) {
    std::string reason =
        "rank " + std::to_string(options_.rank) + " failed: " + cause;
    try {
      watchStore_->set(kAbortKey,
                       std::vector<uint8_t>(reason.begin(), reason.end()));
    } catch (const std::exception &) {
    }
  }

  struct Group {
    std::unique_ptr<at::cuda::CUDAEvent> done;
    std::string what;
  };

  GlooOptions options_;
  torch::Device device_;
  c10::intrusive_ptr<c10d::Store> store_;      // host thread
  c10::intrusive_ptr<c10d::Store> watchStore_; // watchdog
  ncclComm_t comm_ = nullptr;
  bool inGroup_ = false; // the posting thread's

  std::mutex commMutex_; // guards comm_ against the abort
  bool aborted_ = false;

  std::mutex stateMutex_;
  std::condition_variable stopped_;
  bool stop_ = false;
  std::optional<CommError> failure_;
  std::deque<Group> groups_;
  Clock::time_point frontSince_;
  std::thread watchdog_;
};

} // namespace

std::unique_ptr<Transport> connectNccl(const GlooOptions &options,
                                       torch::Device device) {
  try {
    return std::make_unique<NcclTransport>(options, device);
  } catch (const CommError &e) {
    throw CommError("rendezvous at " + options.masterAddr + ":" +
                    std::to_string(options.masterPort) +
                    " failed: " + e.what());
  } catch (const std::exception &e) {
    throw CommError("rendezvous at " + options.masterAddr + ":" +
                    std::to_string(options.masterPort) +
                    " failed: " + firstLine(e.what()));
  }
}

} // namespace dualpipe::runtime
