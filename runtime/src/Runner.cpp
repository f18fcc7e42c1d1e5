//===- Runner.cpp - Training steps across all ranks -----------------------===//

#include "dualpipe/Runtime/Runner.h"
#include "dualpipe/Runtime/ElementType.h"
#include "dualpipe/Runtime/Reference.h"
#include "dualpipe/Runtime/Trace.h"

#include "ErrorText.h"
#include "Heartbeat.h"
#include "TraceJson.h"
#include "model/Checkpoint.h"

#include "dualpipe/Schedule/Dependencies.h"
#include "dualpipe/Schedule/Finding.h"
#include "dualpipe/Schedule/ForwardOnly.h"
#include "dualpipe/Schedule/Verify.h"

#include <condition_variable>
#include <cstdio>
#include <iomanip>
#include <sstream>
#include <thread>

namespace dualpipe::runtime {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

std::string formatDouble(double value, int precision = 9) {
  std::ostringstream out;
  out << std::setprecision(precision) << value;
  return out.str();
}

int64_t tokensPerStep(const LoadedProgram &program) {
  const std::vector<int64_t> &shape = program.config.messageShape;
  int64_t tokens = program.placement().microbatches;
  for (size_t d = 0; d + 1 < shape.size(); ++d)
    tokens *= shape[d];
  return tokens;
}

double flopsPerToken(const LoadedProgram &program) {
  double flops = 0;
  for (const LayerSpec &layer : program.file.model.layers)
    flops += trainingFlopsPerToken(layer, program.config);
  return flops;
}

/// One rank's part of a run: its executor plus the per-step bookkeeping that
/// rank 0 gathers.
class RankDriver {
public:
  /// `evalProgram`: the forward-only program of evaluations, or null.
  RankDriver(const LoadedProgram &program, const RunOptions &options,
             Transport &transport, const ReferenceResult *reference,
             const Program *evalProgram, torch::Device device)
      : program_(program), options_(options), transport_(transport),
        reference_(reference), rank_(transport.rank()), device_(device),
        executor_(program, rank_, transport,
                  executorOptions(options, device, evalProgram)),
        evaluates_(evalProgram != nullptr) {}

  RunResult run() {
    RunResult result;
    result.checked = options_.check;
    result.peakLive.assign(program_.placement().ranks, 0);
    result.peakDeviceBytes.assign(program_.placement().ranks, -1);
    result.bitwiseLosses = !device_.is_cuda();
    result.gradientLimit = gradientTolerance(program_.config.dtype);
    for (const auto &list : program_.program().ranks)
      result.instructions.push_back(static_cast<int64_t>(list.size()));
    result.tokensPerStep = tokensPerStep(program_);
    result.flopsPerToken = flopsPerToken(program_);
    RankTimeline timeline;
    if (!options_.loadDir.empty())
      loadStages(options_.loadDir, program_, executor_.stages());
    Heartbeat heartbeat(options_, rank_ == 0);
    evaluate(options_.firstStep, result);
    for (int64_t step = options_.firstStep; step < options_.steps; ++step) {
      auto start = Clock::now();
      StepResult stepResult = executor_.runStep(step);
      executor_.reduceMirrors();
      executor_.optimizerStep();
      double seconds =
          std::chrono::duration<double>(Clock::now() - start).count();
      json record = stepRecord(step, stepResult, seconds);
      append(timeline, stepResult.timeline);
      auto all = transport_.gather("step" + std::to_string(step), record.dump(),
                                   options_.timeout);
      if (rank_ == 0)
        merge(step, all, result);
      heartbeat.beat(step + 2);
      save(step + 1);
      if (step + 1 == options_.steps ||
          (options_.evalEvery > 0 && (step + 1) % options_.evalEvery == 0)) {
        evaluate(step + 1, result);
        heartbeat.beat(step + 2);
      }
    }
    if (options_.trace) {
      auto all = transport_.gather("trace", timelineToJson(timeline).dump(),
                                   options_.timeout);
      if (rank_ == 0)
        result.trace = renderTrace(all);
    }
    result.ok = result.checkFailures.empty();
    return result;
  }

  const RankExecutor &executor() const { return executor_; }

private:
  /// After `done` steps: this rank's layers, then rank 0 the manifest.
  void save(int64_t done) {
    if (options_.saveDir.empty() ||
        !(done == options_.steps ||
          (options_.saveEvery > 0 && done % options_.saveEvery == 0)))
      return;
    std::string entries =
        saveStages(options_.saveDir, done, program_, rank_, executor_.stages());
    auto all = transport_.gather("checkpoint" + std::to_string(done), entries,
                                 options_.timeout);
    if (rank_ == 0)
      writeManifest(options_.saveDir, done, program_, all);
  }

  /// With validation data: evaluation `trained` (the steps trained before
  /// it), gathered on rank 0 as one "eval step" line. Evaluation 0 is
  /// compared with the reference under --check.
  void evaluate(int64_t trained, RunResult &result) {
    if (!evaluates_)
      return;
    StepResult eval = executor_.evaluate(trained);
    json losses = json::array(), failures = json::array();
    for (const auto &[mb, loss] : eval.losses)
      losses.push_back(json::array({mb, loss.item<double>()}));
    int64_t compared = 0;
    if (options_.check && reference_ && trained == 0) {
      compared = static_cast<int64_t>(eval.losses.size());
      for (std::string &difference : lossDifferences(
               "rank " + std::to_string(rank_) + ": eval step 0: ", "val loss",
               eval.losses, reference_->evalLosses))
        failures.push_back(std::move(difference));
    }
    json record{{"losses", std::move(losses)},
                {"failures", std::move(failures)},
                {"compared", compared}};
    auto all = transport_.gather("eval" + std::to_string(trained),
                                 record.dump(), options_.timeout);
    if (rank_ != 0)
      return;
    std::vector<double> perMicrobatch(program_.placement().microbatches, 0.0);
    for (const std::string &text : all) {
      json r = json::parse(text);
      for (const json &item : r["losses"])
        perMicrobatch.at(item[0].get<int64_t>()) = item[1].get<double>();
      for (const json &failure : r["failures"])
        result.checkFailures.push_back(failure.get<std::string>());
      result.evalLossesCompared += r["compared"].get<int64_t>();
    }
    // Each micro-batch's loss is already divided by the micro-batch count,
    // so their sum is the mean over the micro-batches, as a step's loss.
    double total = 0;
    for (double loss : perMicrobatch)
      total += loss;
    result.evalLosses.emplace_back(trained, total);
    if (options_.progress)
      options_.progress("eval step " + std::to_string(trained) + ": val loss " +
                        formatDouble(total));
  }

  static ExecutorOptions executorOptions(const RunOptions &options,
                                         torch::Device device,
                                         const Program *evalProgram) {
    ExecutorOptions exec;
    exec.device = device;
    exec.timeout = options.timeout;
    exec.fault = options.fault;
    exec.trace = options.trace;
    exec.data = options.data;
    exec.evalProgram = evalProgram;
    exec.evalData = options.evalData;
    return exec;
  }

  static void append(RankTimeline &into, const RankTimeline &from) {
    into.compute.insert(into.compute.end(), from.compute.begin(),
                        from.compute.end());
    into.comm.insert(into.comm.end(), from.comm.begin(), from.comm.end());
  }

  json stepRecord(int64_t step, const StepResult &stepResult, double seconds) {
    json losses = json::array();
    for (const auto &[mb, loss] : stepResult.losses)
      losses.push_back(json::array({mb, loss.item<double>()}));
    json record{{"losses", std::move(losses)},
                {"peak", stepResult.peakLive},
                {"device_peak", peakDeviceBytes(device_)},
                {"loss_difference", 0.0},
                {"seconds", seconds},
                {"failures", json::array()},
                {"losses_compared", 0},
                {"stages_compared", 0},
                {"worst", 0.0}};
    if (options_.check)
      check(step, stepResult, record);
    return record;
  }

  /// The first step against the reference; the mirrors after every step.
  void check(int64_t step, const StepResult &stepResult, json &record) {
    std::string prefix = "rank " + std::to_string(rank_) + ": step " +
                         std::to_string(step + 1) + ": ";
    if (step == 0 && reference_) {
      double worstLoss = 0;
      for (const auto &[mb, loss] : stepResult.losses)
        worstLoss = std::max(
            worstLoss, relativeDifference(loss, reference_->losses.at(mb)));
      for (std::string &difference : lossDifferences(
               prefix, "loss", stepResult.losses, reference_->losses))
        record["failures"].push_back(std::move(difference));
      record["loss_difference"] = worstLoss;
      record["losses_compared"] = stepResult.losses.size();
      double worst = 0, limit = gradientTolerance(program_.config.dtype);
      for (const auto &[stage, worker] : executor_.stages()) {
        double m =
            mismatch(worker->flatGradients(), reference_->gradients.at(stage));
        worst = std::max(worst, m);
        if (!(m < limit))
          record["failures"].push_back(
              prefix + "stage " + std::to_string(stage) +
              " gradients differ from the sequential reference: "
              "1 - 2xy/(x^2+y^2) = " +
              formatDouble(m, 3) + " (limit " + formatDouble(limit, 3) + ")");
      }
      record["stages_compared"] = executor_.stages().size();
      record["worst"] = worst;
    }
    for (const std::string &difference : executor_.compareMirrorParameters())
      record["failures"].push_back(prefix + difference);
  }

  void merge(int64_t step, const std::vector<std::string> &records,
             RunResult &result) {
    std::vector<double> losses(program_.placement().microbatches, 0.0);
    double slowest = 0;
    for (size_t r = 0; r < records.size(); ++r) {
      json record = json::parse(records[r]);
      for (const json &item : record["losses"])
        losses.at(item[0].get<int64_t>()) = item[1].get<double>();
      result.peakLive[r] =
          std::max(result.peakLive[r], record["peak"].get<int64_t>());
      result.peakDeviceBytes[r] = std::max(
          result.peakDeviceBytes[r], record["device_peak"].get<int64_t>());
      result.worstLossDifference = std::max(
          result.worstLossDifference, record["loss_difference"].get<double>());
      slowest = std::max(slowest, record["seconds"].get<double>());
      for (const json &failure : record["failures"])
        result.checkFailures.push_back(failure.get<std::string>());
      result.lossesCompared += record["losses_compared"].get<int64_t>();
      result.stagesCompared += record["stages_compared"].get<int64_t>();
      result.worstMismatch =
          std::max(result.worstMismatch, record["worst"].get<double>());
    }
    double total = 0;
    for (double loss : losses)
      total += loss;
    result.microbatchLosses.push_back(losses);
    result.stepLosses.push_back(total);
    double count = static_cast<double>(result.stepLosses.size());
    result.secondsPerStep += (slowest - result.secondsPerStep) / count;
    if (options_.progress) {
      std::ostringstream line;
      line << "step " << step + 1 << ": loss " << formatDouble(total) << " | "
           << std::fixed << std::setprecision(0)
           << result.tokensPerStep / slowest << " tokens/s | "
           << std::setprecision(3) << slowest * 1e3 << " ms";
      options_.progress(line.str());
    }
  }

  std::string renderTrace(const std::vector<std::string> &records) {
    std::vector<RankTimeline> timelines;
    for (const std::string &record : records)
      timelines.push_back(timelineFromJson(json::parse(record)));
    return measuredChromeTrace(program_.program(), std::move(timelines));
  }

  const LoadedProgram &program_;
  const RunOptions &options_;
  Transport &transport_;
  const ReferenceResult *reference_;
  int64_t rank_;
  torch::Device device_;
  RankExecutor executor_;
  bool evaluates_;
};

/// How one rank thread ended.
struct Outcome {
  RunResult result;
  std::string failure;
  bool aborted = false;
  std::string exitedAt;
  /// The rank dropped a send for an injected drop fault.
  bool droppedSend = false;
};

/// Runs one rank's driver and turns every way it can end into an Outcome.
/// `processEnds`: the process exits right after a failure, so a failed
/// driver is left as it is instead of waiting for its streams, which may
/// still wait on a peer that no abort reaches (Gloo).
Outcome runRankThread(const LoadedProgram &program, const RunOptions &options,
                      Transport &transport, const ReferenceResult *reference,
                      const Program *evalProgram, torch::Device device,
                      bool processEnds = false) {
  Outcome outcome;
  int64_t rank = transport.rank();
  std::unique_ptr<RankDriver> driver;
  try {
    driver = std::make_unique<RankDriver>(program, options, transport,
                                          reference, evalProgram, device);
    outcome.result = driver->run();
  } catch (const RankExit &exit) {
    outcome.exitedAt = exit.where;
  } catch (const RankFailure &failure) {
    outcome.failure = failure.what();
    outcome.aborted = failure.aborted();
  } catch (const CommError &e) {
    outcome.failure = "rank " + std::to_string(rank) + ": " + e.what();
    outcome.aborted = e.aborted();
  } catch (const std::exception &e) {
    outcome.failure = "rank " + std::to_string(rank) + ": " + causeOf(e);
  }
  outcome.droppedSend = driver && driver->executor().faultFired();
  bool failed = !outcome.failure.empty() || !outcome.exitedAt.empty();
  if (failed && processEnds)
    (void)driver.release();
  if (!outcome.failure.empty() && !outcome.aborted)
    transport.abort("rank " + std::to_string(rank) + " failed");
  return outcome;
}

/// The root-cause line of a drop fault that fired: the rank, the send and
/// what was done to it.
std::string describeDroppedSend(const FaultSpec &fault,
                                const Program &program) {
  std::string rank = std::to_string(fault.rank);
  return "rank " + rank + ": programs[" + rank + "].instructions[" +
         std::to_string(fault.index) + "] " +
         describeInstr(program.ranks[fault.rank][fault.index]) +
         ": dropped by the injected drop fault (root cause)";
}

/// Root causes first, then the ranks that stopped because of them. A
/// dropped send fails no instruction of its own, only peers' waits, and
/// which of those times out first is a race: the drop is the root cause
/// and the timeouts follow it.
std::string describeOutcomes(const std::vector<Outcome> &outcomes,
                             const LoadedProgram &program,
                             const RunOptions &options) {
  std::string roots, echoes;
  bool dropped = false, failed = false;
  for (const Outcome &o : outcomes) {
    dropped = dropped || o.droppedSend;
    failed = failed || !o.failure.empty() || !o.exitedAt.empty();
  }
  if (dropped && failed)
    roots = describeDroppedSend(*options.fault, program.program()) + "\n";
  for (size_t r = 0; r < outcomes.size(); ++r) {
    const Outcome &o = outcomes[r];
    if (!o.exitedAt.empty())
      roots += "rank " + std::to_string(r) + ": exited at " + o.exitedAt +
               " (injected exit fault)\n";
    else if (!o.failure.empty())
      (o.aborted || dropped ? echoes : roots) += o.failure + "\n";
  }
  std::string text = roots + echoes;
  if (!text.empty())
    text.pop_back();
  return text;
}

std::optional<ReferenceResult> referenceFor(const LoadedProgram &program,
                                            const RunOptions &options,
                                            torch::Device device,
                                            std::string &error) {
  if (!options.check)
    return std::nullopt;
  try {
    return runReference(program, device, options.data, options.evalData);
  } catch (const std::exception &e) {
    error = "sequential reference: " + causeOf(e);
    return std::nullopt;
  }
}

std::string checkOptions(const LoadedProgram &program,
                         const RunOptions &options) {
  if (options.steps < 1)
    return "--steps must be >= 1";
  if (options.firstStep >= options.steps)
    return "the checkpoint has trained " + std::to_string(options.firstStep) +
           " steps; --steps " + std::to_string(options.steps) +
           " (the total) leaves none to run";
  if (options.check && !options.loadDir.empty())
    return "--check compares with a sequential run from the initial "
           "parameters; it cannot be combined with --load";
  if (options.evalData && options.evalEvery < 1)
    return "evaluation needs a period of at least 1 step (--eval-every), "
           "got " +
           std::to_string(options.evalEvery);
  if (options.fault)
    return checkFaultSpec(*options.fault, program.program());
  return "";
}

/// The forward-only program of the run's evaluations (null without
/// validation data), proven deadlock-free like a compiled one.
std::unique_ptr<Program> evalProgramFor(const LoadedProgram &program,
                                        const RunOptions &options,
                                        std::string &error) {
  if (!options.evalData)
    return nullptr;
  auto derived =
      std::make_unique<Program>(forwardOnlyProgram(program.program()));
  std::vector<Finding> findings = verifyProgram(*derived);
  if (!findings.empty()) {
    error = "the forward-only program derived for evaluation does not "
            "verify: " +
            firstFindingText(findings);
    return nullptr;
  }
  return derived;
}

} // namespace

RunResult runThreads(const LoadedProgram &program, const RunOptions &options) {
  RunResult failed;
  if (failed.error = checkOptions(program, options); !failed.error.empty())
    return failed;
  torch::set_num_threads(1);
  prepareDevice(options.device);
  auto reference = referenceFor(
      program, options, threadRankDevice(options.device, 0), failed.error);
  if (!failed.error.empty())
    return failed;
  std::unique_ptr<Program> evalProgram =
      evalProgramFor(program, options, failed.error);
  if (!failed.error.empty())
    return failed;
  int64_t ranks = program.placement().ranks;
  ThreadsHub hub(ranks, makeTensorHandoff(options.device));
  std::vector<std::unique_ptr<Transport>> endpoints;
  for (int64_t r = 0; r < ranks; ++r)
    endpoints.push_back(hub.endpoint(r, threadRankDevice(options.device, r)));
  std::vector<Outcome> outcomes(ranks);
  std::vector<std::thread> threads;
  for (int64_t r = 0; r < ranks; ++r)
    threads.emplace_back([&, r] {
      outcomes[r] = runRankThread(
          program, options, *endpoints[r], reference ? &*reference : nullptr,
          evalProgram.get(), threadRankDevice(options.device, r));
    });
  for (std::thread &thread : threads)
    thread.join();
  RunResult result = std::move(outcomes[0].result);
  result.error = describeOutcomes(outcomes, program, options);
  result.ok = result.error.empty() && result.checkFailures.empty();
  return result;
}

namespace {

/// One rank that is a process: connect, check that every rank loaded the
/// same file, run.
RunResult runProcessRank(
    const LoadedProgram &program, const RunOptions &options,
    const GlooOptions &gloo,
    const std::function<std::unique_ptr<Transport>(torch::Device)> &connect) {
  RunResult failed;
  std::string prefix = "rank " + std::to_string(gloo.rank) + ": ";
  if (failed.error = checkOptions(program, options); !failed.error.empty())
    return failed;
  if (std::string bad = checkWorldSize(gloo, program.placement().ranks);
      !bad.empty()) {
    failed.error = prefix + bad;
    return failed;
  }
  torch::set_num_threads(1);
  prepareDevice(options.device);
  torch::Device device = processRankDevice(options.device, gloo.localRank);
  std::unique_ptr<Transport> transport;
  try {
    transport = connect(device);
    auto digests = transport->gather("digest", program.digest, gloo.timeout);
    for (size_t r = 0; r < digests.size(); ++r)
      if (digests[r] != program.digest)
        throw CommError("rank " + std::to_string(r) +
                        " loaded a different program file");
  } catch (const CommError &e) {
    failed.error = prefix + e.what();
    return failed;
  }
  auto reference = referenceFor(program, options, device, failed.error);
  std::unique_ptr<Program> evalProgram;
  if (failed.error.empty())
    evalProgram = evalProgramFor(program, options, failed.error);
  if (!failed.error.empty()) {
    failed.error = prefix + failed.error;
    return failed;
  }
  Outcome outcome = runRankThread(program, options, *transport,
                                  reference ? &*reference : nullptr,
                                  evalProgram.get(), device, true);
  if (!outcome.exitedAt.empty()) {
    // A crash leaves no message behind; peers and the launcher report it.
    std::fflush(nullptr);
    std::_Exit(70);
  }
  RunResult result = std::move(outcome.result);
  result.error = describeOutcomes({outcome}, program, options);
  result.ok = result.error.empty() && result.checkFailures.empty();
  return result;
}

} // namespace

RunResult runGlooRank(const LoadedProgram &program, const RunOptions &options,
                      const GlooOptions &gloo) {
  return runProcessRank(program, options, gloo, [&](torch::Device device) {
    return connectGloo(gloo, device);
  });
}

RunResult runNcclRank(const LoadedProgram &program, const RunOptions &options,
                      const GlooOptions &gloo) {
  RunResult failed;
  std::string prefix = "rank " + std::to_string(gloo.rank) + ": ";
  if (options.device != DeviceKind::Cuda) {
    failed.error = prefix + "--backend nccl needs --device cuda";
    return failed;
  }
  if (std::string bad = inOrderError(program.program()); !bad.empty()) {
    failed.error = prefix + bad;
    return failed;
  }
#ifdef DUALPIPE_RUNTIME_CUDA
  return runProcessRank(program, options, gloo, [&](torch::Device device) {
    return connectNccl(gloo, device);
  });
#else
  failed.error = prefix + "--backend nccl: " + checkDevice(DeviceKind::Cuda);
  return failed;
#endif
}

} // namespace dualpipe::runtime
