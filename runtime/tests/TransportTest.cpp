//===- TransportTest.cpp - Message semantics of both transports -----------===//

#include "dualpipe/Runtime/Transport.h"
#include "dualpipe/Runtime/Spawn.h"

#include <gtest/gtest.h>

#include <future>
#include <thread>

using namespace dualpipe::runtime;
using namespace std::chrono_literals;

namespace {

torch::Tensor filled(double value) { return torch::full({2, 3}, value); }

std::unique_ptr<CommHandle> recvOf(Transport &t, int64_t src, int64_t tag) {
  return t.recv(src, tag, {2, 3}, torch::kFloat32);
}

/// The semantics both transports promise, on a pair of endpoints.
void expectPointToPointSemantics(Transport &a, Transport &b) {
  // Same (src, dst, tag): matched in order, whichever side comes first.
  auto s1 = a.send(1, 7, filled(1));
  auto s2 = a.send(1, 7, filled(2));
  auto r1 = recvOf(b, 0, 7);
  auto r2 = recvOf(b, 0, 7);
  EXPECT_TRUE(r1->wait(5s).equal(filled(1)));
  EXPECT_TRUE(r2->wait(5s).equal(filled(2)));
  s1->wait(5s);
  s2->wait(5s);
  // Different tags never match each other; order across tags is free.
  auto late = recvOf(b, 0, 9);
  auto early = recvOf(b, 0, 8);
  a.send(1, 8, filled(8))->wait(5s);
  a.send(1, 9, filled(9))->wait(5s);
  EXPECT_TRUE(early->wait(5s).equal(filled(8)));
  EXPECT_TRUE(late->wait(5s).equal(filled(9)));
  // Both directions.
  auto back = recvOf(a, 1, 3);
  b.send(0, 3, filled(3))->wait(5s);
  EXPECT_TRUE(back->wait(5s).equal(filled(3)));
}

TEST(ThreadsTransport, PointToPoint) {
  ThreadsHub hub(2);
  auto a = hub.endpoint(0), b = hub.endpoint(1);
  expectPointToPointSemantics(*a, *b);
}

TEST(ThreadsTransport, SendCompletesWhenTheReceiveIsPosted) {
  ThreadsHub hub(2);
  auto a = hub.endpoint(0), b = hub.endpoint(1);
  auto send = a->send(1, 1, filled(1));
  try {
    send->wait(20ms);
    ADD_FAILURE() << "a send must wait for its receive";
  } catch (const CommError &e) {
    EXPECT_FALSE(e.aborted());
    EXPECT_EQ(std::string(e.what()),
              "timed out after 0.02 s: no matching recv was posted");
  }
  auto recv = recvOf(*b, 0, 1);
  send->wait(1s);
  EXPECT_TRUE(recv->wait(1s).equal(filled(1)));
}

TEST(ThreadsTransport, AbortWakesEveryWaiter) {
  ThreadsHub hub(2);
  auto a = hub.endpoint(0);
  auto recv = recvOf(*a, 1, 5);
  auto waiter = std::async(std::launch::async, [&] {
    try {
      recv->wait(60s);
    } catch (const CommError &e) {
      return std::string(e.aborted() ? "aborted: " : "") + e.what();
    }
    return std::string("returned");
  });
  std::this_thread::sleep_for(20ms);
  hub.abort("rank 1 failed");
  ASSERT_EQ(waiter.wait_for(5s), std::future_status::ready);
  EXPECT_EQ(waiter.get(), "aborted: aborted: rank 1 failed");
  EXPECT_THROW(recvOf(*a, 1, 6)->wait(60s), CommError);
}

TEST(ThreadsTransport, GatherCollectsOnRankZero) {
  ThreadsHub hub(3);
  std::vector<std::unique_ptr<Transport>> ends;
  for (int r = 0; r < 3; ++r)
    ends.push_back(hub.endpoint(r));
  EXPECT_TRUE(ends[2]->gather("k", "two", 1s).empty());
  EXPECT_TRUE(ends[1]->gather("k", "one", 1s).empty());
  EXPECT_EQ(ends[0]->gather("k", "zero", 1s),
            (std::vector<std::string>{"zero", "one", "two"}));
  EXPECT_THROW(ends[0]->gather("never", "x", 20ms), CommError);
}

/// Two Gloo ranks as threads of this process: the same semantics over real
/// sockets, plus timeouts and a clean error for a bad rendezvous.
TEST(GlooTransport, PointToPointOverLoopback) {
  int port = freeLoopbackPort();
  ASSERT_GT(port, 0);
  auto connect = [port](int64_t rank) {
    GlooOptions options;
    options.rank = rank;
    options.worldSize = 2;
    options.masterPort = port;
    options.timeout = 20s;
    return connectGloo(options);
  };
  auto second = std::async(std::launch::async, connect, 1);
  auto a = connect(0);
  auto b = second.get();
  expectPointToPointSemantics(*a, *b);
  auto gathered = std::async(std::launch::async,
                             [&] { return a->gather("g", "zero", 5s); });
  EXPECT_TRUE(b->gather("g", "one", 5s).empty());
  EXPECT_EQ(gathered.get(), (std::vector<std::string>{"zero", "one"}));
  try {
    recvOf(*b, 0, 99)->wait(100ms);
    ADD_FAILURE() << "nothing was sent";
  } catch (const CommError &e) {
    EXPECT_NE(std::string(e.what()).find("gloo: "), std::string::npos);
  }
}

TEST(GlooTransport, RendezvousTimesOut) {
  GlooOptions options;
  options.rank = 1; // nobody hosts the store
  options.worldSize = 2;
  options.masterPort = freeLoopbackPort();
  options.timeout = 300ms;
  try {
    connectGloo(options);
    ADD_FAILURE() << "there is no rank 0";
  } catch (const CommError &e) {
    EXPECT_EQ(std::string(e.what()).rfind("rendezvous at 127.0.0.1:", 0), 0u)
        << e.what();
  }
}

TEST(GlooTransport, EnvironmentErrorsNameTheVariable) {
  unsetenv("WORLD_SIZE");
  std::string error;
  EXPECT_FALSE(glooOptionsFromEnv(error));
  EXPECT_EQ(error, "WORLD_SIZE is not set (launch with torchrun or --spawn)");
  setenv("WORLD_SIZE", "2", 1);
  setenv("RANK", "2", 1);
  EXPECT_FALSE(glooOptionsFromEnv(error));
  EXPECT_EQ(error, "RANK=2 is not an integer in [0, 1]");
  setenv("RANK", "1", 1);
  setenv("MASTER_PORT", "29511", 1);
  setenv("MASTER_ADDR", "127.0.0.1", 1);
  auto options = glooOptionsFromEnv(error);
  ASSERT_TRUE(options) << error;
  EXPECT_EQ(options->rank, 1);
  EXPECT_EQ(options->masterPort, 29511);
  for (const char *name : {"WORLD_SIZE", "RANK", "MASTER_PORT", "MASTER_ADDR"})
    unsetenv(name);
}

} // namespace
