//===- GenerateOneFOneB.cpp - 1F1B and interleaved 1F1B -------------------===//
//
// 1F1B is Megatron's PipeDream-flush (forward_backward_pipelining_without_
// interleaving). Interleaved 1F1B is PyTorch's ScheduleInterleaved1F1B, which
// is Megatron's virtual-pipeline order (depth first, chunks rotating every
// round of micro-batches) relaxed to micro-batch counts that are not a
// multiple of the ranks. Both, and ZB-H1, are one loop: appendLooped1F1B.
//
//===----------------------------------------------------------------------===//

#include "GenerateKinds.h"

#include <algorithm>
#include <deque>

namespace dualpipe::detail {

void appendLooped1F1B(const LoopedRankPlan &plan, ProgramBuilder &out) {
  const int64_t total = plan.localStages * plan.microbatches;
  // Per local stage: the next micro-batch its forward / backward takes.
  std::vector<int64_t> nextForward(plan.localStages, 0);
  std::vector<int64_t> nextBackward(plan.localStages, 0);
  std::deque<ComputeOp> deferredWeights;

  auto stageOf = [&](int64_t local) { return local * plan.ranks + plan.rank; };
  // Forwards walk the chunks upwards, backwards downwards, one round each.
  auto forward = [&](int64_t op) {
    int64_t local = (op / plan.microbatchesPerRound) % plan.localStages;
    out.compute(OpKind::F, stageOf(local), nextForward[local]++);
  };
  auto backward = [&](int64_t op) {
    int64_t round = (op - plan.warmup) / plan.microbatchesPerRound;
    int64_t local = plan.localStages - 1 - round % plan.localStages;
    int64_t mb = nextBackward[local]++;
    if (!plan.splitBackward) {
      out.compute(OpKind::B, stageOf(local), mb);
      return;
    }
    out.compute(OpKind::I, stageOf(local), mb);
    deferredWeights.push_back({OpKind::W, stageOf(local), mb});
    if (op - plan.warmup >= plan.weightDelay) {
      out.compute(deferredWeights.front());
      deferredWeights.pop_front();
    }
  };

  for (int64_t op = 0; op < plan.warmup; ++op)
    forward(op);
  for (int64_t op = plan.warmup; op < total; ++op) {
    forward(op);
    backward(op);
  }
  for (int64_t op = total; op < total + plan.warmup; ++op)
    backward(op);
  for (const ComputeOp &weight : deferredWeights)
    out.compute(weight);
}

void generateOneFOneB(const GenerateOptions &options, Schedule &schedule) {
  const int64_t p = options.ranks, n = options.microbatches;
  for (int64_t r = 0; r < p; ++r) {
    LoopedRankPlan plan;
    plan.rank = r;
    plan.ranks = p;
    plan.microbatches = n;
    plan.microbatchesPerRound = n;
    // One forward in flight per downstream rank.
    plan.warmup = std::min(p - r - 1, n);
    ProgramBuilder out(schedule.ranks[r], options);
    appendLooped1F1B(plan, out);
  }
}

void generateInterleaved1F1B(const GenerateOptions &options,
                             Schedule &schedule) {
  // Megatron runs the non-interleaved schedule when there is one chunk per
  // rank; PyTorch's interleaved warmup would hold P-1-r extra activations.
  if (options.virtualStages == 1) {
    generateOneFOneB(options, schedule);
    return;
  }
  const int64_t p = options.ranks, n = options.microbatches;
  const int64_t v = options.virtualStages;
  const int64_t rounds = std::max<int64_t>(1, n / p);
  const int64_t perRound = n / rounds;
  for (int64_t r = 0; r < p; ++r) {
    LoopedRankPlan plan;
    plan.rank = r;
    plan.ranks = p;
    plan.localStages = v;
    plan.microbatches = n;
    plan.microbatchesPerRound = perRound;
    // All chunks but the last get one round ahead; each hop from the last
    // rank adds two so that the steady phase lines up across ranks.
    plan.warmup = std::min((v - 1) * perRound + 2 * (p - 1 - r), n * v);
    ProgramBuilder out(schedule.ranks[r], options);
    appendLooped1F1B(plan, out);
  }
}

} // namespace dualpipe::detail
