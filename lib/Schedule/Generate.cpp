//===- Generate.cpp - Option checking and dispatch to the generators ------===//
//
// All constraints live here so that the MLIR passes, the tools and the
// generators agree on one message per violation.
//
//===----------------------------------------------------------------------===//

#include "dualpipe/Schedule/Generate.h"
#include "GenerateKinds.h"

#include <algorithm>
#include <limits>

namespace dualpipe {

namespace {

std::string str(int64_t value) { return std::to_string(value); }

/// At most one finding: the first violated constraint.
using Check = std::vector<Finding>;

Check fail(std::string field, std::string message) {
  return {fieldFinding(std::move(field), std::move(message))};
}

/// The finding of a check on `field` that states its message in terms of
/// another option too: a note names the value of that one.
Check fail(std::string field, std::string message, const std::string &other,
           int64_t value) {
  Check check = fail(std::move(field), std::move(message));
  check.front().notes.push_back({other + " is " + str(value), {}, -1, other});
  return check;
}

Check failIf(std::string field, std::string message) {
  return message.empty() ? Check{} : fail(std::move(field), std::move(message));
}

Check checkCommonSizes(const GenerateOptions &options) {
  if (Check c = failIf("ranks",
                       checkPositiveAtMost("ranks", options.ranks, kMaxRanks));
      !c.empty())
    return c;
  return failIf("microbatches",
                checkPositiveAtMost("microbatches", options.microbatches,
                                    kMaxMicrobatches));
}

// Both DualPipe variants fill the pipeline from both ends before the steady
// phase, which needs two micro-batches per rank.
Check checkTwoPerRank(std::string_view name, const GenerateOptions &options) {
  if (options.microbatches < 2 * options.ranks)
    return fail("microbatches",
                std::string(name) + " requires microbatches >= 2 * ranks (" +
                    str(2 * options.ranks) + "), got " +
                    str(options.microbatches),
                "ranks", options.ranks);
  return {};
}

Check checkDualPipe(const GenerateOptions &options) {
  if (options.ranks % 2 != 0)
    return fail("ranks", "dualpipe requires an even number of ranks, got " +
                             str(options.ranks));
  if (Check c = checkTwoPerRank("dualpipe", options); !c.empty())
    return c;
  if (options.microbatches % 2 != 0)
    return fail("microbatches",
                "dualpipe requires an even number of microbatches, got " +
                    str(options.microbatches));
  return {};
}

// PyTorch's ScheduleInterleaved1F1B groups micro-batches into rounds of
// microbatches / rounds; the chunk rotation is only well formed when the
// rounds divide the micro-batches evenly.
Check checkInterleaved(const GenerateOptions &options) {
  int64_t v = options.virtualStages;
  if (v < 1)
    return fail("virtual-stages",
                "interleaved-1f1b requires virtualStages >= 1, got " + str(v));
  if (v > kMaxVirtualStages)
    return fail("virtual-stages",
                "interleaved-1f1b requires virtualStages <= " +
                    str(kMaxVirtualStages) + ", got " + str(v));
  if (v == 1)
    return {};
  int64_t rounds = std::max<int64_t>(1, options.microbatches / options.ranks);
  if (options.microbatches % rounds != 0)
    return fail("microbatches",
                "interleaved-1f1b requires microbatches to be a multiple of "
                "max(1, microbatches / ranks) (" +
                    str(rounds) + "), got " + str(options.microbatches),
                "ranks", options.ranks);
  return {};
}

Check checkAuto(const GenerateOptions &options) {
  if (options.maxActivations && *options.maxActivations < 1)
    return fail("max-activations", "auto requires max-activations >= 1, got " +
                                       str(*options.maxActivations));
  if (options.maxActivationBytes && !(*options.maxActivationBytes > 0))
    return fail("max-activation-bytes",
                "auto requires a positive max-activation-bytes");
  if (options.searchEvaluations < 0)
    return fail("search-evaluations",
                "auto requires search-evaluations >= 0, got " +
                    str(options.searchEvaluations));
  if (options.cost)
    if (std::string error = options.cost->validate(); !error.empty())
      return fail("cost", "auto: bad cost model: " + error);
  const std::vector<int64_t> &units = options.autoChunkUnits;
  if (!units.empty() && static_cast<int64_t>(units.size()) != options.ranks)
    return fail("layout", "auto: " + str(static_cast<int64_t>(units.size())) +
                              " chunk unit counts for " + str(options.ranks) +
                              " ranks");
  for (size_t c = 0; c < units.size(); ++c)
    if (units[c] < 1)
      return fail("layout", "auto: chunk " + str(static_cast<int64_t>(c)) +
                                " has " + str(units[c]) +
                                " units, fewer than 1");
  return {};
}

Check checkKindSizes(const GenerateOptions &options) {
  switch (options.kind) {
  case ScheduleKind::Auto:
    return checkAuto(options);
  case ScheduleKind::DualPipe:
    return checkDualPipe(options);
  case ScheduleKind::DualPipeV:
    return checkTwoPerRank("dualpipev", options);
  case ScheduleKind::Interleaved1F1B:
    return checkInterleaved(options);
  case ScheduleKind::OneFOneB:
  case ScheduleKind::ZBH1:
  case ScheduleKind::ZBV:
  case ScheduleKind::GPipe:
    return {};
  }
  return fail("kind", "unknown schedule kind");
}

} // namespace

int64_t stagesFor(ScheduleKind kind, int64_t ranks, int64_t virtualStages) {
  switch (placementFor(kind)) {
  case PlacementKind::Standard:
  case PlacementKind::Dual:
    return ranks;
  case PlacementKind::V:
    return saturatingMul(ranks, 2);
  case PlacementKind::Interleaved:
    return saturatingMul(ranks, virtualStages);
  }
  return ranks;
}

std::vector<Finding> checkGenerateOptions(const GenerateOptions &options) {
  if (Check c = checkCommonSizes(options); !c.empty())
    return c;
  if (Check c = checkKindSizes(options); !c.empty())
    return c;
  // auto may pick the V placement, which has twice the stages.
  return failIf("microbatches",
                checkProductAtMost("stages * microbatches",
                                   options.kind == ScheduleKind::Auto
                                       ? saturatingMul(options.ranks, 2)
                                       : stagesFor(options.kind, options.ranks,
                                                   options.virtualStages),
                                   options.microbatches,
                                   kMaxStageMicrobatches));
}

std::optional<Schedule> generateSchedule(const GenerateOptions &options,
                                         std::vector<Finding> &findings) {
  if (Check c = checkGenerateOptions(options); !c.empty()) {
    findings.insert(findings.end(), c.begin(), c.end());
    return std::nullopt;
  }

  Schedule schedule;
  schedule.kind = options.kind;
  schedule.placement.kind = placementFor(options.kind);
  schedule.placement.ranks = options.ranks;
  schedule.placement.stages =
      stagesFor(options.kind, options.ranks, options.virtualStages);
  schedule.placement.microbatches = options.microbatches;
  schedule.ranks.resize(options.ranks);

  switch (options.kind) {
  case ScheduleKind::DualPipe:
    detail::generateDualPipe(options, schedule);
    break;
  case ScheduleKind::DualPipeV:
    detail::generateDualPipeV(options, schedule);
    break;
  case ScheduleKind::OneFOneB:
    detail::generateOneFOneB(options, schedule);
    break;
  case ScheduleKind::Interleaved1F1B:
    detail::generateInterleaved1F1B(options, schedule);
    break;
  case ScheduleKind::ZBH1:
    detail::generateZBH1(options, schedule);
    break;
  case ScheduleKind::ZBV:
    detail::generateZBV(options, schedule);
    break;
  case ScheduleKind::GPipe:
    detail::generateGPipe(options, schedule);
    break;
  case ScheduleKind::Auto:
    if (std::string error = detail::generateAuto(options, schedule);
        !error.empty()) {
      // What auto cannot meet is the activation budget.
      findings.push_back(fieldFinding(
          options.maxActivations ? "max-activations" : "max-activation-bytes",
          std::move(error)));
      return std::nullopt;
    }
    break;
  }
  return schedule;
}

} // namespace dualpipe
