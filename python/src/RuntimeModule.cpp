//===- RuntimeModule.cpp - dualpipe._runtime: training in this process ----===//
//
// Runs a program file's ranks as threads of the Python process with the same
// runThreads that dualpipe-run calls, so that a run from Python and one from
// the CLI compute bitwise the same losses. The GIL is released for the whole
// run; the ranks take it only to call a user's data callable, which is the
// run's own (RunOptions::data), so that runs from several Python threads
// each train on their own data. Linked against
// libtorch_python so that the extension shares the torch that `import torch`
// loaded.
//
//===----------------------------------------------------------------------===//
#include "dualpipe/Runtime/Data.h"
#include "dualpipe/Runtime/Device.h"
#include "dualpipe/Runtime/Runner.h"
#include "dualpipe/Runtime/Tokens.h"

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

/// train(data=fn): fn(step, mb) -> (input, target), called from the ranks'
/// threads under the GIL. A Python exception becomes the rank's error.
class CallableBatches : public BatchSource {
public:
  explicit CallableBatches(py::object fn) : fn_(std::move(fn)) {}
  ~CallableBatches() override {
    py::gil_scoped_acquire gil;
    fn_ = py::object();
  }
  torch::Tensor input(int64_t step, int64_t mb) override {
    return draw(step, mb, 0);
  }
  torch::Tensor target(int64_t step, int64_t mb) override {
    return draw(step, mb, 1);
  }

private:
  torch::Tensor draw(int64_t step, int64_t mb, size_t which) {
    std::string error;
    {
      py::gil_scoped_acquire gil;
      try {
        py::object pair = fn_(step, mb);
        if (py::isinstance<py::tuple>(pair) && py::len(pair) == 2) {
          py::object item = pair.cast<py::tuple>()[which];
          if (THPVariable_Check(item.ptr()))
            return THPVariable_Unpack(item.ptr());
        }
        error = "returned " +
                std::string(py::str(py::type::of(pair).attr("__name__"))) +
                ", expected a tuple (input, target) of two tensors";
      } catch (py::error_already_set &e) {
        error = std::string("raised ") + e.what();
      }
    }
    throw std::runtime_error("data(" + std::to_string(step) + ", " +
                             std::to_string(mb) + ") " + error);
  }

  py::object fn_;
};

struct TrainArgs {
  py::object data = py::none();
  /// train(val_data=tokens, eval_every=K): a 1-D integer tensor or None.
  py::object valData = py::none();
  int64_t evalEvery = 0;
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
  /// (steps trained before it, mean validation loss) per evaluation.
  std::vector<std::pair<int64_t, double>> evalLosses;
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
  std::optional<LoadedProgram> program =
      loadProgramText(args.programJson, args.baseDir, error);
  if (!program)
    throw py::value_error("program: " + error);
  return std::move(*program);
}

/// train(data=tokens) and train(val_data=tokens): the windows of a token
/// stream, as --data and --val-data draw them from a file (TokenSource);
/// `argument` starts its errors. `tokens` is a 1-D integer tensor (checked
/// by the package).
std::shared_ptr<BatchSource> tokenSource(const torch::Tensor &tokens,
                                         const std::string &argument,
                                         TokenStream stream,
                                         const TrainConfig &config) {
  torch::Tensor flat = tokens.to(torch::kLong).contiguous().cpu();
  const int64_t *begin = flat.data_ptr<int64_t>();
  try {
    return std::make_shared<TokenSource>(
        std::vector<int64_t>(begin, begin + flat.numel()), argument, config,
        stream);
  } catch (const std::invalid_argument &e) {
    throw py::value_error(e.what());
  }
}

TrainOutcome train(const TrainArgs &args) {
  LoadedProgram program = load(args);
  RunOptions options;
  options.steps = args.steps;
  options.check = args.check;
  if (THPVariable_Check(args.data.ptr()))
    options.data = tokenSource(THPVariable_Unpack(args.data.ptr()), "data",
                               TokenStream::Train, program.config);
  else if (!args.data.is_none())
    options.data = std::make_shared<CallableBatches>(args.data);
  if (THPVariable_Check(args.valData.ptr()))
    options.evalData =
        tokenSource(THPVariable_Unpack(args.valData.ptr()), "val_data",
                    TokenStream::Eval, program.config);
  options.evalEvery = args.evalEvery;
  options.timeout = std::chrono::milliseconds(
      static_cast<int64_t>(std::ceil(args.timeoutSeconds * 1000)));
  using Clock = std::chrono::steady_clock;
  TrainOutcome outcome;
  Clock::time_point last = Clock::now();
  // A step's time runs from the previous step or evaluation line to its
  // own, so evaluations are not counted in the steps; "progress:" lines
  // (a long step's heartbeat) are not steps.
  options.progress = [&](const std::string &line) {
    Clock::time_point now = Clock::now();
    if (line.rfind("step ", 0) == 0)
      outcome.stepSeconds.push_back(
          std::chrono::duration<double>(now - last).count());
    else if (line.rfind("eval step ", 0) != 0)
      return;
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
  outcome.evalLosses = result.evalLosses;
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
      .def_readwrite("device", &TrainArgs::device)
      .def_readwrite("data", &TrainArgs::data)
      .def_readwrite("val_data", &TrainArgs::valData)
      .def_readwrite("eval_every", &TrainArgs::evalEvery);
  py::class_<TrainOutcome>(m, "TrainOutcome")
      .def_readonly("error", &TrainOutcome::error)
      .def_readonly("step_losses", &TrainOutcome::stepLosses)
      .def_readonly("microbatch_losses", &TrainOutcome::microbatchLosses)
      .def_readonly("eval_losses", &TrainOutcome::evalLosses)
      .def_readonly("step_seconds", &TrainOutcome::stepSeconds)
      .def_readonly("seconds_per_step", &TrainOutcome::secondsPerStep)
      .def_readonly("peak_live", &TrainOutcome::peakLive)
      .def_readonly("checked", &TrainOutcome::checked)
      .def_readonly("check_failures", &TrainOutcome::checkFailures)
      .def_readonly("check_line", &TrainOutcome::checkLine)
      .def_readonly("summary", &TrainOutcome::summary);
  m.def("train", &train);
}
