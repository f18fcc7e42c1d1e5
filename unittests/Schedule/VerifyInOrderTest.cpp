//===- VerifyInOrderTest.cpp - Programs under in-order (NCCL) matching ----===//

#include "dualpipe/Schedule/CommGroups.h"
#include "dualpipe/Schedule/Verify.h"

#include "LowerTestSupport.h"
#include "VerifyTestSupport.h"

#include <gtest/gtest.h>

#include <string>

using namespace dualpipe;
using namespace dualpipe::test;

namespace {

// Hides POSIX wait(int *), which wait(0) would also name.
using dualpipe::test::wait;

Program twoRanks(int64_t microbatches, std::vector<Instr> rank0,
                 std::vector<Instr> rank1) {
  return program(placement(PlacementKind::Standard, 2, 2, microbatches),
                 {std::move(rank0), std::move(rank1)});
}

/// 1F1B on 2 ranks, 1 micro-batch, every receive posted first (eager).
Program receivesPostedFirst() {
  return twoRanks(1,
                  {recvGrad(1, 0, 1, 0), compute(F(0, 0)), sendAct(0, 0, 1),
                   wait(0), compute(B(0, 0))},
                  {recvAct(0, 0, 0, 1), wait(1), compute(F(1, 0)),
                   compute(B(1, 0)), sendGrad(1, 0, 0)});
}

VerifyOptions inOrder(size_t maxFindings = kDefaultMaxFindings) {
  VerifyOptions options;
  options.matching = MessageMatching::InOrder;
  options.maxFindings = maxFindings;
  return options;
}

std::string where(const InstrRef &ref) {
  std::string text = std::to_string(ref.rank) + ":";
  for (int64_t index : ref.path)
    text += " " + std::to_string(index);
  return text;
}

/// The one finding of a program that is valid by key but not in order.
Finding onlyInOrderFinding(const Program &program) {
  EXPECT_EQ(firstMessage(verifyProgram(program)), "");
  std::vector<Finding> findings = verifyProgram(program, inOrder());
  EXPECT_EQ(findings.size(), 1u);
  return findings.empty() ? Finding{} : findings.front();
}

TEST(VerifyInOrderTest, MatchingSpellings) {
  EXPECT_EQ(toString(MessageMatching::ByKey), "by-key");
  EXPECT_EQ(toString(MessageMatching::InOrder), "in-order");
  EXPECT_EQ(parseMessageMatching("in-order"), MessageMatching::InOrder);
  EXPECT_EQ(parseMessageMatching("by-key"), MessageMatching::ByKey);
  EXPECT_EQ(parseMessageMatching("nccl"), std::nullopt);
}

TEST(VerifyInOrderTest, EarlyReceivesHangUnderInOrderOnly) {
  Program program = receivesPostedFirst();
  Finding finding = onlyInOrderFinding(program);
  EXPECT_EQ(finding.message,
            "deadlock under in-order matching: rank 0 waits at recv "
            "grad(stage 1, mb 0) from rank 1, rank 1 waits at recv "
            "activation(stage 0, mb 0) from rank 0");
  EXPECT_EQ(where(finding.where), "0: 0");
  ASSERT_EQ(finding.notes.size(), 4u);
  EXPECT_EQ(finding.notes[0].message, "rank 0 is blocked here");
  EXPECT_EQ(where(finding.notes[0].where), "0: 0");
  EXPECT_EQ(finding.notes[1].message,
            "rank 1 posts the matching send later, here");
  EXPECT_EQ(where(finding.notes[1].where), "1: 4");
  EXPECT_EQ(finding.notes[2].message, "rank 1 is blocked here");
  EXPECT_EQ(where(finding.notes[2].where), "1: 0");
  EXPECT_EQ(finding.notes[3].message,
            "rank 0 posts the matching send later, here");
  EXPECT_EQ(where(finding.notes[3].where), "0: 2");
  EXPECT_EQ(checkInOrder(program).front().message, finding.message);
}

TEST(VerifyInOrderTest, ReceiveOrderDifferentFromSendOrder) {
  Program program = twoRanks(
      2,
      {compute(F(0, 0)), sendAct(0, 0, 1), compute(F(0, 1)), sendAct(0, 1, 1)},
      {recvAct(0, 1, 0, 0), recvAct(0, 0, 0, 1), wait(1), compute(F(1, 0)),
       wait(0), compute(F(1, 1))});
  std::vector<Finding> findings = {onlyInOrderFinding(program)};
  EXPECT_EQ(findings[0].message,
            "rank 1: message 1 from rank 0 to rank 1 is sent as "
            "activation(stage 0, mb 0) but received as activation(stage 0, "
            "mb 1)");
  EXPECT_EQ(where(findings[0].where), "1: 0");
  ASSERT_EQ(findings[0].notes.size(), 2u);
  EXPECT_EQ(findings[0].notes[0].message,
            "rank 0 sends activation(stage 0, mb 0) as message 1 here");
  EXPECT_EQ(where(findings[0].notes[0].where), "0: 1");
  EXPECT_EQ(findings[0].notes[1].message,
            "rank 1 receives activation(stage 0, mb 0) here");
  EXPECT_EQ(where(findings[0].notes[1].where), "1: 1");
}

TEST(VerifyInOrderTest, OneOrderFindingPerPairAtItsFirstDifference) {
  // Three ranks, pair 0 -> 1 in order, pair 1 -> 2 swapped at message 2.
  Program swapped =
      program(placement(PlacementKind::Standard, 3, 3, 3), {{}, {}, {}});
  for (int64_t mb = 0; mb < 3; ++mb) {
    swapped.ranks[0].push_back(compute(F(0, mb)));
    swapped.ranks[0].push_back(sendAct(0, mb, 1));
    swapped.ranks[1].push_back(recvAct(0, mb, 0, mb));
    swapped.ranks[1].push_back(wait(mb));
    swapped.ranks[1].push_back(compute(F(1, mb)));
    swapped.ranks[1].push_back(sendAct(1, mb, 2));
  }
  for (int64_t mb : {0, 2, 1})
    swapped.ranks[2].push_back(recvAct(1, mb, 1, 10 + mb));
  for (int64_t mb = 0; mb < 3; ++mb) {
    swapped.ranks[2].push_back(wait(10 + mb));
    swapped.ranks[2].push_back(compute(F(2, mb)));
  }
  std::vector<Finding> findings = {onlyInOrderFinding(swapped)};
  EXPECT_EQ(findings[0].message,
            "rank 2: message 2 from rank 1 to rank 2 is sent as "
            "activation(stage 1, mb 1) but received as activation(stage 1, "
            "mb 2)");
  EXPECT_TRUE(verifyProgram(swapped, inOrder(0)).empty());
}

TEST(VerifyInOrderTest, GroupsOfTheRuleAreMaximalRunsOfMessages) {
  Program program = receivesPostedFirst();
  std::vector<FlatInstr> flat = flattenRank(program.ranks[0]);
  std::vector<CommGroup> groups = commGroups(flat);
  ASSERT_EQ(groups.size(), 2u);
  EXPECT_EQ(groups[0].begin, 0);
  EXPECT_EQ(groups[0].end, 1);
  EXPECT_EQ(groups[1].begin, 2);
  EXPECT_EQ(groups[1].size(), 1);
}

} // namespace
