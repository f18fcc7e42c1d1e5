//===- Plan.cpp - Pick a schedule kind for sizes, costs and memory --------===//

#include "dualpipe/Schedule/Plan.h"
#include "dualpipe/Schedule/Generate.h"
#include "dualpipe/Schedule/Report.h"
#include "dualpipe/Schedule/Simulate.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <tuple>

namespace dualpipe {

namespace {

/// The fixed kinds, then auto (searched for the same costs and budget).
std::vector<ScheduleKind> kindsOf(const PlanOptions &options) {
  if (!options.kinds.empty())
    return options.kinds;
  std::vector<ScheduleKind> kinds = allScheduleKinds();
  kinds.push_back(ScheduleKind::Auto);
  return kinds;
}

GenerateOptions generateOptionsFor(const PlanOptions &options,
                                   ScheduleKind kind) {
  GenerateOptions g{kind, options.ranks, options.microbatches};
  g.virtualStages = options.virtualStages;
  if (kind == ScheduleKind::Auto) {
    g.cost = options.cost;
    g.maxActivations = options.maxActivations;
    g.maxActivationBytes = options.maxActivationBytes;
  }
  return g;
}

/// Where the stages of `schedule` begin and end, in rank-sized chunks of
/// the model: stages + 1 bounds from 0 to ranks.
std::vector<double> stageBounds(const Schedule &schedule) {
  const Placement &p = schedule.placement;
  std::vector<double> bounds = {0};
  if (schedule.cut.empty()) {
    for (int64_t s = 1; s <= p.stages; ++s)
      bounds.push_back(static_cast<double>(s) * p.ranks / p.stages);
    return bounds;
  }
  const StageCut &cut = schedule.cut;
  size_t chunk = 0;
  int64_t before = 0; // units of the chunks before `chunk`
  int64_t end = 0;
  for (int64_t units : cut.stageUnits) {
    end += units;
    while (chunk + 1 < cut.chunkUnits.size() &&
           end >= before + cut.chunkUnits[chunk]) {
      before += cut.chunkUnits[chunk];
      ++chunk;
    }
    bounds.push_back(static_cast<double>(chunk) +
                     static_cast<double>(end - before) /
                         static_cast<double>(cut.chunkUnits[chunk]));
  }
  return bounds;
}

/// Inner stage bounds the text lists at each end of a long pipeline; the
/// JSON has all of them.
constexpr size_t kBoundsShownPerEnd = 6;

/// "0.833, 2.17": the inner stage bounds, if some is not at an even share
/// of a chunk (a long list elided in the middle); else empty.
std::string movedBoundsText(const PlanCandidate &c, int64_t ranks) {
  if (c.stageBounds.size() < 2 || ranks < 1)
    return "";
  size_t stages = c.stageBounds.size() - 1;
  size_t inner = stages - 1;
  bool moved = false;
  for (size_t s = 1; s < stages; ++s) {
    double even = static_cast<double>(s) * ranks / stages;
    moved |= std::abs(c.stageBounds[s] - even) > 1e-9;
  }
  if (!moved)
    return "";
  std::string text;
  for (size_t s = 1; s < stages; ++s) {
    bool elided = inner > 2 * kBoundsShownPerEnd && s > kBoundsShownPerEnd &&
                  s + kBoundsShownPerEnd < stages;
    if (elided) {
      if (s == kBoundsShownPerEnd + 1)
        text += ", ...";
      continue;
    }
    text += (s > 1 ? ", " : "") + formatQuantity(c.stageBounds[s]);
  }
  if (inner > 2 * kBoundsShownPerEnd)
    text += " (" + std::to_string(inner) + " bounds; --json lists them all)";
  return text;
}

void summarize(const SimResult &sim, PlanCandidate &c) {
  c.makespan = sim.makespan;
  c.bubbleRatio = sim.bubbleRatio;
  c.maxBubble = sim.maxBubble;
  int64_t held = 0;
  for (const RankStats &s : sim.ranks) {
    c.peakActivations = std::max(c.peakActivations, s.peakActivations);
    c.peakActivationBytes =
        std::max(c.peakActivationBytes, s.peakActivationBytes);
    c.maxParamBytes = std::max(c.maxParamBytes, s.paramBytes);
    held += s.stagesHeld;
  }
  c.paramCopies =
      c.stages > 0 ? static_cast<double>(held) / static_cast<double>(c.stages)
                   : 0;
}

void checkBudget(const PlanOptions &options, PlanCandidate &c) {
  if (options.maxActivations && c.peakActivations > *options.maxActivations)
    c.overBudget = "peak activations " + std::to_string(c.peakActivations) +
                   " > " + std::to_string(*options.maxActivations);
  else if (options.maxActivationBytes &&
           c.peakActivationBytes > *options.maxActivationBytes)
    c.overBudget = "peak activation bytes " +
                   formatBytes(c.peakActivationBytes) + " > " +
                   formatBytes(*options.maxActivationBytes);
  c.fits = c.overBudget.empty();
}

/// Simulates one kind; false (with a finding) only if the simulator rejects
/// a generated schedule or auto's cut does not fit it, which would be a bug
/// in a generator or the lowering.
bool evaluate(const PlanOptions &options, PlanCandidate &c,
              std::vector<Finding> &findings) {
  GenerateOptions g = generateOptionsFor(options, c.kind);
  c.stages = stagesFor(c.kind, options.ranks, options.virtualStages);
  std::vector<Finding> why;
  std::optional<Schedule> schedule = generateSchedule(g, why);
  if (!schedule) {
    c.skipped = firstFindingText(why);
    return true;
  }
  c.stages = schedule->placement.stages; // auto's depends on its placement
  if (std::string bad = schedule->cut.empty()
                            ? ""
                            : schedule->cut.check(options.ranks, c.stages);
      !bad.empty()) {
    findings.push_back(Finding{std::string(toString(c.kind)) + ": " + bad});
    return false;
  }
  CostModel cost = scheduleCosts(options.cost, *schedule);
  c.stageBounds = stageBounds(*schedule);
  std::vector<Finding> replay;
  std::optional<SimResult> sim = simulate(*schedule, cost, replay);
  if (!sim) {
    findings.push_back(
        Finding{std::string(toString(c.kind)) + ": " + joinFindings(replay)});
    return false;
  }
  summarize(*sim, c);
  checkBudget(options, c);
  return true;
}

/// Lowest makespan; ties go to less activation memory, then fewer parameter
/// copies, then the earlier kind.
bool better(const PlanCandidate &a, const PlanCandidate &b) {
  return std::tie(a.makespan, a.peakActivationBytes, a.peakActivations,
                  a.paramCopies) < std::tie(b.makespan, b.peakActivationBytes,
                                            b.peakActivations, b.paramCopies);
}

void recommend(PlanResult &result) {
  const PlanCandidate *best = nullptr;
  size_t simulated = 0;
  for (const PlanCandidate &c : result.candidates) {
    if (!c.skipped.empty())
      continue;
    ++simulated;
    if (c.fits && (!best || better(c, *best)))
      best = &c;
  }
  if (!best) {
    result.reason = simulated == 0 ? "no kind applies to these sizes"
                                   : "no kind fits the memory budget";
    return;
  }
  result.recommended = best->kind;
  bool budget =
      result.options.maxActivations || result.options.maxActivationBytes;
  result.reason = std::string(toString(best->kind)) + ": lowest makespan (" +
                  formatQuantity(best->makespan) + ")" +
                  (budget ? " within the memory budget" : "");
  std::string tied;
  for (const PlanCandidate &c : result.candidates)
    if (&c != best && c.skipped.empty() && c.fits &&
        c.makespan == best->makespan)
      tied += (tied.empty() ? "" : ", ") + std::string(toString(c.kind));
  if (!tied.empty())
    result.reason += "; less activation memory than " + tied;
}

std::string percent(double ratio) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.2f%%", ratio * 100);
  return buf;
}

} // namespace

std::vector<Finding> checkPlanOptions(const PlanOptions &options) {
  auto fail = [](std::string field, std::string message) {
    return std::vector<Finding>{
        fieldFinding(std::move(field), std::move(message))};
  };
  if (options.ranks < 1)
    return fail("ranks",
                "ranks must be >= 1, got " + std::to_string(options.ranks));
  if (options.microbatches < 1)
    return fail("microbatches", "micro-batches must be >= 1, got " +
                                    std::to_string(options.microbatches));
  if (options.virtualStages < 1)
    return fail("virtual-stages", "virtual stages must be >= 1, got " +
                                      std::to_string(options.virtualStages));
  if (std::string err = options.cost.validate(); !err.empty())
    return fail("cost", "invalid cost model: " + err);
  if (options.maxActivations && *options.maxActivations < 0)
    return fail("max-activations", "max activations must be >= 0, got " +
                                       std::to_string(*options.maxActivations));
  if (options.maxActivationBytes && !(*options.maxActivationBytes >= 0))
    return fail("max-activation-bytes",
                "max activation bytes must be >= 0, got " +
                    formatQuantity(*options.maxActivationBytes));
  return {};
}

std::optional<PlanResult> plan(const PlanOptions &options,
                               std::vector<Finding> &findings) {
  if (std::vector<Finding> bad = checkPlanOptions(options); !bad.empty()) {
    findings.insert(findings.end(), bad.begin(), bad.end());
    return std::nullopt;
  }
  PlanResult result;
  result.options = options;
  std::vector<ScheduleKind> kinds = kindsOf(options);
  for (size_t i = 0; i < kinds.size(); ++i) {
    ScheduleKind kind = kinds[i];
    if (options.progress)
      options.progress(kind, i, kinds.size());
    PlanCandidate c;
    c.kind = kind;
    if (!evaluate(options, c, findings))
      return std::nullopt;
    result.candidates.push_back(std::move(c));
  }
  recommend(result);
  return result;
}

std::string renderPlanText(const PlanResult &result) {
  const PlanOptions &o = result.options;
  std::string out = std::to_string(o.ranks) + " ranks, " +
                    std::to_string(o.microbatches) + " micro-batches";
  if (o.maxActivations)
    out += ", at most " + std::to_string(*o.maxActivations) +
           " live activations per rank";
  if (o.maxActivationBytes)
    out += ", at most " + formatBytes(*o.maxActivationBytes) +
           " of activations per rank";
  out += "\n";
  std::vector<std::vector<std::string>> rows;
  std::string skipped;
  for (const PlanCandidate &c : result.candidates) {
    if (!c.skipped.empty()) {
      skipped += "  " + std::string(toString(c.kind)) + ": " + c.skipped + "\n";
      continue;
    }
    bool chosen = result.recommended && *result.recommended == c.kind;
    rows.push_back({std::string(toString(c.kind)) + (chosen ? " *" : ""),
                    std::to_string(c.stages), formatQuantity(c.makespan),
                    percent(c.bubbleRatio), formatQuantity(c.maxBubble),
                    std::to_string(c.peakActivations),
                    formatBytes(c.peakActivationBytes),
                    formatQuantity(c.paramCopies),
                    c.fits ? "yes" : "no (" + c.overBudget + ")"});
  }
  if (!rows.empty())
    out += renderTable({"kind", "stages", "makespan", "bubble", "max bubble",
                        "peak act", "peak act bytes", "param copies", "fits"},
                       rows, {0, 8});
  for (const PlanCandidate &c : result.candidates)
    if (std::string bounds = movedBoundsText(c, o.ranks); !bounds.empty())
      out += std::string(toString(c.kind)) +
             " moves the stage boundaries (in rank-sized chunks of the "
             "model) to " +
             bounds + "\n";
  if (!skipped.empty())
    out += "skipped:\n" + skipped;
  out += result.recommended ? "recommended: " + result.reason + "\n"
                            : "no recommendation: " + result.reason + "\n";
  return out;
}

static nlohmann::json planJson(const PlanResult &result) {
  const PlanOptions &o = result.options;
  auto optional = [](const auto &v) {
    return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
  };
  nlohmann::json candidates = nlohmann::json::array();
  nlohmann::json skipped = nlohmann::json::array();
  for (const PlanCandidate &c : result.candidates) {
    std::string kind(toString(c.kind));
    if (!c.skipped.empty()) {
      skipped.push_back({{"kind", kind}, {"reason", c.skipped}});
      continue;
    }
    candidates.push_back({{"kind", kind},
                          {"stages", c.stages},
                          {"stage_bounds", c.stageBounds},
                          {"makespan", c.makespan},
                          {"bubble_ratio", c.bubbleRatio},
                          {"max_bubble", c.maxBubble},
                          {"peak_activations", c.peakActivations},
                          {"peak_activation_bytes", c.peakActivationBytes},
                          {"param_copies", c.paramCopies},
                          {"max_param_bytes", c.maxParamBytes},
                          {"fits", c.fits},
                          {"over_budget", c.overBudget}});
  }
  return {{"ranks", o.ranks},
          {"microbatches", o.microbatches},
          {"virtual_stages", o.virtualStages},
          {"budget",
           {{"max_activations", optional(o.maxActivations)},
            {"max_activation_bytes", optional(o.maxActivationBytes)}}},
          {"candidates", std::move(candidates)},
          {"skipped", std::move(skipped)},
          {"recommended",
           result.recommended
               ? nlohmann::json(std::string(toString(*result.recommended)))
               : nlohmann::json(nullptr)},
          {"reason", result.reason}};
}

std::string renderPlanJson(const PlanResult &result, int indent) {
  return planJson(result).dump(indent);
}

} // namespace dualpipe
