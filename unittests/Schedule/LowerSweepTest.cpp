//===- LowerSweepTest.cpp - Lowering and verification of every kind -------===//
//
// Every generated schedule must lower (insertComm -> fuseOverlap ->
// scheduleComm) to a program the verifier accepts, and the verifier must
// survive any single-instruction corruption of a valid program.
//
//===----------------------------------------------------------------------===//

#include "dualpipe/Schedule/Generate.h"
#include "dualpipe/Schedule/Lower.h"
#include "dualpipe/Schedule/Verify.h"

#include "LowerTestSupport.h"

#include <gtest/gtest.h>

#include <string>

using namespace dualpipe;
using dualpipe::test::firstMessage;
using dualpipe::test::label;

namespace {

/// Lowers `schedule` under `policy`, failing the test on any error.
std::optional<Program> lower(const Schedule &schedule, CommPolicy policy,
                             const std::string &what) {
  std::vector<Finding> findings;
  std::optional<Program> program =
      lowerSchedule(schedule, ScheduleCommOptions{policy}, findings);
  if (!program)
    ADD_FAILURE() << what << " " << toString(policy) << ": "
                  << joinFindings(findings);
  return program;
}

void expectLowersCleanly(const GenerateOptions &options) {
  std::vector<Finding> findings;
  std::optional<Schedule> schedule = generateSchedule(options, findings);
  ASSERT_TRUE(schedule) << label(options) << ": " << joinFindings(findings);
  std::string what = label(options);
  ASSERT_EQ(firstMessage(verifySchedule(*schedule)), "") << what;
  bool dual = options.kind == ScheduleKind::DualPipe ||
              options.kind == ScheduleKind::DualPipeV;
  for (CommPolicy policy : {CommPolicy::Eager, CommPolicy::Reference}) {
    if (policy == CommPolicy::Reference && !dual)
      continue;
    std::optional<Program> program = lower(*schedule, policy, what);
    if (program) {
      EXPECT_EQ(firstMessage(verifyProgram(*program)), "")
          << what << " " << toString(policy);
    }
  }
}

constexpr int64_t kMicrobatches[] = {1,  2,  3,  4,  5,  6,  7,  8,  9,
                                     10, 12, 16, 20, 24, 32, 40, 48, 64};

TEST(LowerSweepTest, EveryKindRanksAndMicrobatches) {
  int lowered = 0;
  for (ScheduleKind kind : allScheduleKinds())
    for (int64_t ranks = 1; ranks <= 16; ++ranks)
      for (int64_t microbatches : kMicrobatches) {
        GenerateOptions options{kind, ranks, microbatches};
        for (int64_t v : {2, 3}) {
          options.virtualStages = v;
          if (v == 3 && kind != ScheduleKind::Interleaved1F1B)
            continue;
          if (!checkGenerateOptions(options).empty())
            continue;
          expectLowersCleanly(options);
          ++lowered;
        }
      }
  // Guards the sweep against silently skipping everything.
  EXPECT_GT(lowered, 1000);
}

TEST(LowerSweepTest, DualPipeVariantsWithoutOverlapOrBackward) {
  for (ScheduleKind kind : {ScheduleKind::DualPipe, ScheduleKind::DualPipeV})
    for (int64_t ranks = 1; ranks <= 8; ++ranks)
      for (int64_t microbatches : {2 * ranks, 2 * ranks + 2, 4 * ranks + 6})
        for (bool overlap : {false, true})
          for (bool forwardOnly : {false, true}) {
            GenerateOptions options{kind, ranks, microbatches};
            options.overlap = overlap;
            options.forwardOnly = forwardOnly;
            if (checkGenerateOptions(options).empty())
              expectLowersCleanly(options);
          }
}

TEST(LowerSweepTest, ForwardOnlyEveryKind) {
  for (ScheduleKind kind : allScheduleKinds())
    for (int64_t ranks : {1, 2, 3, 4, 6}) {
      GenerateOptions options{kind, ranks, 4 * ranks};
      options.forwardOnly = true;
      if (checkGenerateOptions(options).empty())
        expectLowersCleanly(options);
    }
}

//===----------------------------------------------------------------------===//
// Mutation fuzz
//===----------------------------------------------------------------------===//

/// Visits every instruction of a program by (rank, top, inner) so that a
/// mutation can be applied to a copy.
template <typename Fn> void forEachInstr(const Program &program, Fn &&fn) {
  for (size_t rank = 0; rank < program.ranks.size(); ++rank)
    for (size_t top = 0; top < program.ranks[rank].size(); ++top) {
      fn(rank, top, -1);
      for (size_t inner = 0; inner < program.ranks[rank][top].body.size();
           ++inner)
        fn(rank, top, static_cast<int64_t>(inner));
    }
}

std::vector<Instr> &listOf(Program &program, size_t rank, size_t top,
                           int64_t inner) {
  return inner < 0 ? program.ranks[rank] : program.ranks[rank][top].body;
}

/// Everything the verifier and the policies do must terminate on `program`.
void exerciseAll(const Program &program) {
  (void)verifyProgram(program);
  VerifyOptions inOrder;
  inOrder.matching = MessageMatching::InOrder;
  (void)verifyProgram(program, inOrder);
  (void)checkInOrder(program);
  (void)findDeadlock(program);
  for (CommPolicy policy :
       {CommPolicy::Eager, CommPolicy::Reference, CommPolicy::InOrder}) {
    Program copy = program;
    std::string error;
    ScheduleCommOptions options;
    options.policy = policy;
    (void)scheduleComm(copy, options);
  }
  Program fused = program;
  fuseOverlap(fused);
}

struct MutationCounts {
  int accepted = 0;
  int rejected = 0;
};

void fuzz(const GenerateOptions &generate, CommPolicy policy,
          MessageMatching matching = MessageMatching::ByKey) {
  std::vector<Finding> findings;
  std::optional<Schedule> schedule = generateSchedule(generate, findings);
  ASSERT_TRUE(schedule) << joinFindings(findings);
  std::optional<Program> valid = lower(*schedule, policy, label(generate));
  ASSERT_TRUE(valid);
  VerifyOptions options;
  options.matching = matching;
  ASSERT_TRUE(verifyProgram(*valid, options).empty());
  MutationCounts counts;
  auto judge = [&](const Program &mutated, bool mustReject,
                   const std::string &what) {
    exerciseAll(mutated);
    bool rejected = !verifyProgram(mutated, options).empty();
    EXPECT_TRUE(rejected || !mustReject) << what;
    ++(rejected ? counts.rejected : counts.accepted);
  };
  int64_t ranks = valid->placement.ranks;
  forEachInstr(*valid, [&](size_t rank, size_t top, int64_t inner) {
    std::string at = label(generate) + " rank " + std::to_string(rank) +
                     " instr " + std::to_string(top) + "." +
                     std::to_string(inner);
    const std::vector<Instr> &list = listOf(*valid, rank, top, inner);
    size_t index = inner < 0 ? top : static_cast<size_t>(inner);
    const Instr &instr = list[index];

    Program deleted = *valid;
    std::vector<Instr> &deleteFrom = listOf(deleted, rank, top, inner);
    deleteFrom.erase(deleteFrom.begin() + index);
    bool holdsCompute =
        instr.kind == InstrKind::Compute || instr.kind == InstrKind::Overlap;
    judge(deleted, holdsCompute, "delete " + at);

    if (index + 1 < list.size()) {
      Program swapped = *valid;
      std::vector<Instr> &swapIn = listOf(swapped, rank, top, inner);
      std::swap(swapIn[index], swapIn[index + 1]);
      judge(swapped, false, "swap " + at);
    }

    if (instr.kind == InstrKind::Send || instr.kind == InstrKind::Recv)
      for (int64_t peer : {instr.peer + 1, int64_t(rank), int64_t(-1), ranks}) {
        Program repeered = *valid;
        listOf(repeered, rank, top, inner)[index].peer = peer % (ranks + 1);
        judge(repeered, peer % (ranks + 1) != instr.peer,
              "peer " + std::to_string(peer) + " " + at);
      }
    if (instr.kind == InstrKind::Wait) {
      Program retokened = *valid;
      listOf(retokened, rank, top, inner)[index].token += 1000000;
      judge(retokened, true, "token " + at);
    }
  });
  EXPECT_GT(counts.rejected, 0);
}

TEST(LowerSweepTest, MutationFuzzOneFOneB) {
  fuzz(GenerateOptions{ScheduleKind::OneFOneB, 3, 5}, CommPolicy::Eager);
}

TEST(LowerSweepTest, MutationFuzzDualPipeReference) {
  fuzz(GenerateOptions{ScheduleKind::DualPipe, 4, 8}, CommPolicy::Reference);
}

TEST(LowerSweepTest, MutationFuzzDualPipeVEager) {
  fuzz(GenerateOptions{ScheduleKind::DualPipeV, 2, 4}, CommPolicy::Eager);
}

TEST(LowerSweepTest, MutationFuzzZBV) {
  fuzz(GenerateOptions{ScheduleKind::ZBV, 3, 6}, CommPolicy::Eager);
}

TEST(LowerSweepTest, MutationFuzzInOrderDualPipe) {
  fuzz(GenerateOptions{ScheduleKind::DualPipe, 4, 8}, CommPolicy::InOrder,
       MessageMatching::InOrder);
}

TEST(LowerSweepTest, MutationFuzzInOrderInterleaved) {
  GenerateOptions options{ScheduleKind::Interleaved1F1B, 3, 6};
  options.virtualStages = 2;
  fuzz(options, CommPolicy::InOrder, MessageMatching::InOrder);
}

} // namespace
