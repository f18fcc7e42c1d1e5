//===- RuntimeModule.cpp - dualpipe._runtime: training in this process ----===//
//
// Runs a program file's ranks as threads of the Python process with the same
// runThreads that dualpipe-run calls, so that a run from Python and one from
// the CLI compute bitwise the same losses. The GIL is released for the whole
// run: the ranks never call back into Python. Linked against libtorch_python
// so that the extension shares the torch that `import torch` loaded.
//
//===----------------------------------------------------------------------===//
#include "dualpipe/Runtime/Device.h"
#include "dualpipe/Runtime/Runner.h"

#include <torch/extension.h>

#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <chrono>
#include <cmath>
#include <string>
#include <vector>

namespace py = pybind11;
using namespace dualpipe;
using namespace dualpipe::runtime;

namespace {

struct TrainArgs {
  std::string programJson;
  std::string baseDir;
  int64_t steps = 1;
  bool check = false;
  double timeoutSeconds = 60;
  std::string device = "cpu";
};

struct TrainOutcome {
  std::string error; // the runtime's message; empty on success
  std::vector<double> stepLosses;
  std::vector<std::vector<double>> microbatchLosses;
  /// Wall time of each step, as rank 0 saw it complete.
  std::vector<double> stepSeconds;
  double secondsPerStep = 0;
  std::vector<int64_t> peakLive;
  bool checked = false;
  std::vector<std::string> checkFailures;
  std::string checkLine;
  std::string summary;
};

/// Refuses what train() cannot run with a ValueError naming the argument.
LoadedProgram load(const TrainArgs &args) {
  std::string error;
  std::optional<DeviceKind> device = parseDeviceKind(args.device, error);
  if (!device)
    throw py::value_error("device: " + error);
  if (std::string bad = checkDevice(*device); !bad.empty())
    throw py::value_error("device: " + bad);
  if (args.steps < 1 || args.steps > 1000000000)
    throw py::value_error("steps: expected an integer in [1, 1e9], got " +
                          std::to_string(args.steps));
  if (!(args.timeoutSeconds > 0) || args.timeoutSeconds > 1e6)
    throw py::value_error("timeout: expected seconds in (0, 1e6]");
  nlohmann::json json = nlohmann::json::parse(args.programJson, nullptr, false);
  if (json.is_discarded())
    throw py::value_error("program: not a program file (not JSON)");
  std::optional<LoadedProgram> program =
      loadProgramJson(json, args.baseDir, error);
  if (!program)
    throw py::value_error("program: " + error);
  return std::move(*program);
}

TrainOutcome train(const TrainArgs &args) {
  LoadedProgram program = load(args);
  RunOptions options;
  options.steps = args.steps;
  options.check = args.check;
  options.timeout = std::chrono::milliseconds(
      static_cast<int64_t>(std::ceil(args.timeoutSeconds * 1000)));
  using Clock = std::chrono::steady_clock;
  TrainOutcome outcome;
  Clock::time_point last = Clock::now();
  options.progress = [&](const std::string &) {
    Clock::time_point now = Clock::now();
    outcome.stepSeconds.push_back(
        std::chrono::duration<double>(now - last).count());
    last = now;
  };
  RunResult result;
  {
    py::gil_scoped_release release;
    try {
      result = runThreads(program, options);
    } catch (const std::exception &e) {
      result.ok = false;
      result.error = e.what();
    }
  }
  outcome.error = result.error;
  if (!outcome.error.empty())
    return outcome;
  outcome.stepLosses = result.stepLosses;
  outcome.microbatchLosses = result.microbatchLosses;
  outcome.secondsPerStep = result.secondsPerStep;
  outcome.peakLive = result.peakLive;
  outcome.checked = result.checked;
  outcome.checkFailures = result.checkFailures;
  if (result.checked)
    outcome.checkLine = runtime::checkLine(result, program.placement());
  outcome.summary = summaryLine(result, args.steps);
  return outcome;
}

} // namespace

PYBIND11_MODULE(_runtime, m) {
  m.doc() = "dualpipe's LibTorch runtime in this process (internal; use "
            "dualpipe.train)";
  py::class_<TrainArgs>(m, "TrainArgs")
      .def(py::init<>())
      .def_readwrite("program_json", &TrainArgs::programJson)
      .def_readwrite("base_dir", &TrainArgs::baseDir)
      .def_readwrite("steps", &TrainArgs::steps)
      .def_readwrite("check", &TrainArgs::check)
      .def_readwrite("timeout", &TrainArgs::timeoutSeconds)
      .def_readwrite("device", &TrainArgs::device);
  py::class_<TrainOutcome>(m, "TrainOutcome")
      .def_readonly("error", &TrainOutcome::error)
      .def_readonly("step_losses", &TrainOutcome::stepLosses)
      .def_readonly("microbatch_losses", &TrainOutcome::microbatchLosses)
      .def_readonly("step_seconds", &TrainOutcome::stepSeconds)
      .def_readonly("seconds_per_step", &TrainOutcome::secondsPerStep)
      .def_readonly("peak_live", &TrainOutcome::peakLive)
      .def_readonly("checked", &TrainOutcome::checked)
      .def_readonly("check_failures", &TrainOutcome::checkFailures)
      .def_readonly("check_line", &TrainOutcome::checkLine)
      .def_readonly("summary", &TrainOutcome::summary);
  m.def("train", &train);
}
