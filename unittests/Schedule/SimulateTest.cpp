//===- SimulateTest.cpp - Cost model and simulator ------------------------===//
//
// The reports of a simulation are tested in ReportTest.cpp.

#include "dualpipe/Schedule/Simulate.h"
#include "SimulateTestSupport.h"
#include "dualpipe/Schedule/Cost.h"
#include "dualpipe/Schedule/Generate.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

using namespace dualpipe;
using dualpipe::test::costs;
using dualpipe::test::mustSimulate;

namespace {

//===----------------------------------------------------------------------===//
// Hand-written level-3 programs
//===----------------------------------------------------------------------===//

Instr compute(OpKind kind, int64_t stage, int64_t mb) {
  Instr i;
  i.kind = InstrKind::Compute;
  i.op = {kind, stage, mb};
  return i;
}

Instr message(InstrKind kind, MsgKind msg, int64_t stage, int64_t mb,
              int64_t peer, int64_t token) {
  Instr i;
  i.kind = kind;
  i.key = {msg, stage, mb};
  i.peer = peer;
  i.token = token;
  return i;
}

Instr send(MsgKind msg, int64_t stage, int64_t mb, int64_t peer,
           int64_t token = -1) {
  return message(InstrKind::Send, msg, stage, mb, peer, token);
}

Instr recv(MsgKind msg, int64_t stage, int64_t mb, int64_t peer,
           int64_t token) {
  return message(InstrKind::Recv, msg, stage, mb, peer, token);
}

Instr wait(int64_t token) {
  Instr i;
  i.kind = InstrKind::Wait;
  i.token = token;
  return i;
}

Instr overlap(std::vector<Instr> body) {
  Instr i;
  i.kind = InstrKind::Overlap;
  i.body = std::move(body);
  return i;
}

constexpr MsgKind Act = MsgKind::Activation;
constexpr MsgKind Grad = MsgKind::Gradient;

Program program(int64_t ranks, int64_t stages, int64_t mbs,
                std::vector<std::vector<Instr>> code) {
  Program p;
  p.placement = {PlacementKind::Standard, ranks, stages, mbs};
  p.ranks = std::move(code);
  return p;
}

/// Two stages on two ranks, one micro-batch: F, F, B, B.
Program twoStagePipeline() {
  return program(2, 2, 1,
                 {{compute(OpKind::F, 0, 0), send(Act, 0, 0, 1),
                   recv(Grad, 1, 0, 1, 0), wait(0), compute(OpKind::B, 0, 0)},
                  {recv(Act, 0, 0, 0, 0), wait(0), compute(OpKind::F, 1, 0),
                   compute(OpKind::B, 1, 0), send(Grad, 1, 0, 0)}});
}

std::vector<Finding> mustFail(const Program &p, const CostModel &c = {}) {
  std::vector<Finding> findings;
  EXPECT_FALSE(simulate(p, c, findings).has_value());
  EXPECT_FALSE(findings.empty());
  return findings;
}

//===----------------------------------------------------------------------===//
// Cost model
//===----------------------------------------------------------------------===//

TEST(CostModel, DefaultsAreReadmeUnits) {
  CostModel c;
  EXPECT_EQ(c.validate(), "");
  EXPECT_EQ(c.computeTime({OpKind::F, 0, 0}), 1);
  EXPECT_EQ(c.computeTime({OpKind::B, 0, 0}), 2);
  EXPECT_EQ(c.computeTime({OpKind::I, 0, 0}), 1);
  EXPECT_EQ(c.computeTime({OpKind::W, 0, 0}), 1);
  EXPECT_EQ(c.pairTime({OpKind::F, 0, 1}, {OpKind::B, 0, 0}), 3);
  EXPECT_EQ(c.linkTime(0, 5, 1e9), 0);
}

TEST(CostModel, UniformOverridesReplaceEveryStage) {
  CostModel c = costs("f=2,b=4,w=1,fb=5,act=64KiB,param=1G,msg=8MB");
  for (int64_t s : {0, 3, 100}) {
    EXPECT_EQ(c.stage(s).f, 2);
    EXPECT_EQ(c.stage(s).b, 4);
    EXPECT_EQ(c.stage(s).i(), 3);
    EXPECT_EQ(c.stage(s).overlapped(), 5);
    EXPECT_EQ(c.stage(s).activationBytes, 64 * 1024);
    EXPECT_EQ(c.stage(s).paramBytes, 1e9);
    EXPECT_EQ(c.stage(s).messageBytes, 8e6);
  }
  // A later uniform override also replaces per-stage values.
  CostModel d = costs("f@2=5,f=3");
  EXPECT_EQ(d.stage(2).f, 3);
}

TEST(CostModel, PerStageOverrides) {
  CostModel c = costs("f=1,f@2=3,b@2=4,w@2=2");
  EXPECT_EQ(c.stage(0).f, 1);
  EXPECT_EQ(c.stage(1).f, 1);
  EXPECT_EQ(c.stage(2).f, 3);
  EXPECT_EQ(c.stage(2).i(), 2);
  EXPECT_EQ(c.stage(3).f, 1);
  EXPECT_EQ(c.computeTime({OpKind::B, 2, 7}), 4);
}

TEST(CostModel, LinkModel) {
  CostModel c = costs("latency=0.5,bandwidth=100,inter-latency=2,"
                      "inter-bandwidth=inf,ranks-per-node=2,msg=50");
  EXPECT_EQ(c.linkTime(0, 1, 50), 1);  // same node: 0.5 + 50/100
  EXPECT_EQ(c.linkTime(1, 2, 50), 2);  // across nodes: 2 + 0
  EXPECT_EQ(c.linkTime(2, 3, 0), 0.5); // latency only
  EXPECT_EQ(c.messageBytes({Grad, 4, 1}), 50);
  CostModel oneNode = costs("inter-latency=9");
  EXPECT_EQ(oneNode.linkTime(0, 63, 1), 0);
}

TEST(CostModel, ValidationErrors) {
  struct Case {
    const char *spec;
    const char *error;
  } cases[] = {
      {"f=1,b=2,fb=3.5", "fb = 3.5 is outside [max(f, b), f + b] = [2, 3]"},
      {"f=3,b=2,fb=2.5", "fb = 2.5 is outside [max(f, b), f + b] = [3, 5]"},
      {"w=3", "w = 3 exceeds b = 2 (i = b - w would be negative)"},
      {"f=-1", "f must be finite, >= 0 and <= 1e+100, got -1"},
      {"fb@1=9", "stage 1: fb = 9 is outside [max(f, b), f + b] = [2, 3]"},
      {"x=1", "unknown cost key 'x'"},
      {"f", "cost override 'f' is not key=value"},
      {"f=abc", "bad number 'abc' for 'f'"},
      {"f=1e999", "bad number '1e999' for 'f'"},
      {"act=3Xi", "bad number '3Xi' for 'act'"},
      {"act=2i", "bad number '2i' for 'act'"},
      {"f@x=1", "bad stage index 'x' in 'f@x'"},
      {"f@-1=1", "bad stage index '-1' in 'f@-1'"},
      {"f@99999999=1", "bad stage index '99999999' in 'f@99999999'"},
      {"bandwidth=0", "intra-node bandwidth = 0 must be > 0"},
      {"inter-latency=-1",
       "inter-node latency must be finite, >= 0 and <= 1e+100, got -1"},
      {"ranks-per-node=1.5", "bad ranks-per-node '1.5' (want an integer >= 0)"},
  };
  for (const Case &c : cases) {
    CostModel m;
    EXPECT_EQ(applyCostOverrides(m, c.spec), c.error) << c.spec;
  }
}

TEST(CostModel, ParsesSuffixesAndSpaces) {
  CostModel c = costs(" act = 1.5KiB , param=2GB,bandwidth=10Gi, ,");
  EXPECT_EQ(c.stage(0).activationBytes, 1536);
  EXPECT_EQ(c.stage(0).paramBytes, 2e9);
  EXPECT_EQ(c.intraNode.bandwidth, 10.0 * 1024 * 1024 * 1024);
  EXPECT_EQ(parseByteSize("64MiB"), 64.0 * 1024 * 1024);
  EXPECT_EQ(parseByteSize("-1"), std::nullopt);
  EXPECT_EQ(parseByteSize(""), std::nullopt);
}

TEST(CostModel, OverlappedFAndIIsFbMinusWWhenFEqualsWEqualsHalfB) {
  for (double fb : {2.0, 2.5, 3.0}) {
    CostModel c;
    c.uniform.fb = fb;
    EXPECT_EQ(c.pairTime({OpKind::F, 0, 1}, {OpKind::I, 0, 0}), fb - 1);
  }
}

TEST(CostModel, PairTimeStaysWithinItsBounds) {
  // Every mix of stages and backward kinds: max(x, y) <= pair <= x + y.
  for (double f : {0.0, 1.0, 3.0})
    for (double b : {1.0, 2.0, 5.0})
      for (double w : {0.0, 0.5 * b, b})
        for (double t : {0.0, 0.5, 1.0}) {
          CostModel c;
          c.stages.resize(2);
          c.stages[0] = {f, b, w, std::max(f, b) + t * std::min(f, b)};
          c.stages[1] = {2 * f + 1, b, w, std::nullopt};
          ASSERT_EQ(c.validate(), "");
          for (int64_t sf : {0, 1})
            for (int64_t sb : {0, 1})
              for (OpKind k : {OpKind::B, OpKind::I, OpKind::W}) {
                ComputeOp fwd{OpKind::F, sf, 0}, bwd{k, sb, 1};
                double x = c.computeTime(fwd), y = c.computeTime(bwd);
                double p = c.pairTime(fwd, bwd);
                EXPECT_GE(p, std::max(x, y));
                EXPECT_LE(p, x + y);
              }
        }
}

TEST(CostModel, MixedStagePairUsesTheWorseOverlap) {
  // Stage 0 hides all of its shorter op, stage 1 nothing: the pair hides
  // nothing. The other way round the same.
  CostModel c = costs("f=1,b=2,fb@0=2,fb@1=3");
  EXPECT_EQ(c.pairTime({OpKind::F, 0, 0}, {OpKind::B, 1, 1}), 3);
  EXPECT_EQ(c.pairTime({OpKind::F, 1, 0}, {OpKind::B, 0, 1}), 3);
  // Both hide half of their shorter op; stage 1 ops are twice as long.
  CostModel d = costs("f=1,b=2,fb=2.5,f@1=2,b@1=4,w@1=2,fb@1=5");
  EXPECT_EQ(d.pairTime({OpKind::F, 0, 0}, {OpKind::B, 1, 1}), 1 + 4 - 0.5);
}

TEST(CostModel, SplitStagesScalesComputeAndMemory) {
  CostModel c = costs("f=2,b=4,w=2,fb=5,act=10,param=8,msg=3");
  CostModel s = splitStages(c, 4, 8);
  EXPECT_EQ(s.stage(7).f, 1);
  EXPECT_EQ(s.stage(7).b, 2);
  EXPECT_EQ(s.stage(7).w, 1);
  EXPECT_EQ(s.stage(7).overlapped(), 2.5);
  EXPECT_EQ(s.stage(7).activationBytes, 5);
  EXPECT_EQ(s.stage(7).paramBytes, 4);
  EXPECT_EQ(s.stage(7).messageBytes, 3);
  // Chunk 1 costs 6: its two stages (2 and 3) cost 3 each.
  CostModel p = splitStages(costs("f@1=6"), 4, 8);
  EXPECT_EQ(p.stage(1).f, 0.5);
  EXPECT_EQ(p.stage(2).f, 3);
  EXPECT_EQ(p.stage(3).f, 3);
  EXPECT_EQ(p.stage(4).f, 0.5);
}

TEST(CostModel, CutStagesScalesByTheStageUnits) {
  CostModel c = costs("f=3,b=6,w=3,fb=8,act=12,param=6,msg=3,f@1=6");
  // Chunk 0 cut 1:2, chunk 1 in halves.
  CostModel s = cutStages(c, StageCut{{3, 8}, {1, 2, 4, 4}});
  EXPECT_EQ(s.stage(0).f, 1);
  EXPECT_EQ(s.stage(1).f, 2);
  EXPECT_EQ(s.stage(1).b, 4);
  EXPECT_EQ(s.stage(1).w, 2);
  EXPECT_DOUBLE_EQ(s.stage(1).overlapped(), 16.0 / 3);
  EXPECT_EQ(s.stage(1).activationBytes, 8);
  EXPECT_EQ(s.stage(1).paramBytes, 4);
  EXPECT_EQ(s.stage(1).messageBytes, 3);
  EXPECT_EQ(s.stage(2).f, 3);
  EXPECT_EQ(s.stage(3).f, 3);
  // Equal units are the even split, to the bit.
  CostModel even = cutStages(c, StageCut{{6, 10}, {3, 3, 5, 5}});
  CostModel split = splitStages(c, 2, 4);
  for (int64_t stage = 0; stage < 4; ++stage) {
    EXPECT_EQ(even.stage(stage).f, split.stage(stage).f) << stage;
    EXPECT_EQ(even.stage(stage).b, split.stage(stage).b) << stage;
  }
}

TEST(CostModel, CutStagesAcrossChunksSumTheirParts) {
  // Stage 1 holds the last quarter of chunk 0 and the first half of chunk
  // 1, and sends chunk 1's message.
  CostModel c = costs("f@0=4,b@0=8,w@0=4,act@0=8,msg@0=5,fb@1=2.5,msg@1=7");
  CostModel s = cutStages(c, StageCut{{4, 2}, {3, 2, 1}});
  EXPECT_EQ(s.stage(0).f, 3);
  EXPECT_EQ(s.stage(1).f, 1 + 0.5);
  EXPECT_EQ(s.stage(1).b, 2 + 1);
  EXPECT_EQ(s.stage(1).w, 1 + 0.5);
  EXPECT_EQ(s.stage(1).activationBytes, 2 + 0.5);
  EXPECT_EQ(s.stage(1).messageBytes, 7);
  // Only chunk 1 pairs its F and B for less than f + b: the stage's pair
  // is chunk 0's part in turn and chunk 1's part overlapped.
  EXPECT_EQ(s.stage(1).overlapped(), 3 + 1.25);
  EXPECT_EQ(s.stage(0).messageBytes, 5);
  EXPECT_FALSE(s.stage(0).fb.has_value());
}

TEST(CostModel, ScheduleCostsFollowTheScheduleCut) {
  CostModel c = costs("f@0=2,f@1=4");
  Schedule s;
  s.placement.kind = PlacementKind::Interleaved;
  s.placement.ranks = 2;
  s.placement.stages = 4;
  s.placement.microbatches = 2;
  EXPECT_EQ(scheduleCosts(c, s).stage(1).f, 1);
  s.cut = StageCut{{4, 2}, {3, 1, 1, 1}};
  EXPECT_EQ(scheduleCosts(c, s).stage(0).f, 1.5);
  EXPECT_EQ(scheduleCosts(c, s).stage(1).f, 0.5);
  EXPECT_EQ(scheduleCosts(c, s).stage(3).f, 2);
}

TEST(StageCut, CheckNamesWhatIsInconsistent) {
  EXPECT_EQ(StageCut({{4, 2}, {3, 1, 1, 1}}).check(2, 4), "");
  EXPECT_EQ(StageCut({{4, 2}, {3, 1, 1, 1}}).check(3, 4),
            "the cut's chunk units has 2 entries, not 3");
  EXPECT_EQ(StageCut({{4, 2}, {3, 1, 1}}).check(2, 4),
            "the cut's stage units has 3 entries, not 4");
  EXPECT_EQ(StageCut({{4, 2}, {4, 0, 1, 1}}).check(2, 4),
            "the cut has a unit count of 0, outside [1, 2^40]");
  EXPECT_EQ(StageCut({{4, 2}, {3, 2, 1, 1}}).check(2, 4),
            "the cut's stages hold 7 units, its chunks 6");
}

//===----------------------------------------------------------------------===//
// Replay semantics
//===----------------------------------------------------------------------===//

TEST(Simulate, TwoStagePipelineTimes) {
  SimResult r = mustSimulate(twoStagePipeline());
  EXPECT_EQ(r.makespan, 6);
  ASSERT_EQ(r.timeline.size(), 2u);
  const auto &c0 = r.timeline[0].compute, &c1 = r.timeline[1].compute;
  ASSERT_EQ(c0.size(), 2u);
  ASSERT_EQ(c1.size(), 2u);
  EXPECT_EQ(c0[0].start, 0);
  EXPECT_EQ(c0[1].start, 4);
  EXPECT_EQ(c0[1].end, 6);
  EXPECT_EQ(c1[0].start, 1);
  EXPECT_EQ(c1[1].end, 4);
  for (const RankStats &s : r.ranks) {
    EXPECT_EQ(s.busy, 3);
    EXPECT_EQ(s.idle, 3); // (PP-1)(F+B)
    EXPECT_EQ(s.utilization, 0.5);
    EXPECT_EQ(s.computeOps, 2);
  }
  EXPECT_EQ(r.bubbleRatio, 0.5);
  EXPECT_EQ(r.maxBubble, 3);
  EXPECT_EQ(r.ranks[0].finish, 6);
  EXPECT_EQ(r.ranks[1].finish, 4);
}

TEST(Simulate, LinkTimeDelaysTheReceiverOnly) {
  SimResult r = mustSimulate(twoStagePipeline(),
                             costs("latency=0.5,bandwidth=200,msg=100"));
  // Each transfer takes 0.5 + 100/200 = 1.
  EXPECT_EQ(r.timeline[1].compute[0].start, 2);
  EXPECT_EQ(r.timeline[0].compute[1].start, 6);
  EXPECT_EQ(r.makespan, 8);
  const CommEvent &send = r.timeline[0].comm[0];
  EXPECT_EQ(send.kind, CommEvent::Kind::Send);
  EXPECT_EQ(send.issue, 1);
  EXPECT_EQ(send.start, 1);
  EXPECT_EQ(send.end, 2);
  EXPECT_TRUE(send.blocking);
  const CommEvent &post = r.timeline[1].comm[0];
  EXPECT_EQ(post.kind, CommEvent::Kind::Recv);
  EXPECT_EQ(post.issue, 0);
  EXPECT_EQ(post.end, 2);

  // Ranks on different nodes use the inter-node link.
  SimResult x = mustSimulate(
      twoStagePipeline(), costs("ranks-per-node=1,inter-latency=3,latency=1"));
  EXPECT_EQ(x.makespan, 12);
}

TEST(Simulate, BlockingSendWaitsForThePost) {
  Program p = program(
      2, 2, 3,
      {{compute(OpKind::F, 0, 0), send(Act, 0, 0, 1), compute(OpKind::F, 0, 1)},
       {compute(OpKind::F, 1, 7), compute(OpKind::F, 1, 8),
        recv(Act, 0, 0, 0, 0), wait(0)}});
  SimResult r = mustSimulate(p);
  EXPECT_EQ(r.timeline[0].compute[1].start, 2);
  EXPECT_EQ(r.timeline[0].comm[0].issue, 1);
  EXPECT_EQ(r.timeline[0].comm[0].start, 2);
  EXPECT_EQ(r.makespan, 3);
  EXPECT_EQ(r.ranks[0].idle, 1);
}

TEST(Simulate, AsyncSendCompletesAtItsWait) {
  Program p =
      program(2, 2, 3,
              {{compute(OpKind::F, 0, 0), send(Act, 0, 0, 1, 5),
                compute(OpKind::F, 0, 1), wait(5), compute(OpKind::F, 0, 2)},
               {compute(OpKind::F, 1, 7), compute(OpKind::F, 1, 8),
                compute(OpKind::F, 1, 9), recv(Act, 0, 0, 0, 0), wait(0)}});
  SimResult r = mustSimulate(p);
  EXPECT_EQ(r.timeline[0].compute[1].start, 1); // not blocked by the send
  EXPECT_EQ(r.timeline[0].compute[2].start, 3); // the wait was
  EXPECT_FALSE(r.timeline[0].comm[0].blocking);
}

TEST(Simulate, OverlapGathersInputsFirstAndSendsAfter) {
  // The recv, wait and send sit between the pair's two ops; the pair still
  // waits for its input and sends its output after it ends.
  Program p = program(
      2, 2, 5,
      {{compute(OpKind::F, 0, 3), send(Act, 0, 3, 1, 0),
        compute(OpKind::F, 0, 4), recv(Grad, 1, 2, 1, 1), wait(1),
        compute(OpKind::B, 0, 2), wait(0)},
       {overlap({compute(OpKind::F, 1, 3), recv(Act, 0, 3, 0, 0), wait(0),
                 send(Grad, 1, 2, 0), compute(OpKind::B, 1, 2)})}});
  SimResult r = mustSimulate(p, costs("fb=2.5"));
  const ComputeInterval &pair = r.timeline[1].compute.at(0);
  ASSERT_TRUE(pair.paired.has_value());
  EXPECT_EQ(pair.op, (ComputeOp{OpKind::F, 1, 3}));
  EXPECT_EQ(*pair.paired, (ComputeOp{OpKind::B, 1, 2}));
  EXPECT_EQ(pair.start, 1);
  EXPECT_EQ(pair.end, 3.5);
  EXPECT_EQ(pair.firstShare, 1.0 / 3.0);
  EXPECT_EQ(pair.where.path, (std::vector<int64_t>{0, 0}));
  EXPECT_EQ(r.timeline[0].compute.at(2).start, 3.5);
  EXPECT_EQ(r.makespan, 5.5);
  EXPECT_EQ(r.ranks[1].busy, 2.5);
  EXPECT_EQ(r.ranks[1].computeOps, 2);
}

TEST(Simulate, PeakActivationsCountTheForwardOfAPairFirst) {
  Program p =
      program(1, 2, 3,
              {{compute(OpKind::F, 0, 0), compute(OpKind::F, 1, 0),
                compute(OpKind::F, 0, 1),
                overlap({compute(OpKind::F, 0, 2), compute(OpKind::B, 1, 0)}),
                compute(OpKind::I, 0, 1), compute(OpKind::W, 0, 1),
                compute(OpKind::B, 0, 0), compute(OpKind::B, 0, 2)}});
  SimResult r = mustSimulate(p, costs("act=10,act@1=7,param=3,param@1=5"));
  EXPECT_EQ(r.ranks[0].peakActivations, 4);
  EXPECT_EQ(r.ranks[0].peakActivationBytes, 37);
  EXPECT_EQ(r.ranks[0].paramBytes, 8);
  EXPECT_EQ(r.ranks[0].stagesHeld, 2);
}

TEST(Simulate, DualPlacementHoldsTwoStagesPerRank) {
  GenerateOptions g{ScheduleKind::DualPipe, 4, 8};
  std::vector<Finding> findings;
  std::optional<Schedule> s = generateSchedule(g, findings);
  ASSERT_TRUE(s) << joinFindings(findings);
  std::optional<SimResult> r = simulate(*s, costs("param=3"), findings);
  ASSERT_TRUE(r) << joinFindings(findings);
  for (const RankStats &st : r->ranks) {
    EXPECT_EQ(st.stagesHeld, 2);
    EXPECT_EQ(st.paramBytes, 6);
  }
}

TEST(Simulate, ScheduleReplayKeepsEachRanksComputeOrder) {
  for (ScheduleKind kind : allScheduleKinds()) {
    GenerateOptions g{kind, 4, 8};
    std::vector<Finding> findings;
    std::optional<Schedule> s = generateSchedule(g, findings);
    ASSERT_TRUE(s) << toString(kind) << ": " << joinFindings(findings);
    std::optional<SimResult> r = simulate(*s, CostModel{}, findings);
    ASSERT_TRUE(r) << toString(kind) << ": " << joinFindings(findings);
    ASSERT_EQ(r->timeline.size(), s->ranks.size());
    EXPECT_EQ(r->kind, kind);
    for (size_t rank = 0; rank < s->ranks.size(); ++rank) {
      const auto &steps = s->ranks[rank];
      const auto &ivs = r->timeline[rank].compute;
      ASSERT_EQ(ivs.size(), steps.size()) << toString(kind);
      for (size_t i = 0; i < steps.size(); ++i) {
        EXPECT_EQ(ivs[i].op, steps[i].first);
        EXPECT_EQ(ivs[i].paired.has_value(), steps[i].isOverlap());
        if (i > 0)
          EXPECT_GE(ivs[i].start, ivs[i - 1].end);
      }
    }
  }
}

TEST(Simulate, BinaryFractionCostsAreExact) {
  // Halves and quarters are exact in binary: no drift over many ops.
  GenerateOptions g{ScheduleKind::OneFOneB, 8, 64};
  std::vector<Finding> findings;
  std::optional<Schedule> s = generateSchedule(g, findings);
  ASSERT_TRUE(s) << joinFindings(findings);
  std::optional<SimResult> r =
      simulate(*s, costs("f=0.25,b=0.5,w=0.125"), findings);
  ASSERT_TRUE(r) << joinFindings(findings);
  for (const RankStats &st : r->ranks) {
    EXPECT_EQ(st.busy, 64 * 0.75);
    EXPECT_EQ(st.idle, 7 * 0.75);
  }
}

TEST(Simulate, EmptyProgram) {
  SimResult r = mustSimulate(Program{});
  EXPECT_EQ(r.makespan, 0);
  EXPECT_EQ(r.bubbleRatio, 0);
  EXPECT_TRUE(r.ranks.empty());
}

//===----------------------------------------------------------------------===//
// Errors
//===----------------------------------------------------------------------===//

TEST(SimulateErrors, RendezvousDeadlockIsReportedNotHung) {
  Program p = program(2, 2, 1,
                      {{send(Act, 0, 0, 1), recv(Grad, 1, 0, 1, 0), wait(0)},
                       {send(Grad, 1, 0, 0), recv(Act, 0, 0, 0, 0), wait(0)}});
  std::vector<Finding> f = mustFail(p);
  ASSERT_EQ(f.size(), 2u);
  EXPECT_EQ(f[0].message, "rank 0: send activation(stage 0, mb 0) to rank 1 "
                          "never completes (deadlock)");
  EXPECT_EQ(f[0].where.rank, 0);
  EXPECT_EQ(f[0].where.path, (std::vector<int64_t>{0}));
  ASSERT_EQ(f[0].notes.size(), 1u);
  EXPECT_EQ(f[0].notes[0].message,
            "rank 1 is blocked at send grad(stage 1, mb 0) to rank 0");
  EXPECT_EQ(f[0].notes[0].where.rank, 1);
  EXPECT_EQ(f[1].message, "rank 1: send grad(stage 1, mb 0) to rank 0 never "
                          "completes (deadlock)");
}

TEST(SimulateErrors, WaitDeadlockNamesTheMessage) {
  Program p = program(2, 2, 1,
                      {{recv(Grad, 1, 0, 1, 0), wait(0), send(Act, 0, 0, 1)},
                       {recv(Act, 0, 0, 0, 3), wait(3), send(Grad, 1, 0, 0)}});
  p.ranks[1][1].origin = 42;
  std::vector<Finding> f = mustFail(p);
  ASSERT_EQ(f.size(), 2u);
  EXPECT_EQ(f[1].message,
            "rank 1: wait on token 3 (recv activation(stage 0, mb 0) from rank "
            "0) never completes (deadlock)");
  EXPECT_EQ(f[1].origin, 42);
  EXPECT_EQ(f[1].where.path, (std::vector<int64_t>{1}));
}

TEST(SimulateErrors, UnmatchedMessages) {
  Program p =
      program(2, 2, 1, {{send(Act, 0, 0, 1, 0)}, {recv(Grad, 1, 0, 0, 0)}});
  std::vector<Finding> f = mustFail(p);
  ASSERT_EQ(f.size(), 2u);
  EXPECT_EQ(f[0].message, "rank 0: send activation(stage 0, mb 0) to rank 1 "
                          "has no matching recv");
  EXPECT_EQ(
      f[1].message,
      "rank 1: recv grad(stage 1, mb 0) from rank 0 has no matching send");
}

TEST(SimulateErrors, PeerFinishedWithoutMatchingRecv) {
  Program p = program(2, 2, 1, {{send(Act, 0, 0, 1)}, {}});
  std::vector<Finding> f = mustFail(p);
  ASSERT_EQ(f.size(), 1u);
  ASSERT_EQ(f[0].notes.size(), 1u);
  EXPECT_EQ(f[0].notes[0].message, "rank 1 finished without the matching recv");
}

TEST(SimulateErrors, MalformedInstructions) {
  Instr nested = overlap({overlap({})});
  Program p =
      program(2, 2, 1,
              {{wait(7), send(Act, 0, 0, 5), send(Act, 0, 0, 0),
                recv(Grad, 1, 0, 1, 1), recv(Grad, 1, 1, 1, 1),
                overlap({compute(OpKind::F, 0, 0), compute(OpKind::F, 0, 1),
                         compute(OpKind::B, 0, 0)}),
                nested, send(Act, 0, 1, 1, -1)},
               {recv(Act, 0, 0, 0, -1)}});
  std::vector<Finding> f = mustFail(p);
  std::vector<std::string> messages;
  for (const Finding &x : f)
    messages.push_back(x.message);
  EXPECT_EQ(messages,
            (std::vector<std::string>{
                "rank 0: wait on token 7 that no earlier recv or send "
                "defines",
                "rank 0: send activation(stage 0, mb 0) to rank 5 names a "
                "rank outside [0, 2)",
                "rank 0: send activation(stage 0, mb 0) to rank 0 is "
                "addressed to itself",
                "rank 0: token 1 is defined twice",
                "rank 0: overlap runs 3 compute ops, at most 2 can run "
                "concurrently",
                "rank 0: overlap nested inside an overlap",
                "rank 1: recv activation(stage 0, mb 0) from rank 0 defines "
                "no token"}));
  EXPECT_EQ(f[4].where.path, (std::vector<int64_t>{5}));
  EXPECT_EQ(f[5].where.path, (std::vector<int64_t>{6, 0}));
}

TEST(SimulateErrors, BrokenScheduleIsExplainedByTheVerifier) {
  // B(0,0) before its own F: the lowering cannot order the messages.
  Schedule s;
  s.placement = {PlacementKind::Standard, 2, 2, 1};
  s.ranks = {{Step{{OpKind::B, 0, 0}, std::nullopt, 7},
              Step{{OpKind::F, 0, 0}, std::nullopt, 8}},
             {Step{{OpKind::F, 1, 0}, std::nullopt, 9},
              Step{{OpKind::B, 1, 0}, std::nullopt, 10}}};
  std::vector<Finding> f;
  EXPECT_FALSE(simulate(s, CostModel{}, f));
  ASSERT_FALSE(f.empty());
  EXPECT_EQ(f[0].where.rank, 0);
  EXPECT_EQ(f[0].message.rfind("rank 0: ", 0), 0u) << f[0].message;
  EXPECT_NE(f[0].message.find("B(stage 0, mb 0)"), std::string::npos)
      << f[0].message;
}

TEST(SimulateErrors, InvalidCostModel) {
  CostModel c;
  c.uniform.w = 5;
  std::vector<Finding> f = mustFail(twoStagePipeline(), c);
  EXPECT_EQ(f[0].message, "invalid cost model: w = 5 exceeds b = 2 (i = b - w "
                          "would be negative)");
  Schedule s;
  std::vector<Finding> g;
  EXPECT_FALSE(simulate(s, c, g));
  ASSERT_EQ(g.size(), 1u);
  EXPECT_EQ(g[0].message, f[0].message);
}

// Issue 11: valid costs whose sums overflow gave "makespan inf, bubble
// ratio -nan%" and exit 0; the simulation now fails, naming the cause.
TEST(SimulateErrors, TimesThatOverflowAreAnError) {
  CostModel c;
  c.uniform.messageBytes = 1e10;
  c.intraNode.bandwidth = 1e-300; // each transfer takes 1e310: inf
  ASSERT_EQ(c.validate(), "");
  std::vector<Finding> f = mustFail(twoStagePipeline(), c);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].message,
            "cannot simulate: the makespan is not finite: the costs sum "
            "beyond the largest double; give them in larger units");
  CostModel bytes;
  bytes.uniform.paramBytes = 1.5e308;
  Program p = twoStagePipeline();
  p.placement = {PlacementKind::Interleaved, 1, 2, 1};
  p.ranks = {{compute(OpKind::F, 0, 0), compute(OpKind::F, 1, 0),
              compute(OpKind::B, 1, 0), compute(OpKind::B, 0, 0)}};
  std::vector<Finding> g = mustFail(p, bytes);
  ASSERT_EQ(g.size(), 1u);
  // Byte sizes are bounded by the cost check (1e100), so a size that could
  // overflow the per-rank sum is refused before the simulation starts.
  EXPECT_EQ(g[0].message, "invalid cost model: param must be finite, >= 0 "
                          "and <= 1e+100, got 1.5e+308");
}

} // namespace
