//===- LowerTest.cpp - Exact outputs of insertComm, fuseOverlap, scheduleComm //
//
// Programs are compared in a compact notation, one string per rank:
//   F0.1                F(stage 0, mb 1) (likewise B, I, W)
//   send a0.1>1         blocking send of activation(0,1) to rank 1
//   send g3.5>1 #7      asynchronous send of grad(3,5) defining token 7
//   recv a2.4<1 #2      receive of activation(2,4) from rank 1, token 2
//   wait #2             wait on token 2
//   {...}               overlap body
//
//===----------------------------------------------------------------------===//

#include "dualpipe/Schedule/Lower.h"
#include "dualpipe/Schedule/Generate.h"
#include "dualpipe/Schedule/Simulate.h" // joinFindings
#include "dualpipe/Schedule/Verify.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

using namespace dualpipe;

namespace {

std::string compact(const MsgKey &key) {
  return (key.kind == MsgKind::Activation ? "a" : "g") +
         std::to_string(key.stage) + "." + std::to_string(key.mb);
}

std::string compact(const Instr &instr) {
  std::string token = " #" + std::to_string(instr.token);
  switch (instr.kind) {
  case InstrKind::Compute:
    return toChar(instr.op.kind) + std::to_string(instr.op.stage) + "." +
           std::to_string(instr.op.mb);
  case InstrKind::Send:
    return "send " + compact(instr.key) + ">" + std::to_string(instr.peer) +
           (instr.token >= 0 ? token : "");
  case InstrKind::Recv:
    return "recv " + compact(instr.key) + "<" + std::to_string(instr.peer) +
           token;
  case InstrKind::Wait:
    return "wait" + token;
  case InstrKind::Overlap: {
    std::string body;
    for (const Instr &inner : instr.body)
      body += (body.empty() ? "" : ", ") + compact(inner);
    return "{" + body + "}";
  }
  }
  return "?";
}

std::string compact(const std::vector<Instr> &instrs) {
  std::string text;
  for (const Instr &instr : instrs)
    text += (text.empty() ? "" : ", ") + compact(instr);
  return text;
}

std::vector<std::string> compact(const Program &program) {
  std::vector<std::string> ranks;
  for (const std::vector<Instr> &instrs : program.ranks)
    ranks.push_back(compact(instrs));
  return ranks;
}

Schedule generate(ScheduleKind kind, int64_t ranks, int64_t microbatches) {
  std::vector<Finding> findings;
  std::optional<Schedule> schedule =
      generateSchedule(GenerateOptions{kind, ranks, microbatches}, findings);
  EXPECT_TRUE(schedule) << joinFindings(findings);
  return schedule ? *schedule : Schedule{};
}

ScheduleCommOptions policy(CommPolicy policy, int64_t lookahead = -1) {
  return ScheduleCommOptions{policy, lookahead};
}

Program lowered(const Schedule &schedule, const ScheduleCommOptions &options) {
  Program program = insertComm(schedule);
  fuseOverlap(program);
  std::string error;
  EXPECT_EQ(joinFindings(scheduleComm(program, options)), "");
  return program;
}

using Ranks = std::vector<std::string>;

TEST(LowerTest, PolicySpellings) {
  for (CommPolicy p :
       {CommPolicy::Eager, CommPolicy::Reference, CommPolicy::InOrder})
    EXPECT_EQ(parseCommPolicy(toString(p)), p);
  EXPECT_EQ(toString(CommPolicy::Eager), "eager");
  EXPECT_EQ(toString(CommPolicy::Reference), "reference");
  EXPECT_EQ(toString(CommPolicy::InOrder), "in-order");
  EXPECT_FALSE(parseCommPolicy("Eager"));
  EXPECT_FALSE(parseCommPolicy(""));
}

//===----------------------------------------------------------------------===//
// 1F1B over two ranks
//===----------------------------------------------------------------------===//

TEST(LowerTest, OneFOneBInsertComm) {
  Program program = insertComm(generate(ScheduleKind::OneFOneB, 2, 3));
  EXPECT_EQ(compact(program),
            (Ranks{"F0.0, send a0.0>1, F0.1, send a0.1>1, recv g1.0<1 #0, "
                   "wait #0, B0.0, F0.2, send a0.2>1, recv g1.1<1 #1, wait "
                   "#1, B0.1, recv g1.2<1 #2, wait #2, B0.2",
                   "recv a0.0<0 #3, wait #3, F1.0, B1.0, send g1.0>0, recv "
                   "a0.1<0 #4, wait #4, F1.1, B1.1, send g1.1>0, recv a0.2<0 "
                   "#5, wait #5, F1.2, B1.2, send g1.2>0"}));
  // Without overlaps there is nothing to fuse.
  Program fused = program;
  fuseOverlap(fused);
  EXPECT_EQ(compact(fused), compact(program));
  // Receiving just in time under blocking sends deadlocks 1F1B.
  std::optional<Finding> deadlock = findDeadlock(program);
  ASSERT_TRUE(deadlock);
  EXPECT_EQ(deadlock->message,
            "deadlock: rank 0 waits at send activation(stage 0, mb 1) to rank "
            "1, rank 1 waits at send grad(stage 1, mb 0) to rank 0");
}

TEST(LowerTest, OneFOneBEager) {
  Program program = lowered(generate(ScheduleKind::OneFOneB, 2, 3),
                            policy(CommPolicy::Eager));
  EXPECT_EQ(compact(program),
            (Ranks{"recv g1.0<1 #0, recv g1.1<1 #1, recv g1.2<1 #2, F0.0, "
                   "send a0.0>1, F0.1, send a0.1>1, wait #0, B0.0, F0.2, send "
                   "a0.2>1, wait #1, B0.1, wait #2, B0.2",
                   "recv a0.0<0 #3, recv a0.1<0 #4, recv a0.2<0 #5, wait #3, "
                   "F1.0, B1.0, send g1.0>0, wait #4, F1.1, B1.1, send "
                   "g1.1>0, wait #5, F1.2, B1.2, send g1.2>0"}));
  EXPECT_TRUE(verifyProgram(program).empty());
}

TEST(LowerTest, OneFOneBEagerLookahead) {
  Program program = lowered(generate(ScheduleKind::OneFOneB, 2, 3),
                            policy(CommPolicy::Eager, 1));
  EXPECT_EQ(compact(program),
            (Ranks{"F0.0, send a0.0>1, recv g1.0<1 #0, F0.1, send a0.1>1, "
                   "wait #0, B0.0, recv g1.1<1 #1, F0.2, send a0.2>1, recv "
                   "g1.2<1 #2, wait #1, B0.1, wait #2, B0.2",
                   "recv a0.0<0 #3, wait #3, F1.0, recv a0.1<0 #4, B1.0, send "
                   "g1.0>0, wait #4, F1.1, recv a0.2<0 #5, B1.1, send g1.1>0, "
                   "wait #5, F1.2, B1.2, send g1.2>0"}));
  EXPECT_TRUE(verifyProgram(program).empty());
}

/// in-order: each message posted on both ranks in the group right after its
/// producer's round (rank 0 runs at rounds 0 1 3 5, rank 1 at 1 2 3 4),
/// receives before sends, waited right before its consumer.
TEST(LowerTest, OneFOneBInOrder) {
  Program program = lowered(generate(ScheduleKind::OneFOneB, 2, 2),
                            policy(CommPolicy::InOrder));
  EXPECT_EQ(compact(program),
            (Ranks{"F0.0, send a0.0>1, F0.1, send a0.1>1, recv g1.0<1 #0, "
                   "wait #0, B0.0, recv g1.1<1 #1, wait #1, B0.1",
                   "recv a0.0<0 #2, wait #2, F1.0, recv a0.1<0 #3, B1.0, "
                   "send g1.0>0, wait #3, F1.1, B1.1, send g1.1>0"}));
}

TEST(LowerTest, EagerLookaheadThatDeadlocksIsRefused) {
  Program program = insertComm(generate(ScheduleKind::OneFOneB, 2, 3));
  Program before = program;
  std::string error;
  error = joinFindings(scheduleComm(program, policy(CommPolicy::Eager, 0)));
  EXPECT_EQ(error, "the eager policy with lookahead 0 would deadlock: rank 0 "
                   "waits at send activation(stage 0, mb 1) to rank 1, rank 1 "
                   "waits at send grad(stage 1, mb 0) to rank 0");
  EXPECT_EQ(compact(program), compact(before));
}

TEST(LowerTest, ReferenceOnlyForDualPipe) {
  Program program = insertComm(generate(ScheduleKind::OneFOneB, 2, 3));
  Program before = program;
  std::string error;
  error = joinFindings(scheduleComm(program, policy(CommPolicy::Reference)));
  EXPECT_EQ(error,
            "the reference policy applies to dualpipe and dualpipev only, got "
            "1f1b");
  EXPECT_EQ(compact(program), compact(before));
  program.kind.reset();
  error = joinFindings(scheduleComm(program, policy(CommPolicy::Reference)));
  EXPECT_EQ(error, "the reference policy applies to dualpipe and dualpipev "
                   "only, got a schedule of unknown kind");
}

//===----------------------------------------------------------------------===//
// DualPipe 4 x 8
//===----------------------------------------------------------------------===//

TEST(LowerTest, DualPipeInsertAndFuse) {
  Program program = insertComm(generate(ScheduleKind::DualPipe, 4, 8));
  EXPECT_EQ(
      compact(program.ranks[1]),
      "recv a0.0<0 #8, wait #8, F1.0, send a1.0>2, recv a1.4<2 #9, wait #9, "
      "F2.4, send a2.4>0, recv a0.1<0 #10, wait #10, F1.1, send a1.1>2, recv "
      "a1.5<2 #11, wait #11, F2.5, send a2.5>0, recv a0.2<0 #12, wait #12, "
      "F1.2, send a1.2>2, recv g3.4<0 #13, wait #13, B2.4, send g2.4>2, recv "
      "a1.6<2 #14, wait #14, recv g2.0<2 #15, wait #15, {F2.6, B1.0}, send "
      "a2.6>0, send g1.0>0, recv a0.3<0 #16, wait #16, recv g3.5<0 #17, wait "
      "#17, {F1.3, B2.5}, send a1.3>2, send g2.5>2, recv a1.7<2 #18, wait #18, "
      "recv g2.1<2 #19, wait #19, {F2.7, B1.1}, send a2.7>0, send g1.1>0, recv "
      "g3.6<0 #20, wait #20, B2.6, send g2.6>2, recv g2.2<2 #21, wait #21, "
      "B1.2, send g1.2>0, recv g3.7<0 #22, wait #22, I2.7, send g2.7>2, recv "
      "g2.3<2 #23, wait #23, I1.3, send g1.3>0, W2.7, W1.3");
  fuseOverlap(program);
  EXPECT_EQ(
      compact(program.ranks[1]),
      "recv a0.0<0 #8, wait #8, F1.0, send a1.0>2, recv a1.4<2 #9, wait #9, "
      "F2.4, send a2.4>0, recv a0.1<0 #10, wait #10, F1.1, send a1.1>2, recv "
      "a1.5<2 #11, wait #11, F2.5, send a2.5>0, recv a0.2<0 #12, wait #12, "
      "F1.2, send a1.2>2, recv g3.4<0 #13, wait #13, B2.4, send g2.4>2, "
      "{recv a1.6<2 #14, wait #14, recv g2.0<2 #15, wait #15, F2.6, B1.0, "
      "send a2.6>0, send g1.0>0}, {recv a0.3<0 #16, wait #16, recv g3.5<0 "
      "#17, wait #17, F1.3, B2.5, send a1.3>2, send g2.5>2}, {recv a1.7<2 "
      "#18, wait #18, recv g2.1<2 #19, wait #19, F2.7, B1.1, send a2.7>0, "
      "send g1.1>0}, recv g3.6<0 #20, wait #20, B2.6, send g2.6>2, recv "
      "g2.2<2 #21, wait #21, B1.2, send g1.2>0, recv g3.7<0 #22, wait #22, "
      "I2.7, send g2.7>2, recv g2.3<2 #23, wait #23, I1.3, send g1.3>0, W2.7, "
      "W1.3");
  // Rank 0 ends the pipeline for direction 1: its F3.5 output is the loss.
  EXPECT_EQ(compact(program.ranks[0][14]), "F3.5");
  EXPECT_EQ(compact(program.ranks[0][15]),
            "{F0.3, B3.5, send a0.3>1, send g3.5>1}");
}

TEST(LowerTest, DualPipeEager) {
  Program program = lowered(generate(ScheduleKind::DualPipe, 4, 8),
                            policy(CommPolicy::Eager));
  EXPECT_EQ(
      compact(program.ranks[0]),
      "recv a2.4<1 #0, recv a2.5<1 #1, recv a2.6<1 #2, recv g1.0<1 #3, recv "
      "a2.7<1 #4, recv g1.1<1 #5, recv g1.2<1 #6, recv g1.3<1 #7, F0.0, send "
      "a0.0>1, F0.1, send a0.1>1, F0.2, send a0.2>1, wait #0, F3.4, I3.4, "
      "send g3.4>1, W3.4, wait #1, F3.5, {F0.3, B3.5, send a0.3>1, send "
      "g3.5>1}, {wait #2, wait #3, F3.6, B0.0}, B3.6, send g3.6>1, {wait #4, "
      "wait #5, F3.7, B0.1}, B3.7, send g3.7>1, wait #6, I0.2, W0.2, wait #7, "
      "I0.3, W0.3");
  EXPECT_TRUE(verifyProgram(program).empty());
}

TEST(LowerTest, DualPipeReference) {
  Program program = lowered(generate(ScheduleKind::DualPipe, 4, 8),
                            policy(CommPolicy::Reference));
  // Rank 0 (outer): step 2 sends F0's output only after the F1 that follows
  // it; step 3 posts F1's receive before the W.
  EXPECT_EQ(
      compact(program.ranks[0]),
      "F0.0, send a0.0>1 #0, wait #0, F0.1, send a0.1>1 #1, wait #1, F0.2, "
      "recv a2.4<1 #2, wait #2, F3.4, send a0.2>1 #3, wait #3, I3.4, send "
      "g3.4>1 #4, recv a2.5<1 #5, wait #4, wait #5, W3.4, F3.5, {F0.3, B3.5}, "
      "send a0.3>1 #6, send g3.5>1 #7, {recv a2.6<1 #8, recv g1.0<1 #9, wait "
      "#6, wait #7, wait #8, wait #9, F3.6, B0.0}, B3.6, send g3.6>1 #10, "
      "{recv a2.7<1 #11, recv g1.1<1 #12, wait #10, wait #11, wait #12, F3.7, "
      "B0.1}, B3.7, send g3.7>1 #13, recv g1.2<1 #14, wait #13, wait #14, "
      "I0.2, W0.2, recv g1.3<1 #15, wait #15, I0.3, W0.3");
  // Rank 1 (middle): F0's receive is posted with the F1 before it, the last
  // F1 of step 2 is sent after step 4's first F0, which runs apart from B1.
  EXPECT_EQ(
      compact(program.ranks[1]),
      "recv a0.0<0 #16, wait #16, F1.0, send a1.0>2 #17, recv a0.1<0 #18, "
      "recv a1.4<2 #19, wait #17, wait #18, wait #19, F2.4, send a2.4>0 #20, "
      "wait #20, F1.1, send a1.1>2 #21, recv a0.2<0 #22, recv a1.5<2 #23, "
      "wait #21, wait #22, wait #23, F2.5, F1.2, send a2.5>0 #24, recv g3.4<0 "
      "#25, wait #24, wait #25, B2.4, send a1.2>2 #26, send g2.4>2 #27, {recv "
      "a1.6<2 #28, recv g2.0<2 #29, wait #26, wait #27, wait #28, wait #29, "
      "F2.6, B1.0}, send a2.6>0 #30, send g1.0>0 #31, {recv a0.3<0 #32, recv "
      "g3.5<0 #33, wait #30, wait #31, wait #32, wait #33, F1.3, B2.5}, send "
      "a1.3>2 #34, send g2.5>2 #35, {recv a1.7<2 #36, recv g2.1<2 #37, wait "
      "#34, wait #35, wait #36, wait #37, F2.7, B1.1}, send a2.7>0 #38, send "
      "g1.1>0 #39, recv g3.6<0 #40, wait #38, wait #39, wait #40, B2.6, send "
      "g2.6>2 #41, recv g2.2<2 #42, wait #41, wait #42, B1.2, send g1.2>0 "
      "#43, recv g3.7<0 #44, wait #43, wait #44, I2.7, send g2.7>2 #45, recv "
      "g2.3<2 #46, wait #45, wait #46, I1.3, send g1.3>0 #47, wait #47, W2.7, "
      "W1.3");
  // Async sends of an overlapped pair are issued after its region: they are
  // waited before the next compute, outside, and a token cannot leave the
  // region that defines it.
  EXPECT_TRUE(verifyProgram(program).empty());
}

TEST(LowerTest, ReferenceRejectsAnotherComputeOrder) {
  Schedule schedule = generate(ScheduleKind::DualPipe, 4, 8);
  // The phases must alternate as in step().
  std::swap(schedule.ranks[0][2], schedule.ranks[0][3]);
  Program program = insertComm(schedule);
  std::string error;
  error = joinFindings(scheduleComm(program, policy(CommPolicy::Reference)));
  EXPECT_EQ(error, "rank 0: reference policy: step 2 is F(stage 3, mb 4), the "
                   "dualpipe order expects a forward of phase 0");
}

TEST(LowerTest, ReferenceRefusesWhatWouldDeadlock) {
  // Rank 0 sends its first two activations in the wrong order: each batch
  // waits for its send to be received, and rank 1 posts in micro-batch order.
  Schedule schedule = generate(ScheduleKind::DualPipe, 4, 8);
  std::swap(schedule.ranks[0][0], schedule.ranks[0][1]);
  Program program = insertComm(schedule);
  std::string error;
  error = joinFindings(scheduleComm(program, policy(CommPolicy::Reference)));
  EXPECT_EQ(error, "the reference policy would deadlock: rank 0 waits at wait "
                   "for send activation(stage 0, mb 1) to rank 1, rank 1 "
                   "waits at wait for recv activation(stage 0, mb 0) from "
                   "rank 0");
  // Eager posts every receive up front, so the same order is fine.
  EXPECT_EQ(joinFindings(scheduleComm(program, policy(CommPolicy::Eager))), "");
}

TEST(LowerTest, ReferenceStopsEarlyOnTinyProgramWithHugeSizes) {
  Program program;
  program.kind = ScheduleKind::DualPipe;
  program.placement = Placement{PlacementKind::Dual, 2, 2, int64_t(1) << 40};
  Instr forward;
  forward.op = ComputeOp{OpKind::F, 0, 0};
  program.ranks = {{forward}, {}};
  std::string error;
  // Sizes past docs/limits.md are refused before any per-mb work.
  error = joinFindings(scheduleComm(program, policy(CommPolicy::Reference)));
  EXPECT_EQ(error, "the reference policy needs a valid dual placement and one "
                   "program per rank");
  program.placement.microbatches = 4;
  error = joinFindings(scheduleComm(program, policy(CommPolicy::Reference)));
  EXPECT_EQ(error, "rank 0: reference policy: the dualpipe order expects a "
                   "forward of phase 1 after the last step");
  program.ranks.pop_back();
  error = joinFindings(scheduleComm(program, policy(CommPolicy::Reference)));
  EXPECT_EQ(error, "the reference policy needs a valid dual placement and one "
                   "program per rank");
}

TEST(LowerTest, PoliciesReplaceEachOther) {
  Schedule schedule = generate(ScheduleKind::DualPipeV, 4, 12);
  Program eager = lowered(schedule, policy(CommPolicy::Eager));
  Program reference = lowered(schedule, policy(CommPolicy::Reference));
  EXPECT_NE(compact(eager), compact(reference));
  std::string error;
  Program again = reference;
  ASSERT_EQ(joinFindings(scheduleComm(again, policy(CommPolicy::Eager))), "");
  EXPECT_EQ(compact(again), compact(eager));
  ASSERT_EQ(joinFindings(scheduleComm(again, policy(CommPolicy::Reference))),
            "");
  EXPECT_EQ(compact(again), compact(reference));
}

//===----------------------------------------------------------------------===//
// Folds, fusion, origins, errors
//===----------------------------------------------------------------------===//

bool mentions(const Program &program, MsgKind kind, int64_t stage) {
  for (const std::vector<Instr> &instrs : program.ranks)
    for (const FlatInstr &flat : flattenRank(instrs))
      if ((flat.instr->kind == InstrKind::Send ||
           flat.instr->kind == InstrKind::Recv) &&
          flat.instr->key.kind == kind && flat.instr->key.stage == stage)
        return true;
  return false;
}

TEST(LowerTest, FoldNeedsNoMessage) {
  // DualPipeV: stages 2 and 3 of 3 ranks both live on rank 2.
  Program v = lowered(generate(ScheduleKind::DualPipeV, 3, 6),
                      policy(CommPolicy::Eager));
  EXPECT_FALSE(mentions(v, MsgKind::Activation, 2));
  EXPECT_FALSE(mentions(v, MsgKind::Gradient, 3));
  EXPECT_TRUE(mentions(v, MsgKind::Activation, 1));
  EXPECT_TRUE(mentions(v, MsgKind::Gradient, 4));
  EXPECT_TRUE(verifyProgram(v).empty());
  // Interleaved on one rank: every stage is local.
  Program single = insertComm(generate(ScheduleKind::Interleaved1F1B, 1, 4));
  for (const Instr &instr : single.ranks[0])
    EXPECT_EQ(instr.kind, InstrKind::Compute) << compact(instr);
}

TEST(LowerTest, FuseIsIdempotentAndKeepsExecutionOrder) {
  Program program = insertComm(generate(ScheduleKind::DualPipe, 6, 14));
  Program fused = program;
  fuseOverlap(fused);
  Program twice = fused;
  fuseOverlap(twice);
  EXPECT_EQ(compact(twice), compact(fused));
  EXPECT_NE(compact(fused), compact(program));
  for (size_t rank = 0; rank < program.ranks.size(); ++rank) {
    std::vector<FlatInstr> before = flattenRank(program.ranks[rank]);
    std::vector<FlatInstr> after = flattenRank(fused.ranks[rank]);
    ASSERT_EQ(before.size(), after.size());
    for (size_t i = 0; i < before.size(); ++i)
      EXPECT_EQ(compact(*before[i].instr), compact(*after[i].instr));
  }
}

TEST(LowerTest, FuseMovesOnlyAdjacentComm) {
  Instr recv;
  recv.kind = InstrKind::Recv;
  recv.key = MsgKey{MsgKind::Gradient, 2, 0};
  recv.peer = 2;
  recv.token = 0;
  Instr wait;
  wait.kind = InstrKind::Wait;
  wait.token = 0;
  Instr unrelated;
  unrelated.kind = InstrKind::Send;
  unrelated.key = MsgKey{MsgKind::Activation, 1, 0};
  unrelated.peer = 2;
  Instr forward, backward, pair;
  forward.op = ComputeOp{OpKind::F, 1, 1};
  backward.op = ComputeOp{OpKind::B, 1, 0};
  pair.kind = InstrKind::Overlap;
  pair.body = {forward, backward};
  Program program;
  program.placement = Placement{PlacementKind::Standard, 3, 3, 2};
  program.ranks = {{}, {recv, unrelated, wait, pair}, {}};
  fuseOverlap(program);
  // The recv is separated from the overlap by an unrelated send: it stays.
  EXPECT_EQ(compact(program.ranks[1]),
            "recv g2.0<2 #0, send a1.0>2, {wait #0, F1.1, B1.0}");
}

TEST(LowerTest, OriginsAndTokens) {
  Schedule schedule = generate(ScheduleKind::OneFOneB, 2, 2);
  for (std::vector<Step> &steps : schedule.ranks)
    for (size_t i = 0; i < steps.size(); ++i)
      steps[i].origin = 100 + static_cast<int64_t>(i);
  Program program = insertComm(schedule);
  for (const Instr &instr : program.ranks[1]) {
    if (instr.kind == InstrKind::Compute)
      EXPECT_GE(instr.origin, 100);
    else
      EXPECT_EQ(instr.origin, -1);
  }
  // scheduleComm keeps the identity of the comm it moves.
  program.ranks[1][0].origin = 7; // recv a0.0
  program.ranks[1][1].origin = 8; // its wait
  std::string error;
  ASSERT_EQ(joinFindings(scheduleComm(program, policy(CommPolicy::Eager))), "");
  EXPECT_EQ(compact(program.ranks[1]),
            "recv a0.0<0 #2, recv a0.1<0 #3, wait #2, F1.0, B1.0, send "
            "g1.0>0, wait #3, F1.1, B1.1, send g1.1>0");
  EXPECT_EQ(program.ranks[1][0].origin, 7);
  EXPECT_EQ(program.ranks[1][2].origin, 8);
  EXPECT_EQ(program.ranks[1][3].origin, 100);
}

TEST(LowerTest, ScheduleCommReportsCommWithoutComputeOp) {
  Program program = insertComm(generate(ScheduleKind::OneFOneB, 2, 2));
  Instr stray = program.ranks[1][0];
  stray.key.stage = 1; // activation(1,0): rank 1 has no consumer for it
  program.ranks[1].push_back(stray);
  std::string error;
  error = joinFindings(scheduleComm(program, policy(CommPolicy::Eager)));
  EXPECT_EQ(error,
            "rank 1: recv activation(stage 1, mb 0) has no consumer on this "
            "rank");
  program = insertComm(generate(ScheduleKind::OneFOneB, 2, 2));
  program.ranks[0].push_back(program.ranks[1][1]); // wait #2 is rank 1's
  error = joinFindings(scheduleComm(program, policy(CommPolicy::Eager)));
  EXPECT_EQ(error, "rank 0: wait on unknown token 2");
}

} // namespace
