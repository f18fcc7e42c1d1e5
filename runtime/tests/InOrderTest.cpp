//===- InOrderTest.cpp - Which programs the NCCL backend accepts ----------===//
//
// CPU: the check runs at load, before any communicator exists.
//
//===----------------------------------------------------------------------===//

#include "RuntimeTestUtil.h"

#include "dualpipe/Runtime/Runner.h"
#include "dualpipe/Runtime/Transport.h"
#include "dualpipe/Schedule/Generate.h"

#include <gtest/gtest.h>

using namespace dualpipe;
using namespace dualpipe::runtime;
using namespace dualpipe::testing;

namespace {

TEST(InOrder, EveryKindCompiledInOrderIsAccepted) {
  int64_t kinds = 0;
  for (ScheduleKind kind : allScheduleKinds()) {
    if (!checkGenerateOptions({kind, 4, 8}).empty())
      continue;
    TestSchedule s = schedule(kind, 4, 8);
    s.policy = CommPolicy::InOrder;
    EXPECT_EQ(inOrderError(loadTestProgram(s).program()), "") << toString(kind);
    ++kinds;
  }
  EXPECT_GE(kinds, 7);
}

/// The eager policy posts receives early and relies on tags: some pair's
/// receives are out of its sender's order.
TEST(InOrder, AnEagerProgramIsRefusedNamingThePairAndTheMessages) {
  auto program = loadTestProgram(schedule(ScheduleKind::DualPipe, 4, 8));
  std::string error = inOrderError(program.program());
  ASSERT_NE(error, "");
  EXPECT_NE(error.find("--backend nccl: the program is not deadlock-free "
                       "under NCCL's in-order matching"),
            std::string::npos)
      << error;
  EXPECT_NE(error.find("rank "), std::string::npos) << error;
  EXPECT_NE(error.find("programs[1].instructions["), std::string::npos)
      << error;
  EXPECT_NE(error.find("policy=in-order"), std::string::npos) << error;
}

TEST(InOrder, NcclRefusesACpuDeviceAndAnEagerProgram) {
  auto program = loadTestProgram(schedule(ScheduleKind::DualPipe, 4, 8));
  GlooOptions gloo;
  gloo.worldSize = 4;
  RunOptions options;
  RunResult cpu = runNcclRank(program, options, gloo);
  EXPECT_EQ(cpu.error, "rank 0: --backend nccl needs --device cuda");
  options.device = DeviceKind::Cuda;
  RunResult eager = runNcclRank(program, options, gloo);
  EXPECT_NE(eager.error.find("rank 0: --backend nccl: the program is not "
                             "deadlock-free"),
            std::string::npos)
      << eager.error;
}

} // namespace
