//===- CpuStreams.cpp - Streams as worker threads -------------------------===//
//
// Each stream is a worker thread draining a queue of items: work, the record
// of an event, a wait on an event. Waiters (a worker on an event, the host in
// synchronize) spin briefly (SpinWait.h says why), then sleep until the
// worker that reaches their event, or the rank's stop, wakes them.
//
//===----------------------------------------------------------------------===//

#include "execution/SpinWait.h"
#include "execution/Stream.h"

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <thread>
#include <vector>

namespace dualpipe::runtime {

const char *toString(StreamRole role) {
  switch (role) {
  case StreamRole::Forward:
    return "forward";
  case StreamRole::Backward:
    return "backward";
  case StreamRole::Comm:
    return "comm";
  }
  return "?";
}

RankStreams::~RankStreams() = default;

std::exception_ptr RankStreams::failure() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return failure_;
}

void RankStreams::fail(std::exception_ptr error) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!failure_)
      failure_ = std::move(error);
    stopped_.store(true, std::memory_order_seq_cst);
  }
  wakeAll();
}

namespace {

class CpuEvent : public Event {
public:
  /// Host side: the number of records enqueued so far.
  uint64_t recorded = 0;
  /// Worker side: the number of records reached.
  std::atomic<uint64_t> reached{0};
  std::unique_ptr<DeviceEvent> device;
};

class CpuRankStreams;

class CpuStream : public Stream {
public:
  CpuStream(StreamRole role, CpuRankStreams &rank);
  ~CpuStream() override;
  StreamRole role() const override { return role_; }
  void enqueue(std::function<void()> work) override;
  void record(Event &event) override;
  void wait(Event &event) override;

private:
  struct Item {
    std::function<void()> work;
    CpuEvent *event = nullptr;
    uint64_t target = 0; // a wait: until event->reached >= target
    bool isRecord = false;
  };
  void push(Item item);
  void loop();
  void runItem(Item &item);

  StreamRole role_;
  CpuRankStreams &rank_;
  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<Item> queue_;
  std::atomic<bool> queued_{false};
  bool stop_ = false;
  std::thread thread_;
};

class CpuRankStreams : public RankStreams {
public:
  explicit CpuRankStreams(std::unique_ptr<DeviceStreams> device)
      : device_(std::move(device)) {
    for (CpuEvent &event : endOfStep_)
      event.device = deviceEvent();
    for (int r = 0; r < kStreamRoles; ++r)
      streams_[r] =
          std::make_unique<CpuStream>(static_cast<StreamRole>(r), *this);
  }
  ~CpuRankStreams() override {
    // Queued work is skipped; the item that runs finishes (bounded by the
    // timeout of whatever it waits on).
    fail(nullptr);
    for (auto &stream : streams_)
      stream.reset();
  }
  std::unique_ptr<Event> makeEvent() override {
    auto event = std::make_unique<CpuEvent>();
    event->device = deviceEvent();
    return event;
  }
  DeviceStreams *device() { return device_.get(); }
  void useOn(const at::Tensor &tensor, StreamRole role) override {
    if (device_)
      device_->useOn(tensor, role);
  }

  void synchronize() override {
    for (auto &stream : streams_)
      stream->record(endOfStep_[static_cast<int>(stream->role())]);
    for (CpuEvent &event : endOfStep_)
      sleepUntilReached(event, event.recorded);
    if (std::exception_ptr error = failure())
      std::rethrow_exception(error);
    if (device_)
      device_->synchronize();
  }

  /// Spins, then sleeps until `event` has reached `target` records or the
  /// rank stopped. Only the completion of that event (or the stop) wakes
  /// the sleeper, so a host in synchronize is not woken by every record.
  void sleepUntilReached(CpuEvent &event, uint64_t target) {
    auto done = [&] {
      return stopped() ||
             event.reached.load(std::memory_order_acquire) >= target;
    };
    spinBriefly(done);
    if (done())
      return;
    std::unique_lock<std::mutex> lock(mutex_);
    Sleeper self{&event, {}};
    sleeping_.push_back(&self);
    sleepers_.fetch_add(1, std::memory_order_seq_cst);
    self.wakeup.wait(lock, done);
    sleepers_.fetch_sub(1, std::memory_order_seq_cst);
    sleeping_.erase(std::find(sleeping_.begin(), sleeping_.end(), &self));
  }

  void reached(CpuEvent &event) {
    event.reached.fetch_add(1, std::memory_order_seq_cst);
    if (sleepers_.load(std::memory_order_seq_cst) == 0)
      return;
    std::lock_guard<std::mutex> lock(mutex_);
    for (Sleeper *sleeper : sleeping_)
      if (sleeper->event == &event)
        sleeper->wakeup.notify_one();
  }

protected:
  void wakeAll() override {
    std::lock_guard<std::mutex> lock(mutex_);
    for (Sleeper *sleeper : sleeping_)
      sleeper->wakeup.notify_one();
  }

private:
  struct Sleeper {
    CpuEvent *event;
    std::condition_variable wakeup;
  };
  std::unique_ptr<DeviceEvent> deviceEvent() {
    return device_ ? device_->makeEvent() : nullptr;
  }

  std::vector<Sleeper *> sleeping_; // guarded by mutex_
  std::unique_ptr<DeviceStreams> device_;
  CpuEvent endOfStep_[kStreamRoles];
};

CpuStream::CpuStream(StreamRole role, CpuRankStreams &rank)
    : role_(role), rank_(rank), thread_([this] { loop(); }) {}

CpuStream::~CpuStream() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  ready_.notify_one();
  thread_.join();
}

void CpuStream::push(Item item) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    queue_.push_back(std::move(item));
    queued_.store(true, std::memory_order_release);
  }
  ready_.notify_one();
}

void CpuStream::enqueue(std::function<void()> work) {
  Item item;
  item.work = std::move(work);
  push(std::move(item));
}

void CpuStream::record(Event &event) {
  auto &cpuEvent = static_cast<CpuEvent &>(event);
  ++cpuEvent.recorded;
  Item item;
  item.event = &cpuEvent;
  item.isRecord = true;
  push(std::move(item));
}

void CpuStream::wait(Event &event) {
  auto &cpuEvent = static_cast<CpuEvent &>(event);
  Item item;
  item.event = &cpuEvent;
  item.target = cpuEvent.recorded;
  if (item.target == 0)
    return; // never recorded: nothing to wait for, as in CUDA
  push(std::move(item));
}

void CpuStream::runItem(Item &item) {
  if (rank_.stopped())
    return;
  DeviceStreams *device = rank_.device();
  if (item.isRecord) {
    if (device)
      device->record(role_, *item.event->device);
    rank_.reached(*item.event);
  } else if (item.event) {
    rank_.sleepUntilReached(*item.event, item.target);
    if (device && !rank_.stopped())
      device->wait(role_, *item.event->device);
  } else {
    try {
      item.work();
    } catch (...) {
      rank_.fail(std::current_exception());
    }
  }
}

void CpuStream::loop() {
  if (DeviceStreams *device = rank_.device())
    device->enter(role_);
  for (;;) {
    spinBriefly([&] { return queued_.load(std::memory_order_acquire); });
    Item item;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      ready_.wait(lock, [&] { return stop_ || !queue_.empty(); });
      if (queue_.empty())
        return;
      item = std::move(queue_.front());
      queue_.pop_front();
      queued_.store(!queue_.empty(), std::memory_order_release);
    }
    runItem(item);
  }
}

} // namespace

std::unique_ptr<RankStreams>
makeCpuStreams(std::unique_ptr<DeviceStreams> device) {
  return std::make_unique<CpuRankStreams>(std::move(device));
}

} // namespace dualpipe::runtime
