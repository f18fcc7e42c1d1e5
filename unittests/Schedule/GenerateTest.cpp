//===- GenerateTest.cpp - Schedule generation for every kind --------------===//
//
// Property tests over every valid size of a grid (completeness, placement,
// local dependency order, executability), exact orders for small hand-checked
// configurations, and the constraint messages.
//
//===----------------------------------------------------------------------===//

#include "dualpipe/Schedule/Generate.h"
#include "dualpipe/Schedule/TorchCsv.h"

#include "LowerTestSupport.h"

#include "gtest/gtest.h"

#include <sstream>

using namespace dualpipe;
using dualpipe::test::stepOrder;

namespace {

constexpr int64_t kMaxGridRanks = 16;
constexpr int64_t kMaxGridMicrobatches = 64;
constexpr int64_t kMaxGridVirtualStages = 4;

std::string describe(const GenerateOptions &options) {
  std::ostringstream os;
  os << toString(options.kind) << " ranks=" << options.ranks
     << " microbatches=" << options.microbatches;
  if (options.kind == ScheduleKind::Interleaved1F1B)
    os << " v=" << options.virtualStages;
  if (!options.overlap)
    os << " overlap=false";
  if (options.forwardOnly)
    os << " forwardOnly";
  return os.str();
}

Schedule generateOrFail(const GenerateOptions &options) {
  std::vector<Finding> findings;
  std::optional<Schedule> schedule = generateSchedule(options, findings);
  EXPECT_TRUE(schedule.has_value())
      << describe(options) << ": " << joinFindings(findings);
  EXPECT_TRUE(findings.empty());
  return schedule.value_or(Schedule{});
}

GenerateOptions makeOptions(ScheduleKind kind, int64_t ranks,
                            int64_t microbatches, int64_t virtualStages = 2) {
  GenerateOptions options{kind, ranks, microbatches};
  options.virtualStages = virtualStages;
  return options;
}

/// ZB-H1 and ZB-V simulate candidate orders for each size, so their sweep
/// keeps the sizes where the published order and the greedy differ (up to
/// 2P + 1 micro-batches, the pipeline not yet full): every one up to 8
/// ranks, the ones around P and 2P beyond, and two full-pipeline counts.
bool inGrid(ScheduleKind kind, int64_t p, int64_t n) {
  if (kind != ScheduleKind::ZBH1 && kind != ScheduleKind::ZBV)
    return true;
  if (n == kMaxGridMicrobatches / 2 + 1 || n == kMaxGridMicrobatches)
    return true;
  if (p <= 8)
    return n <= 2 * p + 1;
  return n == 1 || std::abs(n - p) <= 1 || std::abs(n - 2 * p) <= 2;
}

/// Every valid (kind, ranks, microbatches[, v]) of the grid.
std::vector<GenerateOptions> validGrid() {
  std::vector<GenerateOptions> grid;
  for (ScheduleKind kind : allScheduleKinds()) {
    int64_t maxV =
        kind == ScheduleKind::Interleaved1F1B ? kMaxGridVirtualStages : 1;
    for (int64_t v = 1; v <= maxV; ++v)
      for (int64_t p = 1; p <= kMaxGridRanks; ++p)
        for (int64_t n = 1; n <= kMaxGridMicrobatches; ++n) {
          if (!inGrid(kind, p, n))
            continue;
          GenerateOptions options = makeOptions(kind, p, n, v);
          if (checkGenerateOptions(options).empty())
            grid.push_back(options);
        }
  }
  return grid;
}

/// Each op of a schedule, located.
struct Located {
  int64_t rank = -1;
  int64_t step = -1;
};

/// Where each (kind, stage, mb) runs; -1 when absent, -2 when duplicated.
class OpIndex {
public:
  explicit OpIndex(const Schedule &schedule)
      : stages(schedule.placement.stages),
        microbatches(schedule.placement.microbatches),
        where(4 * stages * microbatches) {
    for (size_t r = 0; r < schedule.ranks.size(); ++r)
      for (size_t i = 0; i < schedule.ranks[r].size(); ++i) {
        const Step &step = schedule.ranks[r][i];
        record(step.first, r, i);
        if (step.second)
          record(*step.second, r, i);
      }
  }

  bool inRange(const ComputeOp &op) const {
    return op.stage >= 0 && op.stage < stages && op.mb >= 0 &&
           op.mb < microbatches;
  }
  const Located &at(const ComputeOp &op) const { return where[slot(op)]; }
  int64_t count(const ComputeOp &op) const { return counts.at(slot(op)); }
  bool outOfRange() const { return sawOutOfRange; }

private:
  size_t slot(const ComputeOp &op) const {
    return (static_cast<size_t>(op.kind) * stages + op.stage) * microbatches +
           op.mb;
  }
  void record(const ComputeOp &op, size_t rank, size_t step) {
    if (!inRange(op)) {
      sawOutOfRange = true;
      return;
    }
    if (counts.empty())
      counts.assign(where.size(), 0);
    where[slot(op)] = {static_cast<int64_t>(rank), static_cast<int64_t>(step)};
    ++counts[slot(op)];
  }

  int64_t stages, microbatches;
  std::vector<Located> where;
  std::vector<int64_t> counts;
  bool sawOutOfRange = false;
};

ComputeOp op(OpKind kind, int64_t stage, int64_t mb) {
  return ComputeOp{kind, stage, mb};
}

/// Data dependencies of `op` in a schedule whose backward of (stage, mb) is
/// B or I as `index` says.
std::vector<ComputeOp> dependencies(const ComputeOp &o, const OpIndex &index,
                                    int64_t stages) {
  std::vector<ComputeOp> deps;
  switch (o.kind) {
  case OpKind::F:
    if (o.stage > 0)
      deps.push_back(op(OpKind::F, o.stage - 1, o.mb));
    break;
  case OpKind::B:
  case OpKind::I:
    deps.push_back(op(OpKind::F, o.stage, o.mb));
    if (o.stage + 1 < stages) {
      ComputeOp grad = op(OpKind::B, o.stage + 1, o.mb);
      if (index.count(grad) == 0)
        grad.kind = OpKind::I;
      deps.push_back(grad);
    }
    break;
  case OpKind::W:
    deps.push_back(op(OpKind::I, o.stage, o.mb));
    break;
  }
  return deps;
}

std::string format(const ComputeOp &o) { return formatAction(o); }

/// Each (stage, mb) has one F and either one B or one I and one W (or only
/// the F when forward-only), on placement.rankOf(stage, mb).
std::string checkComplete(const Schedule &schedule, bool forwardOnly) {
  const Placement &placement = schedule.placement;
  if (std::string error = placement.checkSizes(); !error.empty())
    return error;
  OpIndex index(schedule);
  if (index.outOfRange())
    return "op out of range";
  for (int64_t s = 0; s < placement.stages; ++s)
    for (int64_t m = 0; m < placement.microbatches; ++m) {
      int64_t f = index.count(op(OpKind::F, s, m));
      int64_t b = index.count(op(OpKind::B, s, m));
      int64_t i = index.count(op(OpKind::I, s, m));
      int64_t w = index.count(op(OpKind::W, s, m));
      bool ok = forwardOnly ? (f == 1 && b + i + w == 0)
                            : (f == 1 && ((b == 1 && i + w == 0) ||
                                          (b == 0 && i == 1 && w == 1)));
      if (!ok)
        return "stage " + std::to_string(s) + " mb " + std::to_string(m) +
               " has F x" + std::to_string(f) + " B x" + std::to_string(b) +
               " I x" + std::to_string(i) + " W x" + std::to_string(w);
    }
  for (size_t r = 0; r < schedule.ranks.size(); ++r)
    for (const Step &step : schedule.ranks[r])
      for (const ComputeOp &o : {step.first, step.second.value_or(step.first)})
        if (placement.rankOf(o.stage, o.mb) != static_cast<int64_t>(r))
          return format(o) + " on rank " + std::to_string(r) + ", placed on " +
                 std::to_string(placement.rankOf(o.stage, o.mb));
  return "";
}

/// A dependency that lives on the same rank runs in an earlier step.
std::string checkLocalOrder(const Schedule &schedule) {
  OpIndex index(schedule);
  for (size_t r = 0; r < schedule.ranks.size(); ++r)
    for (size_t i = 0; i < schedule.ranks[r].size(); ++i) {
      const Step &step = schedule.ranks[r][i];
      for (const ComputeOp &o : {step.first, step.second.value_or(step.first)})
        for (const ComputeOp &dep :
             dependencies(o, index, schedule.placement.stages)) {
          if (index.count(dep) == 0)
            continue; // forward-only: no backwards to wait for
          const Located &at = index.at(dep);
          if (at.rank == static_cast<int64_t>(r) &&
              at.step >= static_cast<int64_t>(i))
            return "rank " + std::to_string(r) + ": " + format(o) +
                   " runs before " + format(dep);
        }
    }
  return "";
}

/// Runs all programs with unbounded buffering: a step runs once every data
/// dependency of its ops has run on whatever rank. Every step must run.
std::string checkExecutable(const Schedule &schedule) {
  OpIndex index(schedule);
  const int64_t stages = schedule.placement.stages;
  const int64_t microbatches = schedule.placement.microbatches;
  std::vector<char> done(4 * stages * microbatches, 0);
  auto slot = [&](const ComputeOp &o) {
    return (static_cast<size_t>(o.kind) * stages + o.stage) * microbatches +
           o.mb;
  };
  auto ready = [&](const ComputeOp &o) {
    for (const ComputeOp &dep : dependencies(o, index, stages))
      if (index.count(dep) != 0 && !done[slot(dep)])
        return false;
    return true;
  };
  std::vector<size_t> next(schedule.ranks.size(), 0);
  bool progress = true;
  while (progress) {
    progress = false;
    for (size_t r = 0; r < schedule.ranks.size(); ++r) {
      const std::vector<Step> &program = schedule.ranks[r];
      while (next[r] < program.size()) {
        const Step &step = program[next[r]];
        if (!ready(step.first) || (step.second && !ready(*step.second)))
          break;
        done[slot(step.first)] = 1;
        if (step.second)
          done[slot(*step.second)] = 1;
        ++next[r];
        progress = true;
      }
    }
  }
  for (size_t r = 0; r < schedule.ranks.size(); ++r)
    if (next[r] < schedule.ranks[r].size())
      return "rank " + std::to_string(r) + " blocks at " +
             formatStep(schedule.ranks[r][next[r]]);
  return "";
}

std::vector<ComputeOp> forwardsOf(const std::vector<Step> &program) {
  std::vector<ComputeOp> ops;
  for (const ComputeOp &o : stepOrder(program))
    if (o.kind == OpKind::F)
      ops.push_back(o);
  return ops;
}

std::string csv(const GenerateOptions &options) {
  return exportTorchCsv(generateOrFail(options));
}

//===----------------------------------------------------------------------===//
// Properties over the grid
//===----------------------------------------------------------------------===//

TEST(GenerateGrid, EveryKindHasValidSizes) {
  std::vector<GenerateOptions> grid = validGrid();
  for (ScheduleKind kind : allScheduleKinds()) {
    int64_t count = 0;
    for (const GenerateOptions &options : grid)
      count += options.kind == kind;
    EXPECT_GT(count, 0) << toString(kind);
  }
}

TEST(GenerateGrid, TrainingSchedulesAreCompleteOrderedAndExecutable) {
  for (const GenerateOptions &options : validGrid()) {
    Schedule schedule = generateOrFail(options);
    ASSERT_EQ(schedule.kind, options.kind) << describe(options);
    ASSERT_EQ(schedule.placement.kind, placementFor(options.kind));
    ASSERT_EQ(schedule.placement.stages,
              stagesFor(options.kind, options.ranks, options.virtualStages));
    ASSERT_EQ(static_cast<int64_t>(schedule.ranks.size()), options.ranks);
    ASSERT_EQ(checkComplete(schedule, false), "") << describe(options);
    ASSERT_EQ(checkLocalOrder(schedule), "") << describe(options);
    ASSERT_EQ(checkExecutable(schedule), "") << describe(options);
    for (const std::vector<Step> &program : schedule.ranks)
      for (const Step &step : program) {
        ASSERT_EQ(step.origin, -1);
        if (step.second)
          ASSERT_TRUE(step.first.kind == OpKind::F &&
                      step.second->kind != OpKind::F);
      }
  }
}

TEST(GenerateGrid, ForwardOnlyKeepsTheForwardOrder) {
  for (GenerateOptions options : validGrid()) {
    Schedule training = generateOrFail(options);
    options.forwardOnly = true;
    Schedule inference = generateOrFail(options);
    ASSERT_EQ(checkComplete(inference, true), "") << describe(options);
    ASSERT_EQ(checkExecutable(inference), "") << describe(options);
    for (size_t r = 0; r < training.ranks.size(); ++r) {
      for (const Step &step : inference.ranks[r])
        ASSERT_FALSE(step.isOverlap()) << describe(options);
      ASSERT_EQ(stepOrder(inference.ranks[r]), forwardsOf(training.ranks[r]))
          << describe(options) << " rank " << r;
    }
  }
}

TEST(GenerateGrid, NoOverlapSplitsEachPairIntoForwardThenBackward) {
  int64_t pairs = 0;
  for (GenerateOptions options : validGrid()) {
    Schedule overlapped = generateOrFail(options);
    options.overlap = false;
    Schedule sequential = generateOrFail(options);
    ASSERT_EQ(checkExecutable(sequential), "") << describe(options);
    for (size_t r = 0; r < overlapped.ranks.size(); ++r) {
      for (const Step &step : sequential.ranks[r])
        ASSERT_FALSE(step.isOverlap()) << describe(options);
      ASSERT_EQ(stepOrder(sequential.ranks[r]), stepOrder(overlapped.ranks[r]))
          << describe(options) << " rank " << r;
      for (const Step &step : overlapped.ranks[r])
        pairs += step.isOverlap();
    }
  }
  EXPECT_GT(pairs, 0);
}

// The documented constraints, restated independently of the implementation.
bool expectedValid(const GenerateOptions &o) {
  int64_t p = o.ranks, n = o.microbatches;
  switch (o.kind) {
  case ScheduleKind::DualPipe:
    return p % 2 == 0 && n % 2 == 0 && n >= 2 * p;
  case ScheduleKind::DualPipeV:
    return n >= 2 * p;
  case ScheduleKind::Interleaved1F1B:
    return o.virtualStages == 1 || n % std::max<int64_t>(1, n / p) == 0;
  default:
    return true;
  }
}

TEST(GenerateGrid, ValidityMatchesDocumentedConstraints) {
  for (ScheduleKind kind : allScheduleKinds())
    for (int64_t v = 1; v <= kMaxGridVirtualStages; ++v)
      for (int64_t p = 1; p <= kMaxGridRanks; ++p)
        for (int64_t n = 1; n <= kMaxGridMicrobatches; ++n) {
          GenerateOptions options = makeOptions(kind, p, n, v);
          EXPECT_EQ(checkGenerateOptions(options).empty(),
                    expectedValid(options))
              << describe(options) << ": "
              << joinFindings(checkGenerateOptions(options));
        }
}

//===----------------------------------------------------------------------===//
// Exact orders (derived by hand from the sources' rules; see
// docs/schedules.md)
//===----------------------------------------------------------------------===//

TEST(GenerateExact, OneFOneB4x8) {
  EXPECT_EQ(csv(makeOptions(ScheduleKind::OneFOneB, 4, 8)),
            "0F0,0F1,0F2,0F3,0B0,0F4,0B1,0F5,0B2,0F6,0B3,0F7,0B4,0B5,0B6,0B7\n"
            "1F0,1F1,1F2,1B0,1F3,1B1,1F4,1B2,1F5,1B3,1F6,1B4,1F7,1B5,1B6,1B7\n"
            "2F0,2F1,2B0,2F2,2B1,2F3,2B2,2F4,2B3,2F5,2B4,2F6,2B5,2F7,2B6,2B7\n"
            "3F0,3B0,3F1,3B1,3F2,3B2,3F3,3B3,3F4,3B4,3F5,3B5,3F6,3B6,3F7,3B7"
            "\n");
}

TEST(GenerateExact, OneFOneBFewerMicrobatchesThanRanks) {
  EXPECT_EQ(csv(makeOptions(ScheduleKind::OneFOneB, 4, 2)),
            "0F0,0F1,0B0,0B1\n"
            "1F0,1F1,1B0,1B1\n"
            "2F0,2F1,2B0,2B1\n"
            "3F0,3B0,3F1,3B1\n");
}

TEST(GenerateExact, GPipe2x3) {
  EXPECT_EQ(csv(makeOptions(ScheduleKind::GPipe, 2, 3)),
            "0F0,0F1,0F2,0B0,0B1,0B2\n"
            "1F0,1F1,1F2,1B0,1B1,1B2\n");
}

TEST(GenerateExact, ZBH1x4x8) {
  EXPECT_EQ(csv(makeOptions(ScheduleKind::ZBH1, 4, 8)),
            "0F0,0F1,0F2,0F3,0I0,0W0,0F4,0I1,0W1,0F5,0I2,0W2,0F6,0I3,0W3,0F7,"
            "0I4,0W4,0I5,0W5,0I6,0W6,0I7,0W7\n"
            "1F0,1F1,1F2,1I0,1F3,1I1,1W0,1F4,1I2,1W1,1F5,1I3,1W2,1F6,1I4,1W3,"
            "1F7,1I5,1W4,1I6,1W5,1I7,1W6,1W7\n"
            "2F0,2F1,2I0,2F2,2I1,2F3,2I2,2W0,2F4,2I3,2W1,2F5,2I4,2W2,2F6,2I5,"
            "2W3,2F7,2I6,2W4,2I7,2W5,2W6,2W7\n"
            "3F0,3I0,3F1,3I1,3F2,3I2,3F3,3I3,3W0,3F4,3I4,3W1,3F5,3I5,3W2,3F6,"
            "3I6,3W3,3F7,3I7,3W4,3W5,3W6,3W7\n");
}

TEST(GenerateExact, ZBV2x4) {
  EXPECT_EQ(csv(makeOptions(ScheduleKind::ZBV, 2, 4)),
            "0F0,0F1,0F2,3F0,3I0,3W0,3F1,3I1,3W1,0F3,0I0,0W0,3F2,3I2,3W2,0I1,"
            "0W1,3F3,3I3,3W3,0I2,0W2,0I3,0W3\n"
            "1F0,2F0,1F1,2F1,2I0,2W0,1F2,1I0,1W0,2F2,2I1,2W1,1F3,1I1,1W1,2F3,"
            "2I2,2W2,1I2,2I3,1I3,1W2,2W3,1W3\n");
}

TEST(GenerateExact, ZBVRunsTheInputGradientChainFirst) {
  // PyTorch's order restricted to mb 0 runs 2W0 before 1I0 (makespan 10
  // under F = I = W = 1); the authors' greedy delays that W behind the
  // input gradient rank 0 waits for (makespan 9).
  EXPECT_EQ(csv(makeOptions(ScheduleKind::ZBV, 2, 1)),
            "0F0,3F0,3I0,3W0,0I0,0W0\n"
            "1F0,2F0,2I0,1I0,2W0,1W0\n");
}

TEST(GenerateExact, Interleaved2x4V2) {
  EXPECT_EQ(csv(makeOptions(ScheduleKind::Interleaved1F1B, 2, 4, 2)),
            "0F0,0F1,2F0,2F1,0F2,2B0,0F3,2B1,2F2,0B0,2F3,0B1,2B2,2B3,0B2,0B3\n"
            "1F0,1F1,3F0,3B0,3F1,3B1,1F2,1B0,1F3,1B1,3F2,3B2,3F3,3B3,1B2,1B3"
            "\n");
}

TEST(GenerateExact, InterleavedWithOneChunkIsOneFOneB) {
  for (int64_t p = 1; p <= 8; ++p)
    for (int64_t n = 1; n <= 20; ++n) {
      Schedule interleaved =
          generateOrFail(makeOptions(ScheduleKind::Interleaved1F1B, p, n, 1));
      Schedule oneFOneB =
          generateOrFail(makeOptions(ScheduleKind::OneFOneB, p, n));
      EXPECT_EQ(interleaved.kind, ScheduleKind::Interleaved1F1B);
      EXPECT_EQ(exportTorchCsv(interleaved), exportTorchCsv(oneFOneB));
    }
}

TEST(GenerateExact, DualPipe4x8) {
  EXPECT_EQ(
      csv(makeOptions(ScheduleKind::DualPipe, 4, 8)),
      "0F0,0F1,0F2,3F4,3I4,3W4,3F5,(0F3;3B5)OVERLAP_F_B,"
      "(3F6;0B0)OVERLAP_F_B,3B6,(3F7;0B1)OVERLAP_F_B,3B7,0I2,0W2,0I3,0W3\n"
      "1F0,2F4,1F1,2F5,1F2,2B4,(2F6;1B0)OVERLAP_F_B,(1F3;2B5)OVERLAP_F_B,"
      "(2F7;1B1)OVERLAP_F_B,2B6,1B2,2I7,1I3,2W7,1W3\n"
      "1F4,2F0,1F5,2F1,1F6,2B0,(2F2;1B4)OVERLAP_F_B,(1F7;2B1)OVERLAP_F_B,"
      "(2F3;1B5)OVERLAP_F_B,2B2,1B6,2I3,1I7,2W3,1W7\n"
      "0F4,0F5,0F6,3F0,3I0,3W0,3F1,(0F7;3B1)OVERLAP_F_B,"
      "(3F2;0B4)OVERLAP_F_B,3B2,(3F3;0B5)OVERLAP_F_B,3B3,0I6,0W6,0I7,0W7"
      "\n");
}

TEST(GenerateExact, DualPipe4x8NoOverlap) {
  GenerateOptions options = makeOptions(ScheduleKind::DualPipe, 4, 8);
  options.overlap = false;
  EXPECT_EQ(csv(options),
            "0F0,0F1,0F2,3F4,3I4,3W4,3F5,0F3,3B5,3F6,0B0,3B6,3F7,0B1,3B7,0I2,"
            "0W2,0I3,0W3\n"
            "1F0,2F4,1F1,2F5,1F2,2B4,2F6,1B0,1F3,2B5,2F7,1B1,2B6,1B2,2I7,1I3,"
            "2W7,1W3\n"
            "1F4,2F0,1F5,2F1,1F6,2B0,2F2,1B4,1F7,2B1,2F3,1B5,2B2,1B6,2I3,1I7,"
            "2W3,1W7\n"
            "0F4,0F5,0F6,3F0,3I0,3W0,3F1,0F7,3B1,3F2,0B4,3B2,3F3,0B5,3B3,0I6,"
            "0W6,0I7,0W7\n");
}

TEST(GenerateExact, DualPipe4x8ForwardOnly) {
  GenerateOptions options = makeOptions(ScheduleKind::DualPipe, 4, 8);
  options.forwardOnly = true;
  EXPECT_EQ(csv(options), "0F0,0F1,0F2,3F4,3F5,0F3,3F6,3F7\n"
                          "1F0,2F4,1F1,2F5,1F2,2F6,1F3,2F7\n"
                          "1F4,2F0,1F5,2F1,1F6,2F2,1F7,2F3\n"
                          "0F4,0F5,0F6,3F0,3F1,0F7,3F2,3F3\n");
}

TEST(GenerateExact, DualPipeVOneRank) {
  // The only rank is the middle one: its first F0&B1 is not overlapped.
  EXPECT_EQ(csv(makeOptions(ScheduleKind::DualPipeV, 1, 3)),
            "0F0,1F0,0F1,1B0,(1F1;0B0)OVERLAP_F_B,(0F2;1B1)OVERLAP_F_B,"
            "(1F2;0B1)OVERLAP_F_B,1B2,0I2,0W2\n");
}

//===----------------------------------------------------------------------===//
// Constraints
//===----------------------------------------------------------------------===//

struct ErrorCase {
  GenerateOptions options;
  std::string message;
};

TEST(GenerateErrors, MessagesNameTheViolatedConstraint) {
  auto with = [](ScheduleKind kind, int64_t p, int64_t n, int64_t v = 2) {
    return makeOptions(kind, p, n, v);
  };
  const std::vector<ErrorCase> cases = {
      {with(ScheduleKind::DualPipe, 3, 12),
       "dualpipe requires an even number of ranks, got 3"},
      {with(ScheduleKind::DualPipe, 8, 10),
       "dualpipe requires microbatches >= 2 * ranks (16), got 10"},
      {with(ScheduleKind::DualPipe, 8, 21),
       "dualpipe requires an even number of microbatches, got 21"},
      {with(ScheduleKind::DualPipeV, 4, 6),
       "dualpipev requires microbatches >= 2 * ranks (8), got 6"},
      {with(ScheduleKind::OneFOneB, 0, 4), "ranks must be positive, got 0"},
      {with(ScheduleKind::GPipe, -2, 4), "ranks must be positive, got -2"},
      {with(ScheduleKind::ZBH1, 4, 0), "microbatches must be positive, got 0"},
      {with(ScheduleKind::ZBV, 4097, 8),
       "ranks must be at most 4096, got 4097"},
      {with(ScheduleKind::GPipe, 2, (int64_t(1) << 20) + 1),
       "microbatches must be at most 1048576, got 1048577"},
      {with(ScheduleKind::GPipe, 4096, 1 << 20),
       "stages * microbatches must be at most 262144, got 4294967296"},
      {with(ScheduleKind::Interleaved1F1B, 4, 8, 0),
       "interleaved-1f1b requires virtualStages >= 1, got 0"},
      {with(ScheduleKind::Interleaved1F1B, 4, 8, 65),
       "interleaved-1f1b requires virtualStages <= 64, got 65"},
      {with(ScheduleKind::Interleaved1F1B, 4, 9, 2),
       "interleaved-1f1b requires microbatches to be a multiple of max(1, "
       "microbatches / ranks) (2), got 9"},
  };
  for (const ErrorCase &c : cases) {
    EXPECT_EQ(joinFindings(checkGenerateOptions(c.options)), c.message)
        << describe(c.options);
    std::vector<Finding> findings;
    EXPECT_FALSE(generateSchedule(c.options, findings).has_value());
    EXPECT_EQ(joinFindings(findings), c.message);
  }
}

TEST(GenerateErrors, HugeSizesDoNotOverflow) {
  int64_t huge = std::numeric_limits<int64_t>::max();
  EXPECT_EQ(stagesFor(ScheduleKind::ZBV, huge, 2), huge);
  EXPECT_EQ(stagesFor(ScheduleKind::Interleaved1F1B, huge / 2, 3), huge);
  EXPECT_EQ(joinFindings(checkGenerateOptions(
                makeOptions(ScheduleKind::ZBV, huge, huge))),
            "ranks must be at most 4096, got " + std::to_string(huge));
}

TEST(GenerateErrors, SuccessAddsNoFinding) {
  std::vector<Finding> findings;
  EXPECT_TRUE(
      generateSchedule(makeOptions(ScheduleKind::GPipe, 2, 2), findings));
  EXPECT_TRUE(findings.empty());
}

TEST(GenerateSizes, StagesPerKind) {
  EXPECT_EQ(stagesFor(ScheduleKind::DualPipe, 8, 5), 8);
  EXPECT_EQ(stagesFor(ScheduleKind::DualPipeV, 4, 5), 8);
  EXPECT_EQ(stagesFor(ScheduleKind::ZBV, 4, 5), 8);
  EXPECT_EQ(stagesFor(ScheduleKind::Interleaved1F1B, 4, 3), 12);
  EXPECT_EQ(stagesFor(ScheduleKind::OneFOneB, 4, 3), 4);
  EXPECT_EQ(stagesFor(ScheduleKind::ZBH1, 4, 3), 4);
  EXPECT_EQ(stagesFor(ScheduleKind::GPipe, 4, 3), 4);
}

} // namespace
