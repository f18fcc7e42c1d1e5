//===- GenerateZeroBubble.cpp - ZB-H1 and ZB-V ----------------------------===//
//
// Zero-bubble schedules of Qi et al. (arXiv 2401.10241) as PyTorch implements
// them: ZB-H1 is ScheduleInterleavedZeroBubble with one stage per rank, ZB-V
// is ScheduleZBVZeroBubble. Backwards are split into I (input gradient, on the
// critical path) and W (weight gradient, deferred into the bubbles).
//
// PyTorch's orders are fixed; the authors' own schedulers (sail-sg/zero-
// bubble-pipeline-parallelism, zb.py and zbv.py) are greedy and delay the Ws
// so that the chain of input gradients runs first, which PyTorch's ZB-V does
// not do below 2P-1 micro-batches. Each kind therefore also runs the list
// scheduler under the kind's memory limit and keeps whichever order the
// simulator finds faster under the costs (the published one on ties).
//
//===----------------------------------------------------------------------===//

#include "GenerateKinds.h"
#include "SearchSchedule.h"

#include <algorithm>

namespace dualpipe::detail {

namespace {

/// The greedy variants tried: how readily a W fills a wait, and which of a
/// rank's two stages' backwards goes first.
std::vector<ListPolicy> zeroBubblePolicies(int64_t maxActivations,
                                           bool twoStages) {
  std::vector<ListPolicy> policies;
  for (bool laterFirst : {true, false}) {
    if (!laterFirst && !twoStages)
      break;
    for (double slack : {1.0, 0.5, 0.0}) {
      ListPolicy policy;
      policy.maxActivations = maxActivations;
      policy.weightSlack = slack;
      policy.laterStageFirst = laterFirst;
      policies.push_back(policy);
    }
  }
  return policies;
}

void improveZeroBubble(const GenerateOptions &options, Schedule &schedule,
                       int64_t maxActivations, bool twoStages) {
  const Placement &p = schedule.placement;
  if (p.stages * p.microbatches > kMaxSearchedStageMicrobatches)
    return;
  // Inference keeps the training order's forwards, so search that order.
  Schedule training = schedule;
  if (options.forwardOnly) {
    GenerateOptions train = options;
    train.forwardOnly = false;
    std::vector<Finding> findings;
    std::optional<Schedule> full = generateSchedule(train, findings);
    if (!full)
      return;
    for (std::vector<Step> &steps : full->ranks)
      steps = forwardOnlySteps(steps);
    schedule.ranks = std::move(full->ranks);
    return;
  }
  CostModel cost = options.cost.value_or(CostModel{});
  std::vector<RankOrders> candidates =
      greedyOrders(p, cost, zeroBubblePolicies(maxActivations, twoStages));
  if (twoStages)
    for (RankOrders &order : authorsZBVOrders(p, cost))
      candidates.push_back(std::move(order));
  keepFastest(training, cost, std::move(candidates), maxActivations,
              options.searchEvaluations);
  schedule.ranks = std::move(training.ranks);
}

} // namespace

void generateZBH1(const GenerateOptions &options, Schedule &schedule) {
  const int64_t p = options.ranks, n = options.microbatches;
  for (int64_t r = 0; r < p; ++r) {
    LoopedRankPlan plan;
    plan.rank = r;
    plan.ranks = p;
    plan.microbatches = n;
    plan.microbatchesPerRound = n;
    // 1F1B's warmup keeps 1F1B's activation memory.
    plan.warmup = std::min(p - r - 1, n);
    plan.splitBackward = true;
    // Rank r's drain bubble is r backwards long; that many weight gradients
    // are held back to fill it.
    plan.weightDelay = r;
    ProgramBuilder out(schedule.ranks[r], options);
    appendLooped1F1B(plan, out);
  }
  // 1F1B's peak: P activations on rank 0.
  improveZeroBubble(options, schedule, p, /*twoStages=*/false);
}

namespace {

/// One rank of ScheduleZBVZeroBubble: chunk 0 is stage r (down the V), chunk 1
/// stage 2P-1-r (back up); each chunk numbers its F, I and W micro-batches in
/// order.
class ZBVRank {
public:
  ZBVRank(ProgramBuilder &out, int64_t ranks, int64_t rank,
          int64_t microbatches)
      : out(out),
        microbatches(microbatches), stage{rank, 2 * ranks - 1 - rank} {}

  void forward(int chunk) { emit(OpKind::F, chunk, forwards[chunk]++); }
  void input(int chunk) { emit(OpKind::I, chunk, inputs[chunk]++); }
  void weight(int chunk) { emit(OpKind::W, chunk, weights[chunk]++); }
  /// In the steady phase W follows its I immediately.
  void backward(int chunk) {
    input(chunk);
    weight(chunk);
  }

  int64_t forwardsDone(int chunk) const { return forwards[chunk]; }
  bool weightsPending(int chunk) const {
    return weights[chunk] < inputs[chunk];
  }

private:
  // The order is built for max(2P-1, N) micro-batches so that the pipeline
  // fills; the ones that do not exist are dropped, which keeps it executable
  // because no existing micro-batch depends on them.
  void emit(OpKind kind, int chunk, int64_t mb) {
    if (mb < microbatches)
      out.compute(kind, stage[chunk], mb);
  }

  ProgramBuilder &out;
  int64_t microbatches;
  int64_t stage[2];
  int64_t forwards[2] = {0, 0};
  int64_t inputs[2] = {0, 0};
  int64_t weights[2] = {0, 0};
};

void appendZBVRank(ZBVRank &rank, int64_t p, int64_t r, int64_t filled) {
  for (int64_t i = 0; i < 2 * (p - r) - 1; ++i)
    rank.forward(0);
  for (int64_t i = 0; i < r; ++i) {
    rank.forward(1);
    rank.forward(0);
  }
  for (int64_t i = 0; i < p - r; ++i) {
    rank.forward(1);
    rank.backward(1);
  }
  while (rank.forwardsDone(1) < rank.forwardsDone(0) ||
         rank.forwardsDone(0) < filled) {
    if (rank.forwardsDone(0) < filled)
      rank.forward(0);
    rank.backward(0);
    rank.forward(1);
    rank.backward(1);
  }
  // Cooldown: input gradients first, weight gradients fill the tail.
  for (int64_t i = 0; i < r; ++i) {
    rank.input(0);
    rank.input(1);
  }
  for (int64_t i = 0; i < p - r; ++i) {
    rank.input(0);
    rank.weight(0);
  }
  while (rank.weightsPending(1))
    rank.weight(1);
  while (rank.weightsPending(0))
    rank.weight(0);
}

} // namespace

void generateZBV(const GenerateOptions &options, Schedule &schedule) {
  const int64_t p = options.ranks, n = options.microbatches;
  const int64_t filled = std::max(2 * p - 1, n);
  for (int64_t r = 0; r < p; ++r) {
    ProgramBuilder out(schedule.ranks[r], options);
    ZBVRank rank(out, p, r, n);
    appendZBVRank(rank, p, r, filled);
  }
  // The authors' limit (zbv.py): 2P chunk activations per rank, 1F1B's
  // memory since each chunk holds half a rank's layers.
  improveZeroBubble(options, schedule, 2 * p, /*twoStages=*/true);
}

} // namespace dualpipe::detail
