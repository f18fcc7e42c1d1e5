//===- StreamTest.cpp - The CPU streams' event semantics ------------------===//

#include "execution/Stream.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <thread>
#include <vector>

using namespace dualpipe::runtime;

namespace {

/// Spins until `flag` is set or 10 s have passed; returns whether it was set.
bool awaitFlag(const std::atomic<bool> &flag) {
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!flag.load() && std::chrono::steady_clock::now() < until)
    std::this_thread::yield();
  return flag.load();
}

TEST(Streams, OneStreamRunsItsWorkInOrder) {
  auto streams = makeCpuStreams();
  std::vector<int> order;
  for (int i = 0; i < 100; ++i)
    streams->stream(StreamRole::Forward).enqueue([&, i] {
      order.push_back(i);
    });
  streams->synchronize();
  ASSERT_EQ(order.size(), 100u);
  for (int i = 0; i < 100; ++i)
    EXPECT_EQ(order[i], i);
}

TEST(Streams, AWaitOrdersAnotherStreamAfterTheRecord) {
  auto streams = makeCpuStreams();
  auto event = streams->makeEvent();
  std::atomic<bool> release{false};
  int produced = 0, seen = -1;
  Stream &producer = streams->stream(StreamRole::Forward);
  Stream &consumer = streams->stream(StreamRole::Comm);
  // The producer cannot finish before the host has enqueued everything, so
  // the consumer's item is queued while the producer is still busy.
  producer.enqueue([&] {
    awaitFlag(release);
    produced = 42;
  });
  producer.record(*event);
  consumer.wait(*event);
  consumer.enqueue([&] { seen = produced; });
  release = true;
  streams->synchronize();
  EXPECT_EQ(seen, 42);
}

TEST(Streams, EnqueueNeverBlocksTheHost) {
  auto streams = makeCpuStreams();
  auto event = streams->makeEvent();
  std::atomic<bool> hostDone{false};
  bool sawHostDone = false;
  Stream &a = streams->stream(StreamRole::Forward);
  Stream &b = streams->stream(StreamRole::Backward);
  a.enqueue([&] { sawHostDone = awaitFlag(hostDone); });
  a.record(*event);
  b.wait(*event);
  for (int i = 0; i < 10; ++i)
    b.enqueue([] {});
  // Everything above was enqueued while the first item still waits for us.
  hostDone = true;
  streams->synchronize();
  EXPECT_TRUE(sawHostDone);
}

TEST(Streams, TwoComputeStreamsRunConcurrently) {
  // Each item waits for the other to start: that only completes if the two
  // streams run at the same time (an overlapped pair).
  auto streams = makeCpuStreams();
  std::atomic<bool> forwardStarted{false}, backwardStarted{false};
  bool forwardSaw = false, backwardSaw = false;
  streams->stream(StreamRole::Forward).enqueue([&] {
    forwardStarted = true;
    forwardSaw = awaitFlag(backwardStarted);
  });
  streams->stream(StreamRole::Backward).enqueue([&] {
    backwardStarted = true;
    backwardSaw = awaitFlag(forwardStarted);
  });
  streams->synchronize();
  EXPECT_TRUE(forwardSaw);
  EXPECT_TRUE(backwardSaw);
}

TEST(Streams, AWaitOnANeverRecordedEventIsANoOp) {
  auto streams = makeCpuStreams();
  auto event = streams->makeEvent();
  bool ran = false;
  streams->stream(StreamRole::Comm).wait(*event);
  streams->stream(StreamRole::Comm).enqueue([&] { ran = true; });
  streams->synchronize();
  EXPECT_TRUE(ran);
}

TEST(Streams, AWaitUsesTheMostRecentRecord) {
  auto streams = makeCpuStreams();
  auto event = streams->makeEvent();
  std::atomic<bool> release{false};
  int value = 0, seen = -1;
  Stream &a = streams->stream(StreamRole::Forward);
  Stream &b = streams->stream(StreamRole::Backward);
  a.enqueue([&] { value = 1; });
  a.record(*event);
  a.enqueue([&] {
    awaitFlag(release);
    value = 2;
  });
  a.record(*event);
  b.wait(*event);
  b.enqueue([&] { seen = value; });
  release = true;
  streams->synchronize();
  EXPECT_EQ(seen, 2);
}

TEST(Streams, EventsCanBeRecordedAgainInTheNextStep) {
  auto streams = makeCpuStreams();
  auto event = streams->makeEvent();
  for (int step = 0; step < 3; ++step) {
    std::atomic<bool> release{false};
    int value = -1, seen = -2;
    streams->stream(StreamRole::Forward).enqueue([&] {
      awaitFlag(release);
      value = step;
    });
    streams->stream(StreamRole::Forward).record(*event);
    streams->stream(StreamRole::Comm).wait(*event);
    streams->stream(StreamRole::Comm).enqueue([&] { seen = value; });
    release = true;
    streams->synchronize();
    EXPECT_EQ(seen, step);
  }
}

TEST(Streams, AFailureStopsEveryStreamAndReachesTheHost) {
  auto streams = makeCpuStreams();
  auto event = streams->makeEvent();
  bool laterRan = false, waiterRan = false;
  Stream &a = streams->stream(StreamRole::Forward);
  Stream &b = streams->stream(StreamRole::Comm);
  a.enqueue([] { throw std::runtime_error("stage exploded"); });
  a.enqueue([&] { laterRan = true; });
  a.record(*event);
  b.wait(*event);
  b.enqueue([&] { waiterRan = true; });
  try {
    streams->synchronize();
    ADD_FAILURE() << "synchronize did not rethrow";
  } catch (const std::runtime_error &e) {
    EXPECT_STREQ(e.what(), "stage exploded");
  }
  EXPECT_FALSE(laterRan);
  EXPECT_FALSE(waiterRan);
  EXPECT_TRUE(streams->stopped());
}

TEST(Streams, TheFirstFailureIsTheOneReported) {
  auto streams = makeCpuStreams();
  std::atomic<bool> firstThrown{false};
  streams->stream(StreamRole::Forward).enqueue([&] {
    firstThrown = true;
    throw std::runtime_error("first");
  });
  streams->stream(StreamRole::Comm).enqueue([&] {
    awaitFlag(firstThrown);
    // Wait until the rank has stopped, so this one is second for sure.
    auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!streams->stopped() && std::chrono::steady_clock::now() < until)
      std::this_thread::yield();
    throw std::runtime_error("second");
  });
  try {
    streams->synchronize();
    ADD_FAILURE() << "synchronize did not rethrow";
  } catch (const std::runtime_error &e) {
    EXPECT_STREQ(e.what(), "first");
  }
}

} // namespace
