//===- VerifyTest.cpp - Broken schedules and programs, one rule each ------===//
//
// Each test breaks one rule of a small valid schedule or program and asserts
// the exact findings, so that a message change or a lost check shows up.
//
//===----------------------------------------------------------------------===//

#include "dualpipe/Schedule/Verify.h"
#include "dualpipe/Schedule/Generate.h"
#include "dualpipe/Schedule/Lower.h"
#include "dualpipe/Schedule/Simulate.h" // joinFindings

#include "VerifyTestSupport.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

using namespace dualpipe;
using namespace dualpipe::test;

namespace {

// Hides POSIX wait(int *), which wait(0) would also name.
using dualpipe::test::wait;

using Messages = std::vector<std::string>;

Messages messagesOf(const std::vector<Finding> &findings) {
  Messages messages;
  for (const Finding &finding : findings)
    messages.push_back(finding.message);
  return messages;
}

/// 1F1B over 2 ranks and 2 micro-batches.
Schedule twoRankSchedule() {
  return schedule(
      placement(PlacementKind::Standard, 2, 2, 2),
      {{step(F(0, 0)), step(F(0, 1)), step(B(0, 0)), step(B(0, 1))},
       {step(F(1, 0)), step(B(1, 0)), step(F(1, 1)), step(B(1, 1))}});
}

/// twoRankSchedule() lowered with the eager policy.
Program twoRankProgram() {
  return program(
      placement(PlacementKind::Standard, 2, 2, 2),
      {{recvGrad(1, 0, 1, 0), recvGrad(1, 1, 1, 1), compute(F(0, 0)),
        sendAct(0, 0, 1), compute(F(0, 1)), sendAct(0, 1, 1), wait(0),
        compute(B(0, 0)), wait(1), compute(B(0, 1))},
       {recvAct(0, 0, 0, 2), recvAct(0, 1, 0, 3), wait(2), compute(F(1, 0)),
        compute(B(1, 0)), sendGrad(1, 0, 0), wait(3), compute(F(1, 1)),
        compute(B(1, 1)), sendGrad(1, 1, 0)}});
}

InstrRef ref(int64_t rank, std::vector<int64_t> path) {
  return InstrRef{rank, std::move(path)};
}

void expectAt(const Finding &finding, const InstrRef &where) {
  EXPECT_EQ(finding.where.rank, where.rank) << finding.message;
  EXPECT_EQ(finding.where.path, where.path) << finding.message;
}

//===----------------------------------------------------------------------===//
// Valid inputs
//===----------------------------------------------------------------------===//

TEST(VerifyTest, HandWrittenScheduleAndProgramAreValid) {
  EXPECT_EQ(messagesOf(verifySchedule(twoRankSchedule())), Messages{});
  EXPECT_EQ(messagesOf(verifyProgram(twoRankProgram())), Messages{});
}

TEST(VerifyTest, ForwardOnlyScheduleIsValidWithEveryForward) {
  Schedule inference = schedule(
      placement(PlacementKind::Standard, 2, 2, 2),
      {{step(F(0, 0)), step(F(0, 1))}, {step(F(1, 0)), step(F(1, 1))}});
  EXPECT_EQ(messagesOf(verifySchedule(inference)), Messages{});
  inference.ranks[1].pop_back();
  EXPECT_EQ(messagesOf(verifySchedule(inference)),
            Messages{"rank 1: F(stage 1, mb 1) is missing"});
}

//===----------------------------------------------------------------------===//
// Level 2: sizes, ranges, placement, completeness, order, cycles
//===----------------------------------------------------------------------===//

TEST(VerifyTest, InvalidPlacementStopsChecking) {
  Schedule bad = twoRankSchedule();
  bad.placement.stages = 3;
  EXPECT_EQ(messagesOf(verifySchedule(bad)),
            Messages{"invalid placement: standard placement requires stages "
                     "== ranks (2), got 3"});
}

TEST(VerifyTest, RankProgramCountMustMatchPlacement) {
  Schedule bad = twoRankSchedule();
  bad.ranks.pop_back();
  EXPECT_EQ(messagesOf(verifySchedule(bad)),
            Messages{"schedule has 1 rank programs but the placement has 2 "
                     "ranks"});
}

TEST(VerifyTest, KindMustMatchPlacement) {
  Schedule bad = twoRankSchedule();
  bad.kind = ScheduleKind::ZBV;
  EXPECT_EQ(messagesOf(verifySchedule(bad)),
            Messages{"schedule kind zbv needs a v placement, got standard"});
}

TEST(VerifyTest, MissingBackward) {
  Schedule bad = twoRankSchedule();
  bad.ranks[1].erase(bad.ranks[1].begin() + 1); // B(1,0)
  std::vector<Finding> findings = verifySchedule(bad);
  ASSERT_EQ(messagesOf(findings),
            Messages{"rank 1: B(stage 1, mb 0) is missing"});
  expectAt(findings[0], ref(1, {}));
}

TEST(VerifyTest, DuplicateForward) {
  Schedule bad = twoRankSchedule();
  bad.ranks[0].insert(bad.ranks[0].begin() + 2, step(F(0, 1)));
  std::vector<Finding> findings = verifySchedule(bad);
  ASSERT_EQ(messagesOf(findings),
            Messages{"rank 0: duplicate F(stage 0, mb 1)"});
  expectAt(findings[0], ref(0, {2}));
  ASSERT_EQ(findings[0].notes.size(), 1u);
  EXPECT_EQ(findings[0].notes[0].message, "first F(stage 0, mb 1) is here");
  EXPECT_EQ(findings[0].notes[0].where.path, std::vector<int64_t>{1});
}

TEST(VerifyTest, WeightGradientBeforeItsInputGradient) {
  Schedule bad = twoRankSchedule();
  bad.ranks[0][2] = step(W(0, 0));
  bad.ranks[0].push_back(step(I(0, 0)));
  EXPECT_EQ(messagesOf(verifySchedule(bad)),
            Messages{"rank 0: W(stage 0, mb 0) runs before I(stage 0, mb 0)"});
}

TEST(VerifyTest, BackwardBeforeItsForward) {
  Schedule bad = twoRankSchedule();
  std::swap(bad.ranks[1][0], bad.ranks[1][1]); // B(1,0) first
  std::vector<Finding> findings = verifySchedule(bad);
  ASSERT_EQ(messagesOf(findings),
            Messages{"rank 1: B(stage 1, mb 0) runs before F(stage 1, mb 0)"});
  expectAt(findings[0], ref(1, {0}));
  ASSERT_EQ(findings[0].notes.size(), 1u);
  EXPECT_EQ(findings[0].notes[0].where.path, std::vector<int64_t>{1});
}

TEST(VerifyTest, ForwardBeforeUpstreamForwardOnSameRank) {
  // Interleaved on one rank: stages 0 and 1 both live on rank 0.
  Schedule bad =
      schedule(placement(PlacementKind::Interleaved, 1, 2, 1),
               {{step(F(1, 0)), step(F(0, 0)), step(B(1, 0)), step(B(0, 0))}});
  EXPECT_EQ(messagesOf(verifySchedule(bad)),
            Messages{"rank 0: F(stage 1, mb 0) runs before F(stage 0, mb 0)"});
}

TEST(VerifyTest, StageOnTheWrongRank) {
  Schedule bad = twoRankSchedule();
  bad.ranks[0].push_back(bad.ranks[1].back()); // B(1,1) to rank 0
  bad.ranks[1].pop_back();
  EXPECT_EQ(messagesOf(verifySchedule(bad)),
            (Messages{"rank 0: B(stage 1, mb 1) belongs on rank 1",
                      "rank 0: B(stage 0, mb 1) runs before B(stage 1, mb "
                      "1)"}));
}

TEST(VerifyTest, OpOutOfRange) {
  Schedule bad = twoRankSchedule();
  bad.ranks[0].push_back(step(F(0, 7)));
  EXPECT_EQ(messagesOf(verifySchedule(bad)),
            Messages{"rank 0: F(stage 0, mb 7) is out of range (2 stages, 2 "
                     "microbatches)"});
}

TEST(VerifyTest, BackwardTogetherWithSplitBackward) {
  Schedule bad = twoRankSchedule();
  bad.ranks[0].push_back(step(I(0, 1)));
  bad.ranks[0].push_back(step(W(0, 1)));
  EXPECT_EQ(
      messagesOf(verifySchedule(bad)),
      Messages{"rank 0: B(stage 0, mb 1) together with I(stage 0, mb 1)"});
}

TEST(VerifyTest, WeightGradientWithoutInputGradient) {
  Schedule bad = twoRankSchedule();
  bad.ranks[1][3] = step(W(1, 1));
  EXPECT_EQ(messagesOf(verifySchedule(bad)),
            Messages{"rank 1: W(stage 1, mb 1) without I(stage 1, mb 1)"});
}

TEST(VerifyTest, InputGradientWithoutWeightGradient) {
  Schedule bad = twoRankSchedule();
  bad.ranks[1][3] = step(I(1, 1));
  EXPECT_EQ(messagesOf(verifySchedule(bad)),
            Messages{"rank 1: I(stage 1, mb 1) has no W(stage 1, mb 1)"});
}

TEST(VerifyTest, OverlapShape) {
  Schedule bad = twoRankSchedule();
  bad.ranks[1] = {step(F(1, 0)), pair(B(1, 0), F(1, 1)), step(B(1, 1))};
  EXPECT_EQ(messagesOf(verifySchedule(bad)),
            (Messages{"rank 1: overlap must start with a forward, got B(stage "
                      "1, mb 0)",
                      "rank 1: overlap must pair its forward with a backward "
                      "(B, I or W), got F(stage 1, mb 1)"}));
}

TEST(VerifyTest, OverlapWithItsOwnDependency) {
  Schedule bad = twoRankSchedule();
  bad.ranks[1] = {pair(F(1, 0), B(1, 0)), step(F(1, 1)), step(B(1, 1))};
  std::vector<Finding> findings = verifySchedule(bad);
  ASSERT_EQ(messagesOf(findings),
            Messages{"rank 1: B(stage 1, mb 0) runs in the same overlap as "
                     "F(stage 1, mb 0)"});
  expectAt(findings[0], ref(1, {0, 1}));
}

TEST(VerifyTest, ScheduleCycleAcrossTwoRanks) {
  // Rank 0 runs B(0,0) before F(0,1), rank 1 wants F(1,1) before B(1,0).
  Schedule bad =
      schedule(placement(PlacementKind::Standard, 2, 2, 2),
               {{step(F(0, 0)), step(B(0, 0)), step(F(0, 1)), step(B(0, 1))},
                {step(F(1, 1)), step(F(1, 0)), step(B(1, 0)), step(B(1, 1))}});
  std::vector<Finding> findings = verifySchedule(bad);
  ASSERT_EQ(messagesOf(findings),
            Messages{"deadlock: rank 0 waits at B(stage 0, mb 0) for B(stage "
                     "1, mb 0) on rank 1, rank 1 waits at F(stage 1, mb 1) "
                     "for F(stage 0, mb 1) on rank 0"});
  expectAt(findings[0], ref(0, {1}));
  ASSERT_EQ(findings[0].notes.size(), 2u);
  EXPECT_EQ(findings[0].notes[1].message, "rank 1 is blocked here");
  expectAt(Finding{"", findings[0].notes[1].where, -1, {}}, ref(1, {0}));
}

TEST(VerifyTest, FindingsAreCapped) {
  Schedule empty =
      schedule(placement(PlacementKind::Standard, 4, 4, 64), {{}, {}, {}, {}});
  std::vector<Finding> findings = verifySchedule(empty);
  EXPECT_EQ(findings.size(), kDefaultMaxFindings);
  VerifyOptions options;
  options.maxFindings = 3;
  EXPECT_EQ(verifySchedule(empty, options).size(), 3u);
}

//===----------------------------------------------------------------------===//
// Level 3: messages, pairing, tokens, data
//===----------------------------------------------------------------------===//

TEST(VerifyTest, ProgramComputeRulesPointAtInstructions) {
  Program bad = twoRankProgram();
  bad.ranks[1].erase(bad.ranks[1].begin() + 4); // B(1,0)
  std::vector<Finding> findings = verifyProgram(bad);
  ASSERT_EQ(messagesOf(findings),
            Messages{"rank 1: B(stage 1, mb 0) is missing"});
  expectAt(findings[0], ref(1, {}));
}

TEST(VerifyTest, SendWithNoRecv) {
  Program bad = twoRankProgram();
  bad.ranks[0].push_back(sendAct(0, 1, 1)); // a second copy
  std::vector<Finding> findings = verifyProgram(bad);
  ASSERT_EQ(messagesOf(findings),
            Messages{"rank 0: send activation(stage 0, mb 1) to rank 1 has no "
                     "matching recv on rank 1"});
  expectAt(findings[0], ref(0, {10}));
}

TEST(VerifyTest, RecvWithNoSend) {
  Program bad = twoRankProgram();
  bad.ranks[0].erase(bad.ranks[0].begin() + 5); // send activation(0,1)
  EXPECT_EQ(messagesOf(verifyProgram(bad)),
            Messages{"rank 1: recv activation(stage 0, mb 1) from rank 0 has "
                     "no matching send on rank 0"});
}

TEST(VerifyTest, WrongPeer) {
  // Three stages: rank 0's activation must go to rank 1, not rank 2.
  Program bad = program(
      placement(PlacementKind::Standard, 3, 3, 1),
      {{compute(F(0, 0)), sendAct(0, 0, 2)},
       {recvAct(0, 0, 0, 0), wait(0), compute(F(1, 0)), sendAct(1, 0, 2)},
       {recvAct(1, 0, 1, 1), wait(1), compute(F(2, 0))}});
  EXPECT_EQ(messagesOf(verifyProgram(bad)),
            (Messages{"rank 0: send activation(stage 0, mb 0) to rank 2, but "
                      "its consumer F(stage 1, mb 0) is on rank 1",
                      "rank 0: send activation(stage 0, mb 0) to rank 2 has no "
                      "matching recv on rank 2",
                      "rank 1: recv activation(stage 0, mb 0) from rank 0 has "
                      "no matching send on rank 0"}));
}

TEST(VerifyTest, KeyMismatch) {
  Program bad = twoRankProgram();
  bad.ranks[0][3].key.mb = 1; // sends activation(0,1) twice, (0,0) never
  EXPECT_EQ(messagesOf(verifyProgram(bad)),
            (Messages{"rank 0: send activation(stage 0, mb 1) to rank 1 has no "
                      "matching recv on rank 1",
                      "rank 1: recv activation(stage 0, mb 0) from rank 0 has "
                      "no matching send on rank 0",
                      "rank 0: send activation(stage 0, mb 1) to rank 1 runs "
                      "before its producer F(stage 0, mb 1)"}));
}

TEST(VerifyTest, MessageOnTheWrongRankOrNotNeeded) {
  Program bad = twoRankProgram();
  bad.ranks[1].push_back(sendAct(0, 1, 0)); // rank 1 does not make it
  bad.ranks[0].push_back(sendAct(1, 0, 1)); // the last stage sends nothing
  bad.ranks[0].push_back(sendAct(0, 0, 0)); // to itself
  bad.ranks[0].push_back(sendAct(0, 0, 5)); // no such rank
  bad.ranks[0].push_back(sendAct(0, 9, 1)); // no such micro-batch
  EXPECT_EQ(messagesOf(verifyProgram(bad)),
            (Messages{
                "rank 0: send activation(stage 1, mb 0) to rank 1: no stage "
                "consumes it",
                "rank 0: send activation(stage 0, mb 0) to rank 0: a rank "
                "cannot message itself",
                "rank 0: send activation(stage 0, mb 0) to rank 5: no such "
                "rank",
                "rank 0: send activation(stage 0, mb 9) to rank 1 is out of "
                "range (2 stages, 2 microbatches)",
                "rank 1: send activation(stage 0, mb 1) to rank 0 on the wrong "
                "rank: its producer F(stage 0, mb 1) is on rank 0",
                "rank 0: send activation(stage 1, mb 0) to rank 1 has no "
                "matching recv on rank 1",
                "rank 0: send activation(stage 0, mb 9) to rank 1 has no "
                "matching recv on rank 1",
                "rank 1: send activation(stage 0, mb 1) to rank 0 has no "
                "matching recv on rank 0",
            }));
}

TEST(VerifyTest, MessageBetweenStagesOfOneRank) {
  // DualPipeV folds stages 1 and 2 onto rank 1: no message between them.
  std::vector<Finding> findings;
  std::optional<Schedule> folded = generateSchedule(
      GenerateOptions{ScheduleKind::DualPipeV, 2, 4}, findings);
  ASSERT_TRUE(folded) << joinFindings(findings);
  Program bad = insertComm(*folded);
  ASSERT_EQ(joinFindings(scheduleComm(bad, ScheduleCommOptions{})), "");
  bad.ranks[1].push_back(sendAct(1, 0, 0));
  EXPECT_EQ(messagesOf(verifyProgram(bad)),
            (Messages{"rank 1: send activation(stage 1, mb 0) to rank 0 is not "
                      "needed: producer and consumer are both on rank 1",
                      "rank 1: send activation(stage 1, mb 0) to rank 0 has no "
                      "matching recv on rank 0"}));
}

TEST(VerifyTest, TokenWaitedTwice) {
  Program bad = twoRankProgram();
  bad.ranks[0].insert(bad.ranks[0].begin() + 7, wait(0));
  std::vector<Finding> findings = verifyProgram(bad);
  ASSERT_EQ(messagesOf(findings), Messages{"rank 0: token 0 is waited twice"});
  expectAt(findings[0], ref(0, {7}));
  ASSERT_EQ(findings[0].notes.size(), 1u);
  EXPECT_EQ(findings[0].notes[0].message, "first wait on token 0 is here");
}

TEST(VerifyTest, TokenDoesNotLeaveItsOverlapRegion) {
  // Rank 1 runs F(1,1) and B(1,0) as a pair whose async send is waited after
  // the region: in IR the token would not even be visible there.
  Program bad = program(
      placement(PlacementKind::Standard, 2, 2, 2),
      {{recvGrad(1, 0, 1, 0), recvGrad(1, 1, 1, 1), compute(F(0, 0)),
        sendAct(0, 0, 1), compute(F(0, 1)), sendAct(0, 1, 1), wait(0),
        compute(B(0, 0)), wait(1), compute(B(0, 1))},
       {recvAct(0, 0, 0, 2), recvAct(0, 1, 0, 3), wait(2), compute(F(1, 0)),
        wait(3),
        overlap({compute(F(1, 1)), compute(B(1, 0)), sendGrad(1, 0, 0, 4)}),
        wait(4), compute(B(1, 1)), sendGrad(1, 1, 0)}});
  std::vector<Finding> findings = verifyProgram(bad);
  ASSERT_EQ(messagesOf(findings),
            Messages{"rank 1: wait on token 4 outside the overlap region "
                     "that defines it"});
  expectAt(findings[0], ref(1, {6}));
  ASSERT_EQ(findings[0].notes.size(), 1u);
  EXPECT_EQ(findings[0].notes[0].message, "token 4 is defined here");
}

TEST(VerifyTest, WaitOnUnknownToken) {
  Program bad = twoRankProgram();
  bad.ranks[1][6].token = 42;
  EXPECT_EQ(messagesOf(verifyProgram(bad)),
            (Messages{"rank 1: wait on unknown token 42",
                      "rank 1: recv activation(stage 0, mb 1) from rank 0 "
                      "(token 3) is never waited",
                      "rank 1: F(stage 1, mb 1) uses activation(stage 0, mb "
                      "1) before waiting for it"}));
}

TEST(VerifyTest, TokenOfAnotherRankIsUnknown) {
  Program bad = twoRankProgram();
  bad.ranks[1].push_back(wait(0)); // token 0 is rank 0's
  EXPECT_EQ(messagesOf(verifyProgram(bad)),
            Messages{"rank 1: wait on unknown token 0"});
}

TEST(VerifyTest, WaitBeforeTokenIsDefined) {
  Program bad = twoRankProgram();
  std::swap(bad.ranks[1][0], bad.ranks[1][2]); // wait #2 before recv #2
  EXPECT_EQ(messagesOf(verifyProgram(bad)),
            (Messages{"rank 1: wait on token 2 before it is defined",
                      "rank 1: recv activation(stage 0, mb 0) from rank 0 "
                      "(token 2) is never waited",
                      "rank 1: F(stage 1, mb 0) uses activation(stage 0, mb "
                      "0) before waiting for it"}));
}

TEST(VerifyTest, TokenDefinedTwiceAndRecvWithoutToken) {
  Program bad = twoRankProgram();
  bad.ranks[0][1].token = 0;
  bad.ranks[1][1].token = -1;
  std::vector<Messages::value_type> expected = {
      "rank 0: token 0 is defined twice",
      "rank 1: recv activation(stage 0, mb 1) from rank 0 has no token",
      "rank 1: F(stage 1, mb 1) uses activation(stage 0, mb 1) before "
      "waiting for it"};
  Messages got = messagesOf(verifyProgram(bad));
  // wait(1) on rank 0 now waits on nothing: reported as unknown.
  expected.insert(expected.begin() + 1, "rank 0: wait on unknown token 1");
  expected.insert(expected.begin() + 3, "rank 1: wait on unknown token 3");
  EXPECT_EQ(got, expected);
}

TEST(VerifyTest, ConsumerWithoutItsRecv) {
  Program bad = twoRankProgram();
  // Rank 1 drops recv and wait of activation(0,1); rank 0 still sends it.
  bad.ranks[1].erase(bad.ranks[1].begin() + 6);
  bad.ranks[1].erase(bad.ranks[1].begin() + 1);
  EXPECT_EQ(messagesOf(verifyProgram(bad)),
            (Messages{"rank 0: send activation(stage 0, mb 1) to rank 1 has no "
                      "matching recv on rank 1",
                      "rank 1: F(stage 1, mb 1) needs activation(stage 0, mb "
                      "1) from rank 0 but has no recv for it"}));
}

TEST(VerifyTest, RecvPostedAfterItsConsumer) {
  Program bad = twoRankProgram();
  Instr late = bad.ranks[1][1];
  bad.ranks[1].erase(bad.ranks[1].begin() + 1);
  bad.ranks[1].push_back(late);
  std::vector<Finding> findings = verifyProgram(bad);
  EXPECT_EQ(messagesOf(findings),
            (Messages{"rank 1: wait on token 3 before it is defined",
                      "rank 1: recv activation(stage 0, mb 1) from rank 0 "
                      "(token 3) is never waited",
                      "rank 1: F(stage 1, mb 1) runs before its recv of "
                      "activation(stage 0, mb 1)"}));
}

TEST(VerifyTest, SendBeforeItsProducer) {
  Program bad = twoRankProgram();
  std::swap(bad.ranks[1][4], bad.ranks[1][5]); // send grad before B(1,0)
  EXPECT_EQ(messagesOf(verifyProgram(bad)),
            Messages{"rank 1: send grad(stage 1, mb 0) to rank 0 runs before "
                     "its producer B(stage 1, mb 0)"});
}

TEST(VerifyTest, InstructionShape) {
  Program bad = twoRankProgram();
  bad.ranks[0][2].body = {compute(F(0, 0))};
  bad.ranks[1][4] = overlap({compute(B(1, 0)), overlap({})});
  EXPECT_EQ(messagesOf(verifyProgram(bad)),
            (Messages{"rank 0: only an overlap may have a body",
                      "rank 1: overlap nested inside an overlap",
                      "rank 1: overlap must hold exactly two computations, "
                      "found 1"}));
}

//===----------------------------------------------------------------------===//
// Deadlocks under rendezvous semantics
//===----------------------------------------------------------------------===//

TEST(VerifyTest, DeadlockTwoBlockingSends) {
  // insertComm's placement of 1F1B: each rank sends before posting the
  // receive the other's send needs.
  Program bad = insertComm(twoRankSchedule());
  std::vector<Finding> findings = verifyProgram(bad);
  ASSERT_EQ(messagesOf(findings),
            Messages{"deadlock: rank 0 waits at send activation(stage 0, mb "
                     "1) to rank 1, rank 1 waits at send grad(stage 1, mb 0) "
                     "to rank 0"});
  expectAt(findings[0], ref(0, {3}));
  ASSERT_EQ(findings[0].notes.size(), 2u);
  EXPECT_EQ(findings[0].notes[0].message, "rank 0 is blocked here");
  EXPECT_EQ(findings[0].notes[1].message, "rank 1 is blocked here");
  EXPECT_EQ(findings[0].notes[1].where.path, std::vector<int64_t>{4});
}

TEST(VerifyTest, DeadlockTwoRanksWaitingFirst) {
  Program bad = program(placement(PlacementKind::Standard, 2, 2, 1),
                        {{compute(F(0, 0)), recvGrad(1, 0, 1, 0), wait(0),
                          sendAct(0, 0, 1), compute(B(0, 0))},
                         {recvAct(0, 0, 0, 1), wait(1), compute(F(1, 0)),
                          compute(B(1, 0)), sendGrad(1, 0, 0)}});
  EXPECT_EQ(messagesOf(verifyProgram(bad)),
            Messages{"deadlock: rank 0 waits at wait for recv grad(stage 1, "
                     "mb 0) from rank 1, rank 1 waits at wait for recv "
                     "activation(stage 0, mb 0) from rank 0"});
}

TEST(VerifyTest, DeadlockThreeRankCycle) {
  // Interleaved over 3 ranks: stage 3 (rank 0) takes stage 2's activation
  // from rank 2. Rank 0 waits for it before its first forward.
  Program bad = program(
      placement(PlacementKind::Interleaved, 3, 6, 1),
      {{recvAct(2, 0, 2, 0), wait(0), compute(F(0, 0)), sendAct(0, 0, 1),
        compute(F(3, 0)), sendAct(3, 0, 1)},
       {recvAct(0, 0, 0, 1), wait(1), compute(F(1, 0)), sendAct(1, 0, 2),
        recvAct(3, 0, 0, 2), wait(2), compute(F(4, 0)), sendAct(4, 0, 2)},
       {recvAct(1, 0, 1, 3), wait(3), compute(F(2, 0)), sendAct(2, 0, 0),
        recvAct(4, 0, 1, 4), wait(4), compute(F(5, 0))}});
  std::vector<Finding> findings = verifyProgram(bad);
  ASSERT_EQ(messagesOf(findings),
            Messages{"deadlock: rank 0 waits at wait for recv "
                     "activation(stage 2, mb 0) from rank 2, rank 2 waits at "
                     "wait for recv activation(stage 1, mb 0) from rank 1, "
                     "rank 1 waits at wait for recv activation(stage 0, mb 0) "
                     "from rank 0"});
  EXPECT_EQ(findings[0].notes.size(), 3u);
}

TEST(VerifyTest, DeadlockThroughAnOverlap) {
  // Rank 1's overlap needs activation(0,1), which rank 0 makes only after it
  // has the gradient that the overlap's backward produces.
  Program bad =
      program(placement(PlacementKind::Standard, 2, 2, 2),
              {{compute(F(0, 0)), sendAct(0, 0, 1), recvGrad(1, 0, 1, 0),
                wait(0), compute(B(0, 0)), compute(F(0, 1)), sendAct(0, 1, 1),
                recvGrad(1, 1, 1, 1), wait(1), compute(B(0, 1))},
               {recvAct(0, 0, 0, 2), wait(2), compute(F(1, 0)),
                overlap({recvAct(0, 1, 0, 3), wait(3), compute(F(1, 1)),
                         compute(B(1, 0)), sendGrad(1, 0, 0)}),
                compute(B(1, 1)), sendGrad(1, 1, 0)}});
  std::vector<Finding> findings = verifyProgram(bad);
  ASSERT_EQ(messagesOf(findings),
            Messages{"deadlock: rank 0 waits at wait for recv grad(stage 1, "
                     "mb 0) from rank 1, rank 1 waits at wait for recv "
                     "activation(stage 0, mb 1) from rank 0"});
  ASSERT_EQ(findings[0].notes.size(), 2u);
  EXPECT_EQ(findings[0].notes[1].where.path, (std::vector<int64_t>{3, 1}));
}

TEST(VerifyTest, DeadlockOnAsyncSendToken) {
  // Rank 0 waits for its async send to be received before it posts the
  // receive rank 1's blocking send needs; rank 1 sends before receiving.
  Program bad = program(
      placement(PlacementKind::Standard, 2, 2, 2),
      {{compute(F(0, 0)), sendAct(0, 0, 1, 0), compute(F(0, 1)),
        sendAct(0, 1, 1, 1), wait(1), recvGrad(1, 0, 1, 2), wait(2),
        compute(B(0, 0)), recvGrad(1, 1, 1, 3), wait(3), compute(B(0, 1)),
        wait(0)},
       {recvAct(0, 0, 0, 4), wait(4), compute(F(1, 0)), compute(B(1, 0)),
        sendGrad(1, 0, 0), recvAct(0, 1, 0, 5), wait(5), compute(F(1, 1)),
        compute(B(1, 1)), sendGrad(1, 1, 0)}});
  EXPECT_EQ(messagesOf(verifyProgram(bad)),
            Messages{"deadlock: rank 0 waits at wait for send "
                     "activation(stage 0, mb 1) to rank 1, rank 1 waits at "
                     "send grad(stage 1, mb 0) to rank 0"});
}

TEST(VerifyTest, ComputeCycleInProgramIsReportedAsDeadlock) {
  Schedule cyclic =
      schedule(placement(PlacementKind::Standard, 2, 2, 2),
               {{step(F(0, 0)), step(B(0, 0)), step(F(0, 1)), step(B(0, 1))},
                {step(F(1, 1)), step(F(1, 0)), step(B(1, 0)), step(B(1, 1))}});
  Program lowered = insertComm(cyclic);
  Messages messages = messagesOf(verifyProgram(lowered));
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_EQ(messages[0].rfind("deadlock: rank 0 waits at ", 0), 0u)
      << messages[0];
}

TEST(VerifyTest, BadInputNeverCrashes) {
  Program empty;
  EXPECT_EQ(messagesOf(verifyProgram(empty)),
            Messages{"invalid placement: ranks must be positive, got 0"});
  EXPECT_FALSE(findDeadlock(empty));
  Program huge = twoRankProgram();
  huge.placement.microbatches = int64_t(1) << 40;
  EXPECT_EQ(messagesOf(verifyProgram(huge)).size(), 1u);
  Schedule negative = twoRankSchedule();
  negative.ranks[0][0].first.stage = -3;
  EXPECT_FALSE(verifySchedule(negative).empty());
}

} // namespace
