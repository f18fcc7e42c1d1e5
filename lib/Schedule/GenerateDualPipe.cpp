//===- GenerateDualPipe.cpp - DualPipe and DualPipeV ----------------------===//
//
// Mirrors the `step` methods of deepseek-ai/DualPipe (dualpipe/dualpipe.py and
// dualpipe/dualpipev.py): the same eight loops, the same per-phase chunk
// cursors and the same FIFO of deferred weight gradients (WeightGradStore),
// so that every rank's compute order equals the reference for every valid
// size. Both variants run one rule set, parameterised by how a rank's two
// phases map onto (stage, micro-batch) and which rank is "middle".
//
//===----------------------------------------------------------------------===//

#include "GenerateKinds.h"

#include <algorithm>
#include <array>
#include <deque>

namespace dualpipe::detail {

namespace {

/// A stream of micro-batches through one stage, as the reference's
/// `current_f_chunk_id` / `current_b_chunk_id` see it.
struct Chunk {
  int64_t stage = 0;
  int64_t firstMb = 0;
};

/// The sizes the reference's loop counts depend on. For DualPipe these are
/// (P/2, min(r, P-1-r), N/2); DualPipeV is the same rule set with (P, r, N).
struct RankShape {
  int64_t halfRanks = 0;
  int64_t halfRank = 0;
  int64_t chunksPerPhase = 0;
  /// The reference does not overlap the first F0&B1 of the main loop on the
  /// ranks where the two directions meet.
  bool middle = false;
};

/// One rank of the reference: phase 0 is the rank's own direction (chunk 0
/// for DualPipeV), phase 1 the other.
class DualPipeRank {
public:
  DualPipeRank(ProgramBuilder &out, std::array<Chunk, 2> phases)
      : out(out), phases(phases) {}

  void forward(int phase) { out.compute(nextForward(phase)); }

  /// `splitWeight` is the reference's enable_zb: the input gradient runs now
  /// and the weight gradient joins the FIFO that weight() drains.
  void backward(int phase, bool splitWeight) {
    ComputeOp op = nextBackward(phase);
    if (!splitWeight) {
      out.compute(op);
      return;
    }
    out.compute(OpKind::I, op.stage, op.mb);
    deferredWeights.push_back(ComputeOp{OpKind::W, op.stage, op.mb});
  }

  void weight() {
    out.compute(deferredWeights.front());
    deferredWeights.pop_front();
  }

  void forwardBackward(int forwardPhase, int backwardPhase) {
    ComputeOp f = nextForward(forwardPhase);
    out.overlapped(f, nextBackward(backwardPhase));
  }

private:
  ComputeOp nextForward(int phase) {
    return {OpKind::F, phases[phase].stage,
            phases[phase].firstMb + forwardCursor[phase]++};
  }
  ComputeOp nextBackward(int phase) {
    return {OpKind::B, phases[phase].stage,
            phases[phase].firstMb + backwardCursor[phase]++};
  }

  ProgramBuilder &out;
  std::array<Chunk, 2> phases;
  std::array<int64_t, 2> forwardCursor = {0, 0};
  std::array<int64_t, 2> backwardCursor = {0, 0};
  std::deque<ComputeOp> deferredWeights;
};

// Step 6 runs 2(h+1) backwards alternating B1, B0; the later half of them is
// split so that their weight gradients fill the drain. The switch point is
// the reference's: before B1 of iteration (h+1)/2 when h is odd, before B0 of
// that iteration when h is even.
void drainBackwards(DualPipeRank &rank, int64_t h) {
  int64_t count = h + 1;
  bool split = false;
  for (int64_t i = 0; i < count; ++i) {
    if (i == count / 2 && h % 2 == 1)
      split = true;
    rank.backward(1, split);
    if (i == count / 2 && h % 2 == 0)
      split = true;
    rank.backward(0, split);
  }
}

void runReferenceSteps(DualPipeRank &rank, const RankShape &shape) {
  const int64_t bigH = shape.halfRanks, h = shape.halfRank;
  const int64_t outer = bigH - h - 1;

  // 1: the own direction runs ahead by two per hop from the middle.
  for (int64_t i = 0; i < 2 * outer; ++i)
    rank.forward(0);
  // 2: both directions alternate.
  for (int64_t i = 0; i < h + 1; ++i) {
    rank.forward(0);
    rank.forward(1);
  }
  // 3: zero-bubble backwards of the other direction, weights right behind.
  for (int64_t i = 0; i < outer; ++i) {
    rank.backward(1, /*splitWeight=*/true);
    rank.weight();
    rank.forward(1);
  }
  // 4: the main loop of overlapped forward/backward pairs.
  int64_t mainIterations = shape.chunksPerPhase - 2 * bigH + h + 1;
  for (int64_t i = 0; i < mainIterations; ++i) {
    if (i == 0 && shape.middle) {
      rank.forward(0);
      rank.backward(1, /*splitWeight=*/false);
    } else {
      rank.forwardBackward(0, 1);
    }
    rank.forwardBackward(1, 0);
  }
  // 5: the own direction's forwards run out.
  for (int64_t i = 0; i < outer; ++i) {
    rank.backward(1, /*splitWeight=*/false);
    rank.forwardBackward(1, 0);
  }
  // 6-8: remaining backwards, then the deferred weight gradients.
  drainBackwards(rank, h);
  for (int64_t i = 0; i < outer; ++i) {
    rank.weight();
    rank.backward(0, /*splitWeight=*/true);
  }
  for (int64_t i = 0; i < h + 1; ++i)
    rank.weight();
}

} // namespace

void generateDualPipe(const GenerateOptions &options, Schedule &schedule) {
  const int64_t p = options.ranks, n = options.microbatches;
  for (int64_t r = 0; r < p; ++r) {
    // Direction 0 enters at rank 0 with the first half of the micro-batches,
    // direction 1 at rank P-1 with the second; the second half of the ranks
    // treats direction 1 as its own (phase 0).
    Chunk direction0{r, 0};
    Chunk direction1{p - 1 - r, n / 2};
    bool secondHalf = r >= p / 2;
    std::array<Chunk, 2> phases =
        secondHalf ? std::array<Chunk, 2>{direction1, direction0}
                   : std::array<Chunk, 2>{direction0, direction1};
    RankShape shape{p / 2, std::min(r, p - 1 - r), n / 2, false};
    shape.middle = shape.halfRank == shape.halfRanks - 1;
    ProgramBuilder out(schedule.ranks[r], options);
    DualPipeRank rank(out, phases);
    runReferenceSteps(rank, shape);
  }
}

void generateDualPipeV(const GenerateOptions &options, Schedule &schedule) {
  const int64_t p = options.ranks, n = options.microbatches;
  for (int64_t r = 0; r < p; ++r) {
    // Chunk 0 walks down the V (stage r), chunk 1 back up (stage 2P-1-r);
    // both carry every micro-batch.
    std::array<Chunk, 2> phases{Chunk{r, 0}, Chunk{2 * p - 1 - r, 0}};
    RankShape shape{p, r, n, r == p - 1};
    ProgramBuilder out(schedule.ranks[r], options);
    DualPipeRank rank(out, phases);
    runReferenceSteps(rank, shape);
  }
}

} // namespace dualpipe::detail
