//===- PipeOpsTest.cpp - op verifiers that text cannot reach --------------===//
//
// A wait on another rank's token cannot be written as text (the token is not
// in scope there), but a buggy pass can build it. The verifier must name it.
//
//===----------------------------------------------------------------------===//
#include "dualpipe/Dialect/Pipe/IR/PipeOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"

#include <gtest/gtest.h>

using namespace mlir;
using namespace dualpipe::pipe;

namespace {
class PipeOpsTest : public ::testing::Test {
protected:
  PipeOpsTest() { context.loadDialect<PipeDialect>(); }

  /// A 2-rank standard schedule with empty rank bodies.
  std::pair<RankOp, RankOp> buildTwoRanks(OpBuilder &builder) {
    Location loc = builder.getUnknownLoc();
    module = ModuleOp::create(loc);
    builder.setInsertionPointToEnd(module->getBody());
    auto schedule = ScheduleOp::create(
        builder, loc, "s", ScheduleKindAttr(), PlacementKind::Standard, 2, 2, 1,
        FlatSymbolRefAttr(), DenseI64ArrayAttr(), TypeAttr(), /*level=*/3);
    builder.setInsertionPointToStart(&schedule.getBody().emplaceBlock());
    auto rank0 = RankOp::create(builder, loc, 0);
    rank0.getBody().emplaceBlock();
    auto rank1 = RankOp::create(builder, loc, 1);
    rank1.getBody().emplaceBlock();
    return {rank0, rank1};
  }

  /// Verifies the module and returns the first error message.
  std::string firstError() {
    std::string message;
    ScopedDiagnosticHandler handler(&context, [&](Diagnostic &diag) {
      if (message.empty() && diag.getSeverity() == DiagnosticSeverity::Error)
        message = diag.str();
      return success();
    });
    EXPECT_TRUE(failed(verify(*module)));
    return message;
  }

  MLIRContext context;
  OwningOpRef<ModuleOp> module;
};

TEST_F(PipeOpsTest, WaitOnForeignTokenNamesBothRanks) {
  OpBuilder builder(&context);
  auto [rank0, rank1] = buildTwoRanks(builder);
  Location loc = builder.getUnknownLoc();
  builder.setInsertionPointToEnd(&rank0.getBody().front());
  auto recv = RecvOp::create(builder, loc, TokenType::get(&context),
                             MessageKind::Gradient, 1, 0, 1);
  builder.setInsertionPointToEnd(&rank1.getBody().front());
  WaitOp::create(builder, loc, recv.getToken());
  EXPECT_EQ(firstError(),
            "'pipe.wait' op waits on a token that is not produced on its own "
            "rank: the token comes from rank 0, this wait is on rank 1");
}

TEST_F(PipeOpsTest, WaitOnOwnTokenVerifies) {
  OpBuilder builder(&context);
  auto [rank0, rank1] = buildTwoRanks(builder);
  (void)rank0;
  Location loc = builder.getUnknownLoc();
  builder.setInsertionPointToEnd(&rank1.getBody().front());
  auto recv = RecvOp::create(builder, loc, TokenType::get(&context),
                             MessageKind::Activation, 0, 0, 0);
  WaitOp::create(builder, loc, recv.getToken());
  EXPECT_TRUE(succeeded(verify(*module)));
}

TEST_F(PipeOpsTest, InterfacesDescribeEveryComputeAndMessageOp) {
  OpBuilder builder(&context);
  auto [rank0, rank1] = buildTwoRanks(builder);
  (void)rank1;
  Location loc = builder.getUnknownLoc();
  builder.setInsertionPointToEnd(&rank0.getBody().front());
  Operation *ops[] = {ForwardOp::create(builder, loc, 0, 0),
                      BackwardOp::create(builder, loc, 0, 0),
                      BackwardInputOp::create(builder, loc, 0, 0),
                      BackwardWeightOp::create(builder, loc, 0, 0)};
  dualpipe::OpKind kinds[] = {dualpipe::OpKind::F, dualpipe::OpKind::B,
                              dualpipe::OpKind::I, dualpipe::OpKind::W};
  for (auto [op, kind] : llvm::zip(ops, kinds))
    EXPECT_EQ(cast<ComputeOpInterface>(op).getComputeOp(),
              (dualpipe::ComputeOp{kind, 0, 0}));
  auto send =
      SendOp::create(builder, loc, Type(), MessageKind::Activation, 0, 0, 1);
  auto recv = RecvOp::create(builder, loc, TokenType::get(&context),
                             MessageKind::Gradient, 1, 0, 1);
  auto sendEnd = cast<MessageOpInterface>(send.getOperation());
  auto recvEnd = cast<MessageOpInterface>(recv.getOperation());
  EXPECT_TRUE(sendEnd.isSend());
  EXPECT_FALSE(sendEnd.getToken());
  EXPECT_EQ(sendEnd.getKey(),
            (dualpipe::MsgKey{dualpipe::MsgKind::Activation, 0, 0}));
  EXPECT_FALSE(recvEnd.isSend());
  EXPECT_EQ(recvEnd.getToken(), recv.getToken());
  EXPECT_EQ(recvEnd.getPeer(), 1u);
  EXPECT_EQ(recvEnd.getKey(),
            (dualpipe::MsgKey{dualpipe::MsgKind::Gradient, 1, 0}));
  EXPECT_FALSE(isa<ComputeOpInterface>(send.getOperation()));
}

TEST_F(PipeOpsTest, EnumConversionsMatchTheCoreModel) {
  for (dualpipe::ScheduleKind kind : dualpipe::allScheduleKinds()) {
    EXPECT_EQ(toCore(fromCore(kind)), kind);
    EXPECT_EQ(stringifyScheduleKind(fromCore(kind)).str(),
              std::string(dualpipe::toString(kind)));
  }
  for (auto kind :
       {dualpipe::PlacementKind::Standard, dualpipe::PlacementKind::Interleaved,
        dualpipe::PlacementKind::V, dualpipe::PlacementKind::Dual})
    EXPECT_EQ(stringifyPlacementKind(fromCore(kind)).str(),
              std::string(dualpipe::toString(kind)));
  EXPECT_EQ(stringifyMessageKind(fromCore(dualpipe::MsgKind::Gradient)).str(),
            std::string(dualpipe::toString(dualpipe::MsgKind::Gradient)));
}
} // namespace
