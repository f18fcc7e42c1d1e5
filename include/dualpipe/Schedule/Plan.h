//===- Plan.h - Pick a schedule kind for sizes, costs and memory -*- C++
//-*-===//
//
// Generates, lowers (eager policy) and simulates every applicable schedule
// kind, auto (searched for the same costs and budget) last, for one model
// on a fixed number of ranks and recommends the fastest one that fits a
// memory budget. The costs describe the model cut into
// `ranks` equal chunks (one stage per rank, as 1F1B runs it); kinds with
// more stages split each chunk evenly (splitStages), and auto may move the
// stage boundaries (cutStages), so all kinds run the same model.
// docs/cost-model.md shows real output.
//
//===----------------------------------------------------------------------===//
#ifndef DUALPIPE_SCHEDULE_PLAN_H
#define DUALPIPE_SCHEDULE_PLAN_H

#include "dualpipe/Schedule/Cost.h"
#include "dualpipe/Schedule/Schedule.h"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace dualpipe {

struct PlanOptions {
  int64_t ranks = 0;
  int64_t microbatches = 0;
  int64_t virtualStages = 2; // interleaved-1f1b
  CostModel cost;            // per rank-sized chunk of the model
  /// Budget on the peak live activations of any rank (count of stage
  /// activations; a kind with more stages stores smaller ones).
  std::optional<int64_t> maxActivations;
  /// Budget on the peak live activation bytes of any rank.
  std::optional<double> maxActivationBytes;
  /// Kinds to consider; empty means every fixed kind, then auto.
  std::vector<ScheduleKind> kinds;
  /// Called before each kind is generated and simulated (the planner's
  /// front prints it when a plan takes long); may be empty.
  std::function<void(ScheduleKind kind, size_t index, size_t count)> progress;
};

struct PlanCandidate {
  ScheduleKind kind = ScheduleKind::OneFOneB;
  int64_t stages = 0;
  /// Where each stage begins and ends in the model, in rank-sized chunks:
  /// stages + 1 bounds from 0 to ranks, evenly spaced unless auto moved
  /// them (Schedule::cut).
  std::vector<double> stageBounds;
  /// Why the kind was not simulated (its constraints fail); empty if it was.
  std::string skipped;
  double makespan = 0;
  double bubbleRatio = 0;
  double maxBubble = 0;
  int64_t peakActivations = 0;    // max over ranks
  double peakActivationBytes = 0; // max over ranks
  double paramCopies = 0;         // stage copies held / stages (DualPipe 2)
  double maxParamBytes = 0;       // max over ranks
  bool fits = false;              // within the memory budget
  /// Which budget it exceeds, e.g. "peak activations 9 > 8"; empty if fits.
  std::string overBudget;
};

struct PlanResult {
  PlanOptions options;
  std::vector<PlanCandidate> candidates; // in allScheduleKinds() order
  std::optional<ScheduleKind> recommended;
  /// One line on the choice, e.g. "dualpipe: lowest makespan (66) within
  /// the budget".
  std::string reason;
};

/// Empty if the options can be planned, else why not, as one finding on the
/// option (Finding::field: "ranks", "microbatches", "virtual-stages",
/// "cost", "max-activations", "max-activation-bytes").
std::vector<Finding> checkPlanOptions(const PlanOptions &options);

/// Plans; returns nullopt and appends a finding if checkPlanOptions fails or
/// a generated schedule cannot be simulated (a bug elsewhere, reported with
/// the simulator's findings).
std::optional<PlanResult> plan(const PlanOptions &options,
                               std::vector<Finding> &findings);

/// The table of candidates, the skipped kinds with reasons and the
/// recommendation, ending with a newline.
std::string renderPlanText(const PlanResult &result);

/// {ranks, microbatches, virtual_stages, budget: {max_activations,
///  max_activation_bytes}, candidates: [{kind, stages, makespan,
///  bubble_ratio, max_bubble, peak_activations, peak_activation_bytes,
///  param_copies, max_param_bytes, fits, over_budget}], skipped: [{kind,
///  reason}], recommended, reason}; absent budgets and no recommendation are
/// null. As JSON text on one line, or indented by `indent` spaces.
std::string renderPlanJson(const PlanResult &result, int indent = -1);

} // namespace dualpipe

#endif // DUALPIPE_SCHEDULE_PLAN_H
