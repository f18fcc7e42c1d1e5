//===- ForwardOnlyTest.cpp - Forward-only programs derived from training --===//
//
// The derived level-3 program must run each rank's forwards in the order the
// generator gives with forward-only=true (one rule, two levels), carry only
// activations, and verify, under every kind and comm policy.
//
//===----------------------------------------------------------------------===//

#include "dualpipe/Schedule/ForwardOnly.h"
#include "dualpipe/Schedule/Finding.h"
#include "dualpipe/Schedule/Generate.h"
#include "dualpipe/Schedule/Lower.h"
#include "dualpipe/Schedule/Verify.h"

#include "LowerTestSupport.h"

#include <gtest/gtest.h>

using namespace dualpipe;
using dualpipe::test::firstMessage;
using dualpipe::test::label;
using dualpipe::test::stepOrder;

namespace {

Schedule generateOrFail(const GenerateOptions &options) {
  std::vector<Finding> findings;
  std::optional<Schedule> schedule = generateSchedule(options, findings);
  EXPECT_TRUE(schedule) << label(options) << ": " << joinFindings(findings);
  return schedule ? *schedule : Schedule{};
}

/// One rank's compute ops in execution order, overlap bodies inlined.
std::vector<ComputeOp> computeOrder(const std::vector<Instr> &instrs) {
  std::vector<ComputeOp> ops;
  for (const Instr &instr : instrs) {
    if (instr.kind == InstrKind::Compute)
      ops.push_back(instr.op);
    for (const Instr &inner : instr.body)
      if (inner.kind == InstrKind::Compute)
        ops.push_back(inner.op);
  }
  return ops;
}

/// Checks the program derived from `options`' training program under
/// `policy`; returns whether one was lowered.
bool checkDerived(const GenerateOptions &options, CommPolicy policy) {
  std::string what = label(options) + " " + std::string(toString(policy));
  Schedule training = generateOrFail(options);
  std::vector<Finding> findings;
  std::optional<Program> program =
      lowerSchedule(training, ScheduleCommOptions{policy}, findings);
  if (!program)
    return false; // the policy does not apply to this kind
  GenerateOptions inferenceOptions = options;
  inferenceOptions.forwardOnly = true;
  Schedule inference = generateOrFail(inferenceOptions);
  Program derived = forwardOnlyProgram(*program);
  EXPECT_EQ(derived.kind, program->kind) << what;
  EXPECT_EQ(derived.ranks.size(), inference.ranks.size()) << what;
  for (size_t r = 0; r < derived.ranks.size(); ++r) {
    EXPECT_EQ(computeOrder(derived.ranks[r]), stepOrder(inference.ranks[r]))
        << what << " rank " << r;
    for (const Instr &instr : derived.ranks[r]) {
      EXPECT_NE(instr.kind, InstrKind::Overlap) << what;
      if (instr.kind == InstrKind::Send || instr.kind == InstrKind::Recv)
        EXPECT_EQ(instr.key.kind, MsgKind::Activation) << what;
    }
  }
  VerifyOptions verify;
  verify.matching = policy == CommPolicy::InOrder ? MessageMatching::InOrder
                                                  : MessageMatching::ByKey;
  EXPECT_EQ(firstMessage(verifyProgram(derived, verify)), "") << what;
  return true;
}

TEST(ForwardOnlyTest, DerivedProgramRunsTheGeneratedForwardOrder) {
  std::vector<ScheduleKind> kinds = allScheduleKinds();
  kinds.push_back(ScheduleKind::Auto);
  for (ScheduleKind kind : kinds) {
    int derived = 0;
    for (int64_t ranks : {1, 2, 3, 4})
      for (int64_t microbatches : {1, 2, 4, 6, 8, 12}) {
        GenerateOptions options;
        options.kind = kind;
        options.ranks = ranks;
        options.microbatches = microbatches;
        if (!checkGenerateOptions(options).empty())
          continue;
        for (CommPolicy policy :
             {CommPolicy::Eager, CommPolicy::Reference, CommPolicy::InOrder})
          derived += checkDerived(options, policy);
        options.overlap = false;
        derived += checkDerived(options, CommPolicy::Eager);
      }
    EXPECT_GT(derived, 0) << toString(kind);
  }
}

TEST(ForwardOnlyTest, StepsKeepTheForwardHalfOfAPair) {
  std::vector<Step> training = {
      Step{ComputeOp{OpKind::F, 0, 0}, std::nullopt, 4},
      Step{ComputeOp{OpKind::F, 0, 1}, ComputeOp{OpKind::B, 1, 0}, 5},
      Step{ComputeOp{OpKind::W, 1, 0}, std::nullopt, 6}};
  std::vector<Step> kept = forwardOnlySteps(training);
  ASSERT_EQ(kept.size(), 2u);
  EXPECT_EQ(kept[0].first, (ComputeOp{OpKind::F, 0, 0}));
  EXPECT_EQ(kept[1].first, (ComputeOp{OpKind::F, 0, 1}));
  EXPECT_FALSE(kept[1].isOverlap());
  EXPECT_EQ(kept[1].origin, 5);
}

} // namespace
