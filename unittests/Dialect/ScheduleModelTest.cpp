//===- ScheduleModelTest.cpp - IR <-> core model bridge -------------------===//
#include "dualpipe/Dialect/Pipe/IR/ScheduleModel.h"
#include "dualpipe/Schedule/Generate.h"
#include "dualpipe/Schedule/Lower.h"
#include "dualpipe/Schedule/TorchCsv.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"

#include <gtest/gtest.h>

using namespace mlir;
using namespace dualpipe::pipe;

namespace {
dualpipe::Schedule generate(dualpipe::ScheduleKind kind, int64_t ranks,
                            int64_t microbatches) {
  dualpipe::GenerateOptions options{kind, ranks, microbatches};
  std::vector<dualpipe::Finding> findings;
  std::optional<dualpipe::Schedule> schedule =
      dualpipe::generateSchedule(options, findings);
  EXPECT_TRUE(schedule) << dualpipe::joinFindings(findings);
  return schedule.value_or(dualpipe::Schedule());
}

size_t countInstrs(const std::vector<dualpipe::Instr> &instrs) {
  size_t count = 0;
  for (const dualpipe::Instr &instr : instrs)
    count += 1 + countInstrs(instr.body);
  return count;
}

class ScheduleModelTest : public ::testing::Test {
protected:
  ScheduleModelTest() : builder(&context) {
    context.loadDialect<PipeDialect>();
    module = ModuleOp::create(builder.getUnknownLoc());
    builder.setInsertionPointToEnd(module->getBody());
  }
  MLIRContext context;
  OpBuilder builder;
  OwningOpRef<ModuleOp> module;
};

TEST_F(ScheduleModelTest, ScheduleRoundTripsThroughIR) {
  for (dualpipe::ScheduleKind kind : dualpipe::allScheduleKinds()) {
    dualpipe::Schedule schedule = generate(kind, 4, 8);
    ScheduleOp op =
        writeSchedule(builder, builder.getUnknownLoc(), "s", schedule);
    ASSERT_TRUE(succeeded(verify(op))) << dualpipe::toString(kind);
    OriginTable origins;
    dualpipe::Schedule reread = readSchedule(op, origins);
    EXPECT_EQ(dualpipe::exportTorchCsv(reread),
              dualpipe::exportTorchCsv(schedule))
        << dualpipe::toString(kind);
    EXPECT_EQ(reread.kind, schedule.kind);
    op.erase();
  }
}

TEST_F(ScheduleModelTest, WriteProgramReusesOpsAndKeepsTokens) {
  dualpipe::Schedule schedule =
      generate(dualpipe::ScheduleKind::DualPipe, 4, 8);
  ScheduleOp op =
      writeSchedule(builder, builder.getUnknownLoc(), "s", schedule);
  OriginTable origins;
  dualpipe::Schedule level2 = readSchedule(op, origins);
  Operation *firstCompute = origins.lookup(0);
  dualpipe::Program program = dualpipe::insertComm(level2);
  writeProgram(op, program, origins);
  ASSERT_TRUE(succeeded(verify(op)));
  EXPECT_TRUE(op.isProgram());

  OriginTable reread;
  dualpipe::Program back = readProgram(op, reread);
  ASSERT_EQ(back.ranks.size(), program.ranks.size());
  for (size_t r = 0; r < program.ranks.size(); ++r)
    EXPECT_EQ(countInstrs(back.ranks[r]), countInstrs(program.ranks[r]));
  // Compute ops are moved, not recreated.
  bool stillThere = false;
  op.walk([&](Operation *nested) { stillThere |= nested == firstCompute; });
  EXPECT_TRUE(stillThere);
  // Every wait uses a token defined on its rank before it.
  op.walk([&](WaitOp wait) {
    Operation *producer = wait.getToken().getDefiningOp();
    ASSERT_NE(producer, nullptr);
    EXPECT_EQ(producer->getParentOfType<RankOp>(),
              wait->getParentOfType<RankOp>());
  });
}

TEST_F(ScheduleModelTest, OriginsPointAtTheOpsRead) {
  dualpipe::Schedule schedule =
      generate(dualpipe::ScheduleKind::OneFOneB, 2, 2);
  ScheduleOp op =
      writeSchedule(builder, builder.getUnknownLoc(), "s", schedule);
  OriginTable origins;
  dualpipe::Schedule reread = readSchedule(op, origins);
  for (const auto &steps : reread.ranks)
    for (const dualpipe::Step &step : steps) {
      std::optional<dualpipe::ComputeOp> compute =
          getComputeOp(origins.lookup(step.origin));
      ASSERT_TRUE(compute);
      EXPECT_EQ(*compute, step.first);
    }
  EXPECT_EQ(origins.lookup(-1), nullptr);
  EXPECT_EQ(origins.lookup(1000), nullptr);
}
} // namespace
