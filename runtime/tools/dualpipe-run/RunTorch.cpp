//===- RunTorch.cpp - dualpipe-run's LibTorch half ------------------------===//
//
// Loads a program file (docs/program-format.md), runs training steps with
// real compute (LibTorch) and real communication, and reports the loss per
// step and a summary. docs/runtime.md describes every option. The front
// (dualpipe-run.cpp) has already checked the command line.
//
//===----------------------------------------------------------------------===//

#include "Cli.h"
#include "dualpipe/Runtime/Device.h"
#include "dualpipe/Runtime/Runner.h"
#include "dualpipe/Runtime/Spawn.h"
#include "dualpipe/Runtime/Tokens.h"
#include "model/Checkpoint.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <mutex>
#include <unistd.h>

#include <nlohmann/json.hpp>

using namespace dualpipe;
using namespace dualpipe::runtime;

namespace {

/// The run's options, from the command line; the device is checked here,
/// where LibTorch can say whether CUDA is there.
RunOptions runOptions(const CliOptions &cli) {
  std::string error;
  auto device = parseDeviceKind(cli.device, error);
  if (!device)
    usageError(error);
  if (std::string bad = checkDevice(*device); !bad.empty())
    usageError(bad);
  RunOptions run;
  run.device = *device;
  run.steps = cli.steps;
  run.check = cli.check;
  run.trace = !cli.tracePath.empty();
  run.fault = cli.fault;
  run.saveDir = cli.saveDir;
  run.saveEvery = cli.saveEvery;
  run.loadDir = cli.loadDir;
  run.timeout = std::chrono::milliseconds(cli.timeoutMilliseconds());
  run.evalEvery = cli.evalEvery;
  run.heartbeat = std::chrono::milliseconds(
      static_cast<int64_t>(std::ceil(cli.heartbeatSeconds * 1000)));
  // The heartbeat thread prints too: one line at a time.
  run.progress = [](const std::string &line) {
    static std::mutex mutex;
    std::lock_guard<std::mutex> lock(mutex);
    std::cout << line << std::endl;
  };
  return run;
}

/// The spawned ranks run this same command line, minus --spawn, as ranks of
/// `backend`.
std::vector<std::string> rankCommand(int argc, char **argv,
                                     const std::string &backend) {
  std::vector<std::string> command{"/proc/self/exe"};
  char path[4096];
  ssize_t length = readlink("/proc/self/exe", path, sizeof(path) - 1);
  if (length > 0)
    command[0].assign(path, static_cast<size_t>(length));
  for (int i = 1; i < argc; ++i)
    if (std::string(argv[i]) != "--spawn")
      command.push_back(argv[i]);
  command.push_back("--backend");
  command.push_back(backend);
  return command;
}

/// `what` names the output in the error ("the trace").
void writeOutput(const std::string &path, const std::string &text,
                 const std::string &what) {
  std::ofstream out(path);
  out << text << "\n";
  if (!out)
    throw std::runtime_error("cannot write " + what + " to " + path);
}

/// --losses-json: JSON numbers are shortest round-trip, so the losses read
/// back bitwise. losses[i] is step first_step + i + 1's.
std::string lossesJson(const RunResult &result, const RunOptions &run) {
  nlohmann::json evals = nlohmann::json::array();
  for (const auto &[step, loss] : result.evalLosses)
    evals.push_back({{"step", step}, {"val_loss", loss}});
  nlohmann::json json{{"first_step", run.firstStep},
                      {"losses", result.stepLosses},
                      {"microbatch_losses", result.microbatchLosses},
                      {"evals", std::move(evals)}};
  return json.dump();
}

void printErrors(const std::string &text) {
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos)
      end = text.size();
    std::cerr << "dualpipe-run: error: " << text.substr(start, end - start)
              << "\n";
    start = end + 1;
  }
}

/// Prints rank 0's report; returns the exit status.
int report(const CliOptions &cli, const RunOptions &run,
           const LoadedProgram &program, const RunResult &result,
           bool rankZero) {
  if (!result.error.empty()) {
    printErrors(result.error);
    return kExitFailure;
  }
  if (!rankZero)
    return 0;
  if (result.checked) {
    for (const std::string &failure : result.checkFailures)
      std::cout << "check: " << failure << "\n";
    std::cout << checkLine(result, program.placement()) << "\n";
  }
  try {
    if (!cli.tracePath.empty())
      writeOutput(cli.tracePath, result.trace, "the trace");
    if (!cli.lossesPath.empty())
      writeOutput(cli.lossesPath, lossesJson(result, run), "the losses");
  } catch (const std::exception &e) {
    printErrors(e.what());
    return kExitFailure;
  }
  std::cout << "summary: " << summaryLine(result, run.steps - run.firstStep)
            << std::endl;
  return result.checkFailures.empty() ? 0 : kExitCheck;
}

std::string header(const LoadedProgram &program, const std::string &backend) {
  const Placement &p = program.placement();
  std::string kind = program.program().kind
                         ? std::string(toString(*program.program().kind))
                         : std::string("imported");
  return "dualpipe-run: " + kind + ", " + std::to_string(p.ranks) + " ranks, " +
         std::to_string(p.stages) + " stages, " +
         std::to_string(p.microbatches) + " micro-batches, " + backend +
         " backend";
}

/// `into` = the token stream of `flag`'s `path` (none when empty) for
/// `program`; false (after printing why) if it does not load or does not
/// fit the program.
bool openTokens(const std::string &flag, const std::string &path,
                TokenStream stream, const CliOptions &cli,
                const LoadedProgram &program,
                std::shared_ptr<BatchSource> &into) {
  into = nullptr;
  if (path.empty())
    return true;
  std::string error;
  auto source = TokenSource::open(path, *parseTokenFormat(cli.dataFormat),
                                  program.config, error, stream);
  if (!source) {
    printErrors(flag + " " + error);
    return false;
  }
  into = std::move(source);
  return true;
}

/// Sets `run`'s training (--data) and validation (--val-data) streams.
bool installData(const CliOptions &cli, const LoadedProgram &program,
                 RunOptions &run) {
  return openTokens("--data", cli.dataPath, TokenStream::Train, cli, program,
                    run.data) &&
         openTokens("--val-data", cli.valDataPath, TokenStream::Eval, cli,
                    program, run.evalData);
}

/// Runs every program on the threads backend, in order; returns the highest
/// exit status. A program that does not load fails alone.
int runThreadsSweep(const CliOptions &cli, RunOptions run) {
  int status = 0;
  for (const std::string &path : cli.programs) {
    std::string error;
    auto program = loadProgramFile(path, error);
    if (!program) {
      printErrors(error);
      status = std::max(status, kExitUsage);
      continue;
    }
    if (!installData(cli, *program, run)) {
      status = std::max(status, kExitUsage);
      continue;
    }
    std::cout << header(*program, "threads") << std::endl;
    status = std::max(
        status, report(cli, run, *program, runThreads(*program, run), true));
  }
  return status;
}

} // namespace

int main(int argc, char **argv) {
  CliOptions cli = parseArgs(argc, argv);
  RunOptions run = runOptions(cli);
  if (cli.programs.size() > 1)
    return runThreadsSweep(cli, run);
  std::string error;
  auto program = loadProgramFile(cli.programs.front(), error);
  if (!program) {
    printErrors(error);
    return kExitUsage;
  }
  if (!cli.spawn && !installData(cli, *program, run))
    return kExitUsage;
  if (run.fault)
    if (std::string bad = checkFaultSpec(*run.fault, program->program());
        !bad.empty())
      usageError(bad);
  if (!run.loadDir.empty() && !cli.spawn) {
    auto step = openCheckpoint(run.loadDir, *program, error);
    if (!step) {
      printErrors(error);
      return kExitUsage;
    }
    run.firstStep = *step;
  }
  if (cli.spawn) {
    // Ranks bound every wait by the timeout; a rank still running that long
    // after another failed is stuck and gets killed.
    auto grace = run.timeout + std::chrono::seconds(5);
    return spawnRanks(rankCommand(argc, argv, cli.backend),
                      program->placement().ranks, grace, std::cerr);
  }
  if (cli.backend == "threads") {
    std::cout << header(*program, "threads") << std::endl;
    return report(cli, run, *program, runThreads(*program, run), true);
  }
  auto gloo = glooOptionsFromEnv(error);
  if (!gloo) {
    printErrors(error);
    return kExitUsage;
  }
  if (std::string bad = checkWorldSize(*gloo, program->placement().ranks);
      !bad.empty()) {
    printErrors(bad);
    return kExitUsage;
  }
  gloo->timeout = run.timeout;
  if (gloo->rank == 0)
    std::cout << header(*program, cli.backend) << std::endl;
  RunResult result = cli.backend == "nccl" ? runNcclRank(*program, run, *gloo)
                                           : runGlooRank(*program, run, *gloo);
  int status = report(cli, run, *program, result, gloo->rank == 0);
  // Skip destructors: a failed rank may still hold Gloo operations that its
  // dead peers will never complete.
  std::fflush(nullptr);
  std::_Exit(status);
}
