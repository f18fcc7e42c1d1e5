//===- GenerateAuto.cpp - kind=auto: a schedule searched for the costs ----===//
//
// Three rounds, each scored by the simulator under the same budget:
//  1. every fixed kind the sizes allow (the floor: auto is never slower than
//     the best of them that fits);
//  2. the list scheduler on the standard, V, dual and interleaved
//     placements (autoPlacements: two stages per rank, and deeper where
//     that balances the ranks' work), each with the model cut evenly and,
//     on unequal chunks, where the ranks' work balances (balancedCut),
//     with split or full backwards, with or
//     without overlapped pairs, with several W rules, forward orders
//     (ready first or depth-first), backward tie-breaks and memory limits;
//     its own timing ranks the variants and only the most promising are
//     simulated;
//  3. local improvement of the best order found.
// Large sizes try fewer policies and replay fewer orders (the constants
// below), so that the planner stays usable at thousands of ranks.
// The costs are given per rank-sized chunk of the model (one stage per rank,
// as the planner takes them); the placements cut the same model into their
// stages, evenly (splitStages) or where the cut balances them (cutStages).
//
//===----------------------------------------------------------------------===//

#include "AutoPlacements.h"
#include "GenerateKinds.h"
#include "ImproveSchedule.h"
#include "SearchSchedule.h"

#include "dualpipe/Schedule/Limits.h"

#include <algorithm>

namespace dualpipe::detail {

namespace {

constexpr double kEps = 1e-9;
/// Greedy variants simulated after ranking them by their own timing.
constexpr size_t kSimulatedVariants = 4;
/// Steps local improvement may replay in all (evaluations x schedule
/// steps): the evaluation count alone would make large schedules take
/// minutes. A count, so the result still depends only on the input.
constexpr int64_t kImproveReplaySteps = int64_t(1) << 23;
/// Above this many stage x micro-batch pairs a placement tries only the
/// policies that win most often (split backwards, W only into waits it
/// fits, later stage first): each greedy run is linear in the size.
constexpr int64_t kWideSearchStageMicrobatches = int64_t(1) << 14;
// Interleaving deeper than two stages per rank is tried only up to the wide
// size, so the bound checkGenerateOptions puts on auto (2P stages) covers
// every placement searched.
static_assert(kWideSearchStageMicrobatches <= kMaxStageMicrobatches);

struct Budget {
  int64_t activations = std::numeric_limits<int64_t>::max();
  double bytes = std::numeric_limits<double>::infinity();
  bool fits(const Score &score) const {
    return score.peakActivations <= activations &&
           score.peakActivationBytes <= bytes * (1 + kEps);
  }
};

bool hasPairCost(const CostModel &cost) {
  if (cost.uniform.fb)
    return true;
  return std::any_of(cost.stages.begin(), cost.stages.end(),
                     [](const StageCost &s) { return s.fb.has_value(); });
}

class AutoSearch {
public:
  AutoSearch(const GenerateOptions &options)
      : options(options), chunks(options.cost.value_or(CostModel{})) {
    if (options.maxActivations)
      budget.activations = *options.maxActivations;
    if (options.maxActivationBytes)
      budget.bytes = *options.maxActivationBytes;
  }

  std::string run(Schedule &schedule) {
    seedFixedKinds();
    searchPlacements();
    improveBest();
    if (!best)
      return "no schedule fits the activation budget (" + describeBudget() +
             ") on " + std::to_string(options.ranks) + " ranks";
    schedule.placement = best->placement;
    schedule.ranks = std::move(best->ranks);
    schedule.cut = std::move(best->cut);
    return "";
  }

private:
  bool allowed(PlacementKind kind) const {
    return options.autoPlacements.empty() ||
           std::find(options.autoPlacements.begin(),
                     options.autoPlacements.end(),
                     kind) != options.autoPlacements.end();
  }

  CostModel costFor(const Schedule &schedule) const {
    return scheduleCosts(chunks, schedule);
  }

  void consider(Schedule candidate, const CostModel &cost) {
    if (best &&
        cannotBeat(replayMakespan(candidate, cost), bestScore.makespan - kEps))
      return;
    std::optional<Score> score = scoreSchedule(candidate, cost);
    if (!score || !budget.fits(*score))
      return;
    if (best && score->makespan >= bestScore.makespan - kEps)
      return;
    bestScore = *score;
    best = std::move(candidate);
  }

  void seedFixedKinds() {
    for (ScheduleKind kind : allScheduleKinds()) {
      GenerateOptions fixed = options;
      fixed.kind = kind;
      fixed.forwardOnly = false;
      int64_t stages = stagesFor(kind, options.ranks, options.virtualStages);
      if (!allowed(placementFor(kind)) || !checkGenerateOptions(fixed).empty())
        continue;
      fixed.cost = splitStages(chunks, options.ranks, stages);
      std::vector<Finding> findings;
      if (std::optional<Schedule> s = generateSchedule(fixed, findings))
        consider(std::move(*s), *fixed.cost);
    }
  }

  /// Whether the search tries `p`: a full backward leaves no W to place,
  /// a standard placement has no second stage on a rank to order, and
  /// large sizes try only the rules that win most often (both forward
  /// orders among them).
  static bool searched(const ListPolicy &p, bool multiStage, bool wide) {
    bool defaultW = p.weightSlack == 1.0;
    if (!p.splitBackward && !defaultW)
      return false;
    if (!multiStage && (p.depthFirst || !p.laterStageFirst))
      return false;
    return wide || (p.splitBackward && defaultW && p.laterStageFirst);
  }

  /// balancedCut, once for the standard and dual placements, which share
  /// it (its table grows with ranks x units).
  StageCut cutFor(const Placement &placement) {
    if (placement.kind != PlacementKind::Standard &&
        placement.kind != PlacementKind::Dual)
      return balancedCut(chunks, placement, options.autoChunkUnits);
    if (!oneStagePerRankCut)
      oneStagePerRankCut =
          balancedCut(chunks, placement, options.autoChunkUnits);
    return *oneStagePerRankCut;
  }

  std::vector<ListPolicy> policiesFor(const Placement &placement,
                                      const CostModel &cost) const {
    PlacementKind kind = placement.kind;
    bool multiStage = kind != PlacementKind::Standard;
    bool wide =
        placement.stages * options.microbatches <= kWideSearchStageMicrobatches;
    std::vector<int64_t> limits = {budget.activations};
    // The fixed kinds' own limits, which can beat filling all memory.
    int64_t natural =
        kind == PlacementKind::V ? 2 * options.ranks : options.ranks + 1;
    if (natural < budget.activations)
      limits.push_back(natural);
    std::vector<ListPolicy> policies;
    ListPolicy policy;
    policy.maxActivationBytes = budget.bytes;
    for (int64_t limit : limits)
      for (bool pairs : {false, true}) {
        if (pairs && (!options.overlap || !hasPairCost(cost)))
          continue;
        for (bool split : {true, false})
          for (double slack : {1.0, 0.5, 0.0})
            for (bool laterFirst : {true, false})
              for (bool depthFirst : {false, true}) {
                policy.maxActivations = limit;
                policy.pairs = pairs;
                policy.splitBackward = split;
                policy.weightSlack = slack;
                policy.laterStageFirst = laterFirst;
                policy.depthFirst = depthFirst;
                if (searched(policy, multiStage, wide))
                  policies.push_back(policy);
              }
      }
    return policies;
  }

  void searchPlacements() {
    struct Variant {
      double predicted;
      size_t order;
      Schedule schedule;
    };
    std::vector<Variant> variants;
    auto ahead = [](const Variant &a, const Variant &b) {
      return a.predicted != b.predicted ? a.predicted < b.predicted
                                        : a.order < b.order;
    };
    size_t made = 0;
    // Deeper interleaving multiplies the ops; only small sizes afford it.
    int64_t deepest = options.autoMaxVirtualStages > 0
                          ? options.autoMaxVirtualStages
                          : kMaxAutoVirtualStages;
    if (options.ranks * kMaxAutoVirtualStages * options.microbatches >
        kWideSearchStageMicrobatches)
      deepest = 2;
    for (const Placement &placement :
         autoPlacements(chunks, options.ranks, options.microbatches, deepest)) {
      if (!allowed(placement.kind) || !placement.checkSizes().empty())
        continue;
      Schedule shape;
      shape.kind = ScheduleKind::Auto;
      shape.placement = placement;
      std::vector<Schedule> cuts = {shape};
      if (options.autoCut)
        shape.cut = cutFor(placement);
      if (!shape.cut.empty())
        cuts.push_back(shape);
      for (const Schedule &cut : cuts) {
        CostModel cost = costFor(cut);
        for (const ListPolicy &policy : policiesFor(placement, cost)) {
          std::optional<ListResult> greedy =
              listSchedule(placement, cost, policy);
          if (!greedy)
            continue;
          Schedule s = cut;
          s.ranks = std::move(greedy->ranks);
          variants.push_back({greedy->makespan, made++, std::move(s)});
          // Only the most promising few are kept: every variant holds a
          // whole schedule, and large sizes have dozens of policies.
          std::stable_sort(variants.begin(), variants.end(), ahead);
          if (variants.size() > kSimulatedVariants)
            variants.pop_back();
        }
      }
    }
    for (size_t i = 0; i < variants.size() && i < kSimulatedVariants; ++i) {
      CostModel cost = costFor(variants[i].schedule);
      consider(std::move(variants[i].schedule), cost);
    }
  }

  void improveBest() {
    if (!best || options.searchEvaluations <= 0)
      return;
    Schedule candidate = *best;
    ImproveLimits limits;
    limits.maxActivations = budget.activations;
    limits.maxActivationBytes = budget.bytes;
    int64_t steps = 1;
    for (const std::vector<Step> &rank : candidate.ranks)
      steps += static_cast<int64_t>(rank.size());
    limits.evaluations =
        std::min(options.searchEvaluations,
                 std::max<int64_t>(1, kImproveReplaySteps / steps));
    CostModel cost = costFor(candidate);
    improveSchedule(candidate, cost, limits);
    consider(std::move(candidate), cost);
  }

  std::string describeBudget() const {
    std::string text;
    if (options.maxActivations)
      text = "max-activations " + std::to_string(*options.maxActivations);
    if (options.maxActivationBytes)
      text += (text.empty() ? "" : ", ") +
              std::string("max-activation-bytes ") +
              std::to_string(*options.maxActivationBytes);
    return text.empty() ? "none" : text;
  }

  const GenerateOptions &options;
  CostModel chunks;
  Budget budget;
  std::optional<Schedule> best;
  Score bestScore;
  std::optional<StageCut> oneStagePerRankCut;
};

} // namespace

std::string generateAuto(const GenerateOptions &options, Schedule &schedule) {
  std::string error = AutoSearch(options).run(schedule);
  if (!error.empty() || !options.forwardOnly)
    return error;
  for (std::vector<Step> &steps : schedule.ranks)
    steps = forwardOnlySteps(steps);
  return "";
}

} // namespace dualpipe::detail
