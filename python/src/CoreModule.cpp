//===- CoreModule.cpp - dualpipe._core: the MLIR-free schedule core -------===//
//
// A thin layer over include/dualpipe/Schedule: every rule (generation,
// lowering, verification, simulation, reports, pictures, the planner and the
// program file) stays in the core library, so that Python and the CLIs give
// the same answers. Errors become ValueError with the core's message; the
// Pythonic API (keyword names, dataclasses) lives in python/dualpipe/.
//
//===----------------------------------------------------------------------===//
#include "dualpipe/Schedule/Generate.h"
#include "dualpipe/Schedule/Lower.h"
#include "dualpipe/Schedule/Plan.h"
#include "dualpipe/Schedule/ProgramJson.h"
#include "dualpipe/Schedule/Render.h"
#include "dualpipe/Schedule/Report.h"
#include "dualpipe/Schedule/TorchCsv.h"
#include "dualpipe/Schedule/TorchCsvComms.h"
#include "dualpipe/Schedule/Verify.h"

#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <optional>
#include <string>
#include <vector>

namespace py = pybind11;
using namespace dualpipe;

namespace {

[[noreturn]] void valueError(const std::string &message) {
  throw py::value_error(message);
}

/// Findings as lines, each naming its rank where the message does not.
/// The findings as the loader and the tools print them, one per line.
std::vector<std::string> findingLines(const std::vector<Finding> &findings) {
  std::vector<std::string> lines;
  for (const Finding &finding : findings)
    lines.push_back(findingText(finding));
  return lines;
}

std::string joinLines(const std::vector<std::string> &lines) {
  std::string out;
  for (const std::string &line : lines)
    out += (out.empty() ? "" : "\n") + line;
  return out;
}

/// `base` with the dualpipe-translate --cost overrides applied and checked.
CostModel withOverrides(CostModel base, const std::string &overrides) {
  std::string error = applyCostOverrides(base, overrides);
  if (error.empty())
    error = base.validate();
  if (!error.empty())
    valueError("costs: " + error);
  return base;
}

std::string kindName(const std::optional<ScheduleKind> &kind) {
  return kind ? std::string(toString(*kind)) : std::string();
}

/// A level-2 schedule.
struct CoreSchedule {
  Schedule schedule;

  std::optional<ScheduleKind> kind() const { return schedule.kind; }
  const Placement &placement() const { return schedule.placement; }

  SimResult simulate(const std::string &overrides) const {
    std::vector<Finding> findings;
    std::optional<SimResult> result =
        dualpipe::simulate(schedule, withOverrides({}, overrides), findings);
    if (!result)
      valueError("the schedule cannot be simulated:\n" +
                 joinLines(findingLines(findings)));
    return std::move(*result);
  }
};

/// A level-3 program, with the model of its program file when it has one.
struct CoreProgram {
  Program program;
  std::optional<ProgramFile> file;

  const Program &get() const { return file ? file->program : program; }
  std::optional<ScheduleKind> kind() const { return get().kind; }
  const Placement &placement() const { return get().placement; }

  /// The stages' compute costs from the program file, then the overrides.
  SimResult simulate(const std::string &overrides) const {
    CostModel base;
    if (file)
      for (const StageSpec &stage : file->stages) {
        StageCost cost;
        cost.f = stage.f;
        cost.b = stage.b;
        cost.w = stage.w;
        base.stages.push_back(cost);
      }
    std::vector<Finding> findings;
    std::optional<SimResult> result =
        dualpipe::simulate(get(), withOverrides(base, overrides), findings);
    if (!result)
      valueError("the program cannot be simulated:\n" +
                 joinLines(findingLines(findings)));
    return std::move(*result);
  }
};

struct ScheduleArgs {
  std::string kind;
  int64_t ranks = 0;
  int64_t microbatches = 0;
  int64_t virtualStages = 2;
  bool overlap = true;
  bool forwardOnly = false;
  std::string cost;
  std::optional<int64_t> maxActivations;
  std::string maxActivationBytes;
  int64_t searchEvaluations = 256;
};

/// pipe-generate-schedule on an empty module: the search kinds are timed
/// with the default costs plus `cost`.
CoreSchedule generate(const ScheduleArgs &args) {
  std::optional<ScheduleKind> kind = parseScheduleKind(args.kind);
  if (!kind) {
    std::string known;
    for (ScheduleKind k : allScheduleKinds())
      known +=
          std::string(known.empty() ? "" : ", ") + std::string(toString(k));
    valueError("kind: unknown schedule kind '" + args.kind +
               "' (known: " + known + ", auto)");
  }
  GenerateOptions options;
  options.kind = *kind;
  options.ranks = args.ranks;
  options.microbatches = args.microbatches;
  options.virtualStages = args.virtualStages;
  options.overlap = args.overlap;
  options.forwardOnly = args.forwardOnly;
  bool zeroBubble = *kind == ScheduleKind::ZBH1 || *kind == ScheduleKind::ZBV;
  if (zeroBubble || *kind == ScheduleKind::Auto)
    options.cost = withOverrides({}, args.cost);
  if (*kind == ScheduleKind::Auto) {
    options.maxActivations = args.maxActivations;
    if (!args.maxActivationBytes.empty()) {
      std::optional<double> bytes = parseByteSize(args.maxActivationBytes);
      if (!bytes || !(*bytes > 0))
        valueError("max_activation_bytes: expected a positive byte size such "
                   "as 16GiB, got '" +
                   args.maxActivationBytes + "'");
      options.maxActivationBytes = *bytes;
    }
    options.searchEvaluations = args.searchEvaluations;
    // A schedule made from options has no layout to record moved stage
    // boundaries in (as with dualpipe-opt on an empty module).
    options.autoCut = false;
  }
  std::vector<Finding> findings;
  std::optional<Schedule> schedule = generateSchedule(options, findings);
  if (!schedule)
    valueError(firstFindingText(findings));
  return {std::move(*schedule)};
}

CoreProgram lower(const CoreSchedule &schedule, const std::string &policyText,
                  int64_t lookahead) {
  std::optional<CommPolicy> policy = parseCommPolicy(policyText);
  if (!policy)
    valueError("policy: expected eager, reference or in-order, got '" +
               policyText + "'");
  std::vector<Finding> refused;
  std::optional<Program> program =
      lowerSchedule(schedule.schedule, {*policy, lookahead}, refused);
  if (!program)
    valueError("policy " + policyText + ": " + refused.front().message);
  // The matching the policy was made for, as pipe-lower verifies it.
  VerifyOptions verify;
  if (*policy == CommPolicy::InOrder)
    verify.matching = MessageMatching::InOrder;
  std::vector<Finding> findings = verifyProgram(*program, verify);
  if (!findings.empty())
    valueError("the lowered program does not verify:\n" +
               joinLines(findingLines(findings)));
  return {std::move(*program), std::nullopt};
}

CoreProgram coreProgramFromText(const std::string &text) {
  std::string error;
  std::optional<ProgramFile> file = programFromText(text, error);
  if (!file)
    valueError(error);
  return {Program{}, std::move(*file)};
}

std::string coreProgramToText(const CoreProgram &program) {
  if (!program.file)
    valueError("this program has no model (it was lowered from a bare "
               "schedule); only a compiled or loaded program can be saved");
  const ProgramFile &f = *program.file;
  return programToText(f.program, f.model, f.stages, f.message);
}

/// dualpipe-plan --json for the options.
std::string planText(int64_t ranks, int64_t microbatches, int64_t virtualStages,
                     const std::string &cost,
                     std::optional<int64_t> maxActivations,
                     const std::string &maxActivationBytes, bool json) {
  PlanOptions options;
  options.ranks = ranks;
  options.microbatches = microbatches;
  options.virtualStages = virtualStages;
  options.cost = withOverrides({}, cost);
  options.maxActivations = maxActivations;
  if (!maxActivationBytes.empty()) {
    std::optional<double> bytes = parseByteSize(maxActivationBytes);
    if (!bytes)
      valueError("max_activation_bytes: expected a byte size such as 16GiB, "
                 "got '" +
                 maxActivationBytes + "'");
    options.maxActivationBytes = *bytes;
  }
  std::vector<Finding> findings;
  std::optional<PlanResult> result = plan(options, findings);
  if (!result)
    valueError(firstFindingText(findings));
  return json ? renderPlanJson(*result) : renderPlanText(*result);
}

/// What schedules and programs both offer: the simulation's report and
/// pictures under cost overrides, and their kind and sizes.
template <typename T> void bindSimulationAndShape(py::class_<T> &cls) {
  cls.def("report_json",
          [](const T &x, const std::string &cost) {
            return renderReportJson(x.simulate(cost));
          })
      .def("report_text",
           [](const T &x, const std::string &cost) {
             return renderReportText(x.simulate(cost));
           })
      .def("svg",
           [](const T &x, const std::string &cost) {
             return renderSvg(x.simulate(cost));
           })
      .def("chrome_trace",
           [](const T &x, const std::string &cost) {
             return renderChromeTrace(x.simulate(cost));
           })
      .def_property_readonly("kind",
                             [](const T &x) { return kindName(x.kind()); })
      .def_property_readonly(
          "placement",
          [](const T &x) { return std::string(toString(x.placement().kind)); })
      .def_property_readonly("ranks",
                             [](const T &x) { return x.placement().ranks; })
      .def_property_readonly("stages",
                             [](const T &x) { return x.placement().stages; })
      .def_property_readonly("microbatches", [](const T &x) {
        return x.placement().microbatches;
      });
}

} // namespace

PYBIND11_MODULE(_core, m) {
  m.doc() = "dualpipe's MLIR-free schedule core (internal; use dualpipe)";

  py::class_<ScheduleArgs>(m, "ScheduleArgs")
      .def(py::init<>())
      .def_readwrite("kind", &ScheduleArgs::kind)
      .def_readwrite("ranks", &ScheduleArgs::ranks)
      .def_readwrite("microbatches", &ScheduleArgs::microbatches)
      .def_readwrite("virtual_stages", &ScheduleArgs::virtualStages)
      .def_readwrite("overlap", &ScheduleArgs::overlap)
      .def_readwrite("forward_only", &ScheduleArgs::forwardOnly)
      .def_readwrite("cost", &ScheduleArgs::cost)
      .def_readwrite("max_activations", &ScheduleArgs::maxActivations)
      .def_readwrite("max_activation_bytes", &ScheduleArgs::maxActivationBytes)
      .def_readwrite("search_evaluations", &ScheduleArgs::searchEvaluations);

  py::class_<CoreSchedule> schedule(m, "Schedule");
  schedule.def_static("generate", &generate)
      .def_static("from_torch_csv",
                  [](const std::string &text) {
                    std::vector<Finding> findings;
                    std::optional<Schedule> s = importTorchCsv(text, findings);
                    if (!s)
                      valueError(firstFindingText(findings));
                    return CoreSchedule{std::move(*s)};
                  })
      .def("torch_csv",
           [](const CoreSchedule &s) { return exportTorchCsv(s.schedule); })
      .def("verify",
           [](const CoreSchedule &s) {
             return findingLines(verifySchedule(s.schedule));
           })
      .def("lower", &lower);
  bindSimulationAndShape(schedule);

  py::class_<CoreProgram> program(m, "Program");
  program.def_static("from_json", &coreProgramFromText)
      .def("to_json", &coreProgramToText)
      .def_property_readonly(
          "has_model", [](const CoreProgram &p) { return p.file.has_value(); })
      .def("verify",
           [](const CoreProgram &p, const std::string &matchingText) {
             std::optional<MessageMatching> matching =
                 parseMessageMatching(matchingText);
             if (!matching)
               valueError("matching: expected by-key or in-order, got '" +
                          matchingText + "'");
             VerifyOptions options;
             options.matching = *matching;
             return findingLines(verifyProgram(p.get(), options));
           })
      .def("torch_csv",
           [](const CoreProgram &p) { return exportTorchCsvComms(p.get()); });
  bindSimulationAndShape(program);

  m.def("plan", &planText);
  m.def("kinds", [] {
    std::vector<std::string> names;
    for (ScheduleKind k : allScheduleKinds())
      names.emplace_back(toString(k));
    names.emplace_back(toString(ScheduleKind::Auto));
    return names;
  });
}
