//===- LowerInOrderTest.cpp - The in-order comm policy --------------------===//
//
// Every kind lowered under the in-order policy must be valid under NCCL's
// in-order matching (and still by key), and the verifier must catch the
// by-key programs of the other policies that would hang or mismatch there.
//
//===----------------------------------------------------------------------===//

#include "dualpipe/Schedule/Generate.h"
#include "dualpipe/Schedule/Lower.h"
#include "dualpipe/Schedule/Simulate.h" // joinFindings
#include "dualpipe/Schedule/Verify.h"

#include "LowerTestSupport.h"

#include <gtest/gtest.h>

#include <string>

using namespace dualpipe;
using dualpipe::test::firstMessage;
using dualpipe::test::label;

namespace {

VerifyOptions inOrder() {
  VerifyOptions options;
  options.matching = MessageMatching::InOrder;
  return options;
}

std::optional<Program> lower(const GenerateOptions &generate, CommPolicy policy,
                             std::string &error) {
  std::vector<Finding> findings;
  std::optional<Schedule> schedule = generateSchedule(generate, findings);
  std::optional<Program> program =
      schedule ? lowerSchedule(*schedule, ScheduleCommOptions{policy}, findings)
               : std::nullopt;
  error = joinFindings(findings);
  return program;
}

constexpr int64_t kMicrobatches[] = {1, 2, 3, 4, 6, 8, 10, 16, 20, 24};

/// Every kind at ranks 2..8, several micro-batch counts, with and without
/// overlap and backward: in-order lowering verifies under both matchings.
TEST(LowerInOrderTest, EveryKindVerifiesUnderInOrder) {
  int lowered = 0;
  for (ScheduleKind kind : allScheduleKinds())
    for (int64_t ranks = 2; ranks <= 8; ++ranks)
      for (int64_t microbatches : kMicrobatches)
        for (bool forwardOnly : {false, true})
          for (bool overlap : {true, false}) {
            GenerateOptions options{kind, ranks, microbatches};
            options.forwardOnly = forwardOnly;
            options.overlap = overlap;
            if (!overlap && kind != ScheduleKind::DualPipe &&
                kind != ScheduleKind::DualPipeV)
              continue;
            if (!checkGenerateOptions(options).empty())
              continue;
            std::string error;
            std::optional<Program> program =
                lower(options, CommPolicy::InOrder, error);
            ASSERT_TRUE(program) << label(options) << ": " << error;
            EXPECT_EQ(firstMessage(verifyProgram(*program, inOrder())), "")
                << label(options);
            EXPECT_EQ(firstMessage(verifyProgram(*program)), "")
                << label(options);
            ++lowered;
          }
  // Guards the sweep against silently skipping everything.
  EXPECT_GT(lowered, 500);
}

/// The in-order policy re-places the output of any other policy into the
/// same program.
TEST(LowerInOrderTest, ReplacesOtherPolicies) {
  std::string error;
  GenerateOptions options{ScheduleKind::DualPipe, 4, 8};
  std::optional<Program> direct = lower(options, CommPolicy::InOrder, error);
  std::optional<Program> viaReference =
      lower(options, CommPolicy::Reference, error);
  ASSERT_TRUE(direct && viaReference) << error;
  ScheduleCommOptions again{CommPolicy::InOrder};
  ASSERT_EQ(joinFindings(scheduleComm(*viaReference, again)), "");
  ASSERT_EQ(direct->ranks.size(), viaReference->ranks.size());
  for (size_t rank = 0; rank < direct->ranks.size(); ++rank) {
    ASSERT_EQ(direct->ranks[rank].size(), viaReference->ranks[rank].size());
    for (size_t i = 0; i < direct->ranks[rank].size(); ++i) {
      const Instr &a = direct->ranks[rank][i],
                  &b = viaReference->ranks[rank][i];
      EXPECT_EQ(a.kind, b.kind) << rank << " " << i;
      EXPECT_EQ(a.key, b.key) << rank << " " << i;
      EXPECT_EQ(a.op, b.op) << rank << " " << i;
      EXPECT_EQ(a.token, b.token) << rank << " " << i;
    }
  }
}

/// Eager posts every receive at the start, ordered by consumer. By key that
/// never blocks; under NCCL a rank's first group waits for a send queued
/// behind the peer's own first group, and where a rank receives both
/// activations and gradients from one peer, their order is the consumer's,
/// not the sender's. Every such program is caught, with one of the two.
TEST(LowerInOrderTest, EagerProgramsThatBreakInOrderAreCaught) {
  int hangs = 0, reorders = 0;
  for (ScheduleKind kind : allScheduleKinds())
    for (int64_t ranks = 2; ranks <= 8; ++ranks)
      for (int64_t microbatches : {2 * ranks, 2 * ranks + 4}) {
        GenerateOptions options{kind, ranks, microbatches};
        if (!checkGenerateOptions(options).empty())
          continue;
        std::string error;
        std::optional<Program> program =
            lower(options, CommPolicy::Eager, error);
        ASSERT_TRUE(program) << label(options) << ": " << error;
        ASSERT_EQ(firstMessage(verifyProgram(*program)), "") << label(options);
        std::string found = firstMessage(verifyProgram(*program, inOrder()));
        bool hang = found.rfind("deadlock under in-order matching: rank 0 "
                                "waits at recv ",
                                0) == 0;
        bool reorder = found.rfind("rank 1: message ", 0) == 0 &&
                       found.find(" from rank 0 to rank 1 is sent as ") !=
                           std::string::npos;
        EXPECT_TRUE(hang || reorder) << label(options) << ": " << found;
        hangs += hang;
        reorders += reorder;
      }
  EXPECT_GT(hangs, 50);
  EXPECT_GT(reorders, 10);
}

/// DualPipe's own commit-and-wait batching was written for NCCL (batched
/// isend/irecv, per-pair FIFO): its programs pass the in-order checks as
/// they are, which is how the checks' model of NCCL is cross-checked.
TEST(LowerInOrderTest, ReferencePolicyIsValidUnderInOrder) {
  int checked = 0;
  for (ScheduleKind kind : {ScheduleKind::DualPipe, ScheduleKind::DualPipeV})
    for (int64_t ranks = 2; ranks <= 8; ++ranks)
      for (int64_t microbatches : {2 * ranks, 2 * ranks + 4, 4 * ranks})
        for (bool overlap : {true, false})
          for (bool forwardOnly : {false, true}) {
            GenerateOptions options{kind, ranks, microbatches};
            options.overlap = overlap;
            options.forwardOnly = forwardOnly;
            if (!checkGenerateOptions(options).empty())
              continue;
            std::string error;
            std::optional<Program> program =
                lower(options, CommPolicy::Reference, error);
            ASSERT_TRUE(program) << label(options) << ": " << error;
            EXPECT_EQ(firstMessage(verifyProgram(*program, inOrder())), "")
                << label(options);
            ++checked;
          }
  EXPECT_GT(checked, 50);
}

/// What the policy cannot order is refused with the reason: a compute order
/// that cannot run has no rounds, and a message needs both of its ends.
TEST(LowerInOrderTest, RefusesWhatItCannotOrder) {
  std::string error;
  std::optional<Program> program = lower(
      GenerateOptions{ScheduleKind::OneFOneB, 2, 1}, CommPolicy::Eager, error);
  ASSERT_TRUE(program) << error;
  // Rank 0 runs B0.0 before F0.0: B0.0 waits for rank 1's gradient, which
  // needs F0.0's activation.
  Program cyclic = *program;
  std::swap(cyclic.ranks[0][1], cyclic.ranks[0][4]);
  ScheduleCommOptions options{CommPolicy::InOrder};
  error = joinFindings(scheduleComm(cyclic, options));
  EXPECT_EQ(error, "rank 0: in-order policy: step 0 can never run: the "
                   "compute order is not executable");

  Program unmatched = *program;
  unmatched.ranks[1].pop_back(); // rank 1's send of grad(1, 0)
  error = joinFindings(scheduleComm(unmatched, options));
  EXPECT_EQ(error, "rank 0: in-order policy: recv grad(stage 1, mb 0) from "
                   "rank 1 has no matching send on rank 1");

  Program lonelySend = *program;
  lonelySend.ranks[0].erase(lonelySend.ranks[0].begin());     // its grad recv
  lonelySend.ranks[0].erase(lonelySend.ranks[0].begin() + 2); // and wait
  error = joinFindings(scheduleComm(lonelySend, options));
  EXPECT_EQ(error, "rank 1: in-order policy: send grad(stage 1, mb 0) to "
                   "rank 0 has no matching recv on rank 0");

  Program badPeer = *program;
  badPeer.ranks[1][0].peer = 7; // rank 1's recv of activation(0, 0)
  error = joinFindings(scheduleComm(badPeer, options));
  EXPECT_EQ(error, "rank 1: in-order policy: recv activation(stage 0, mb 0) "
                   "from rank 7: no such peer");
}

} // namespace
