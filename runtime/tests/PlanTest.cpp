//===- PlanTest.cpp - The stream and event plan of a rank -----------------===//

#include "RuntimeTestUtil.h"

#include "execution/Plan.h"

#include "dualpipe/Schedule/Dependencies.h"
#include "dualpipe/Schedule/Generate.h"

using namespace dualpipe;
using namespace dualpipe::runtime;
using namespace dualpipe::testing;

namespace {

bool isComm(PlanOp::Kind kind) { return kind != PlanOp::Kind::Compute; }

bool waitsOn(const PlanOp &op, int32_t producer) {
  return std::find(op.waits.begin(), op.waits.end(), producer) !=
         op.waits.end();
}

/// Every kind, 2..4 ranks: the invariants of Plan.h on every rank.
TEST(Plan, EveryKindFollowsTheStreamRules) {
  int64_t checked = 0;
  for (ScheduleKind kind : allScheduleKinds())
    for (int64_t ranks = 2; ranks <= 4; ++ranks) {
      if (!checkGenerateOptions({kind, ranks, 2 * ranks}).empty())
        continue;
      auto program = loadTestProgram(schedule(kind, ranks, 2 * ranks));
      const Program &p = program.program();
      for (int64_t r = 0; r < ranks; ++r) {
        SCOPED_TRACE(std::string(toString(kind)) + " rank " +
                     std::to_string(r));
        RankPlan plan = planRank(p, r);
        std::vector<bool> eventUsed(plan.events, false);
        for (size_t i = 0; i < plan.ops.size(); ++i) {
          const PlanOp &op = plan.ops[i];
          bool inOverlap = op.ref.path.size() == 2;
          EXPECT_EQ(isComm(op.kind), op.stream == StreamRole::Comm);
          if (op.kind == PlanOp::Kind::Compute && !inOverlap)
            EXPECT_EQ(op.stream, StreamRole::Forward);
          if (op.stream == StreamRole::Backward)
            EXPECT_TRUE(inOverlap);
          for (int32_t w : op.waits) {
            ASSERT_LT(w, static_cast<int32_t>(i)) << "waits go backwards";
            EXPECT_NE(plan.ops[w].stream, op.stream);
            ASSERT_GE(plan.ops[w].event, 0);
            eventUsed[plan.ops[w].event] = true;
          }
          if (op.input >= 0) {
            ASSERT_LT(op.input, static_cast<int32_t>(i));
            if (plan.ops[op.input].stream != op.stream)
              EXPECT_TRUE(waitsOn(op, op.input));
          }
          // The value a compute consumes is the one Dependencies.h names.
          if (op.kind == PlanOp::Kind::Compute && op.input >= 0) {
            auto consumed = consumedValue(op.instr->op, p.placement.stages);
            ASSERT_TRUE(consumed);
            const PlanOp &from = plan.ops[op.input];
            if (from.kind == PlanOp::Kind::Compute)
              EXPECT_EQ(producedValue(from.instr->op, p.placement.stages),
                        consumed);
            else
              EXPECT_EQ(from.kind, PlanOp::Kind::Wait);
          }
          ++checked;
        }
        for (int32_t e = 0; e < plan.events; ++e)
          EXPECT_TRUE(eventUsed[e]) << "event " << e << " is never waited on";
      }
    }
  EXPECT_GT(checked, 1000);
}

TEST(Plan, AnOverlapForksAndJoinsTheBackwardStream) {
  auto program = loadTestProgram(schedule(ScheduleKind::DualPipe, 4, 8));
  RankPlan plan = planRank(program.program(), 0);
  int64_t regions = 0;
  for (size_t i = 0; i < plan.ops.size(); ++i) {
    const PlanOp &op = plan.ops[i];
    if (op.stream != StreamRole::Backward)
      continue;
    ++regions;
    ASSERT_GE(op.partner, 0);
    const PlanOp &forward = plan.ops[op.partner];
    EXPECT_EQ(forward.stream, StreamRole::Forward);
    EXPECT_EQ(forward.instr->op.kind, OpKind::F);
    EXPECT_NE(op.instr->op.kind, OpKind::F);
    // The two halves do not wait on each other: they run concurrently.
    EXPECT_FALSE(waitsOn(op, op.partner));
    EXPECT_FALSE(waitsOn(forward, static_cast<int32_t>(i)));
    // Fork: the last forward-stream op before the region.
    int32_t fork = -1;
    for (size_t j = 0; j < i; ++j)
      if (plan.ops[j].stream == StreamRole::Forward &&
          plan.ops[j].ref.path[0] < op.ref.path[0])
        fork = static_cast<int32_t>(j);
    if (fork >= 0)
      EXPECT_TRUE(waitsOn(op, fork));
    // Join: the next forward-stream op after the region.
    for (size_t j = i + 1; j < plan.ops.size(); ++j)
      if (plan.ops[j].stream == StreamRole::Forward &&
          plan.ops[j].ref.path[0] > op.ref.path[0]) {
        EXPECT_TRUE(waitsOn(plan.ops[j], static_cast<int32_t>(i)));
        break;
      }
  }
  EXPECT_GT(regions, 0);
}

TEST(Plan, ASendWaitsOnlyForItsProducer) {
  auto program = loadTestProgram(schedule(ScheduleKind::OneFOneB, 2, 4));
  RankPlan plan = planRank(program.program(), 0);
  int64_t sends = 0;
  for (const PlanOp &op : plan.ops) {
    if (op.kind != PlanOp::Kind::Send)
      continue;
    ++sends;
    ASSERT_GE(op.input, 0);
    const PlanOp &producer = plan.ops[op.input];
    EXPECT_EQ(producer.kind, PlanOp::Kind::Compute);
    EXPECT_TRUE(producesValue(producer.instr->op, op.instr->key));
    EXPECT_EQ(op.waits, std::vector<int32_t>{op.input});
  }
  EXPECT_EQ(sends, 4);
}

TEST(Plan, AComputeWaitsForTheWaitOfItsMessage) {
  auto program = loadTestProgram(schedule(ScheduleKind::OneFOneB, 2, 4));
  RankPlan plan = planRank(program.program(), 1);
  int64_t consumers = 0;
  for (const PlanOp &op : plan.ops)
    if (op.kind == PlanOp::Kind::Compute && op.instr->op.kind == OpKind::F) {
      ++consumers;
      ASSERT_GE(op.input, 0);
      EXPECT_EQ(plan.ops[op.input].kind, PlanOp::Kind::Wait);
      EXPECT_TRUE(waitsOn(op, op.input));
    }
  EXPECT_EQ(consumers, 4);
}

TEST(Plan, PeakLiveIsTheSimulatorsCount) {
  auto program = loadTestProgram(schedule(ScheduleKind::OneFOneB, 4, 8));
  std::vector<int64_t> peaks;
  for (int64_t r = 0; r < 4; ++r)
    peaks.push_back(planRank(program.program(), r).peakLive);
  EXPECT_EQ(peaks, (std::vector<int64_t>{4, 3, 2, 1}));
}

TEST(Plan, AConsumerWithoutItsInputNamesTheInstruction) {
  auto program = loadTestProgram(schedule(ScheduleKind::OneFOneB, 2, 2));
  Program broken = program.program();
  auto &list = broken.ranks[1];
  auto wait = std::find_if(list.begin(), list.end(), [](const Instr &i) {
    return i.kind == InstrKind::Wait;
  });
  ASSERT_NE(wait, list.end());
  list.erase(wait);
  try {
    planRank(broken, 1);
    ADD_FAILURE() << "the plan accepted a compute without its input";
  } catch (const PlanError &e) {
    EXPECT_EQ(e.instr->kind, InstrKind::Compute);
    EXPECT_EQ(std::string(e.what()),
              "the activation(stage 0, mb 0) is not available on this rank");
  }
}

TEST(Plan, AWaitWithoutItsPostIsRefused) {
  auto program = loadTestProgram(schedule(ScheduleKind::OneFOneB, 2, 2));
  Program broken = program.program();
  Instr wait;
  wait.kind = InstrKind::Wait;
  wait.token = 12345;
  broken.ranks[0].insert(broken.ranks[0].begin(), wait);
  try {
    planRank(broken, 0);
    ADD_FAILURE() << "the plan accepted a wait without a post";
  } catch (const PlanError &e) {
    EXPECT_EQ(std::string(e.what()), "token 12345 is not pending");
  }
}

} // namespace

namespace {

/// Post groups are CommGroups' maximal runs of sends and receives: every
/// message op lies in exactly one group, which opens at its first op and
/// closes at its last.
TEST(Plan, PostGroupsBracketEveryMessage) {
  auto program = loadTestProgram(schedule(ScheduleKind::DualPipe, 4, 8));
  for (int64_t r = 0; r < 4; ++r) {
    RankPlan plan = planRank(program.program(), r);
    int32_t open = -1;
    int64_t groups = 0;
    for (size_t i = 0; i < plan.ops.size(); ++i) {
      const PlanOp &op = plan.ops[i];
      bool message =
          op.kind == PlanOp::Kind::Send || op.kind == PlanOp::Kind::Recv;
      if (op.groupBegin) {
        EXPECT_EQ(open, -1) << "rank " << r << " op " << i;
        open = static_cast<int32_t>(i);
      }
      EXPECT_EQ(message, open >= 0) << "rank " << r << " op " << i;
      if (op.groupStart >= 0) {
        EXPECT_EQ(op.groupStart, open) << "rank " << r << " op " << i;
        open = -1;
        ++groups;
      }
    }
    EXPECT_EQ(open, -1);
    EXPECT_GT(groups, 0);
  }
}

} // namespace
