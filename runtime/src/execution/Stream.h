//===- Stream.h - Streams and events of one rank ----------------*- C++ -*-===//
//
// The execution model the executor targets, on CPU and on GPU alike: work is
// enqueued on streams, a stream runs its work in order, and work on two
// streams is ordered only by events (record on one stream, wait on it from
// another). The host thread that enqueues never waits, except at the end of
// a step (RankStreams::synchronize).
//
// Event semantics are CUDA's: wait(event) orders the waiting stream after
// the work enqueued on the recording stream before the most recent
// record(event) at the time wait() is called. An event can be recorded again
// (once per step), so the plan allocates its events once.
//
// A failure anywhere stops the whole rank: the first exception thrown by any
// work item is kept, every stream skips what is still queued, and waits
// (on events or in synchronize) give up. A rank has nothing to continue
// with once one of its instructions failed, and this way a waiting stream
// never outlives the failure that it waits behind.
//
//===----------------------------------------------------------------------===//
#ifndef DUALPIPE_RUNTIME_EXECUTION_STREAM_H
#define DUALPIPE_RUNTIME_EXECUTION_STREAM_H

#include <ATen/core/Tensor.h>

#include <atomic>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace dualpipe::runtime {

/// The three streams of a rank.
enum class StreamRole : uint8_t {
  Forward,  // every compute op outside overlaps, and an overlap's forward
  Backward, // the backward half of an overlap region
  Comm,     // every send, recv and wait, in program order
};
inline constexpr int kStreamRoles = 3;
const char *toString(StreamRole role);

class RankStreams;

/// A point in a stream's work that other streams can wait for.
class Event {
public:
  virtual ~Event() = default;
};

/// An in-order queue of work.
class Stream {
public:
  virtual ~Stream() = default;
  virtual StreamRole role() const = 0;
  /// Runs `work` after everything enqueued before it. If `work` throws, the
  /// rank fails with that exception (RankStreams::failure).
  virtual void enqueue(std::function<void()> work) = 0;
  /// Marks the current end of this stream's work.
  virtual void record(Event &event) = 0;
  /// Work enqueued after this call runs after the work `event` marks.
  virtual void wait(Event &event) = 0;
};

/// A rank's streams, its shared failure state and its events.
class RankStreams {
public:
  virtual ~RankStreams();
  Stream &stream(StreamRole role) { return *streams_[static_cast<int>(role)]; }
  virtual std::unique_ptr<Event> makeEvent() = 0;

  /// Blocks the host until every stream has run what was enqueued, or until
  /// the rank failed; rethrows the first failure.
  virtual void synchronize() = 0;
  /// The first failure, or null. Set by a stream's work or by fail().
  std::exception_ptr failure() const;
  /// Records `error` as the rank's failure unless one is recorded already;
  /// stops every stream either way.
  void fail(std::exception_ptr error);
  bool stopped() const { return stopped_.load(std::memory_order_acquire); }
  /// DeviceStreams::useOn where there is a device; nothing on CPU.
  virtual void useOn(const at::Tensor &tensor, StreamRole role) = 0;

protected:
  /// Wakes every waiter after the stop (called with mutex_ free).
  virtual void wakeAll() = 0;
  std::unique_ptr<Stream> streams_[kStreamRoles];
  mutable std::mutex mutex_;
  std::atomic<int> sleepers_{0};

private:
  std::atomic<bool> stopped_{false};
  std::exception_ptr failure_;
};

/// What a device adds to the worker-thread streams (CudaStreams.cpp for
/// CUDA). Each worker issues its work onto the device stream of its role
/// (enter), so work items only launch kernels and return; every event is
/// also a device event, recorded on the device stream where the worker
/// reaches the record, and waited on by the device stream once the worker's
/// host-side wait is over (the record has been issued). Nothing waits for
/// the device to finish but synchronize, at the end of a step.
class DeviceEvent {
public:
  virtual ~DeviceEvent() = default;
};
class DeviceStreams {
public:
  virtual ~DeviceStreams() = default;
  /// Called once on the worker thread of `role`, before its first item.
  virtual void enter(StreamRole role) = 0;
  virtual std::unique_ptr<DeviceEvent> makeEvent() = 0;
  virtual void record(StreamRole role, DeviceEvent &event) = 0;
  virtual void wait(StreamRole role, DeviceEvent &event) = 0;
  /// Blocks the host until the device streams are idle.
  virtual void synchronize() = 0;
  /// Tells the device's allocator that `role`'s stream uses `tensor`, which
  /// another stream produced.
  virtual void useOn(const at::Tensor &tensor, StreamRole role) = 0;
  /// Orders every role's stream after what the calling host thread queued
  /// on its current stream (the optimizer step, the mirror exchange, the
  /// initial parameters): an event, not a host wait.
  virtual void waitForHost() = 0;

  // Timing for --trace: device times, since a work item returns as soon as
  // its kernels are queued.
  /// Clears the marks and records the origin on the forward stream.
  virtual void startTiming() = 0;
  /// Records a timing event at the current end of `role`'s stream; returns
  /// its index. Safe from every worker.
  virtual int32_t mark(StreamRole role) = 0;
  /// After synchronize: every mark's time after the origin, in
  /// microseconds.
  virtual std::vector<double> markTimesUs() = 0;
};

/// On CPU each stream is one worker thread; an event is a counter that the
/// recording stream's worker advances when it reaches the record. With
/// `device`, the same workers drive that device's streams.
std::unique_ptr<RankStreams>
makeCpuStreams(std::unique_ptr<DeviceStreams> device = nullptr);

/// The DeviceStreams of `device` (Device.cpp), or null on CPU.
std::unique_ptr<DeviceStreams> makeDeviceStreams(c10::Device device);

} // namespace dualpipe::runtime

#endif // DUALPIPE_RUNTIME_EXECUTION_STREAM_H
