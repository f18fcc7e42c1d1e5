//===- dualpipe-run.cpp - Run a compiled pipeline program -----------------===//
//
// Loads a program file (docs/program-format.md), runs training steps with
// real compute (LibTorch) and real communication, and reports the loss per
// step and a summary. docs/runtime.md describes every option.
//
//===----------------------------------------------------------------------===//

#include "dualpipe/Runtime/Device.h"
#include "dualpipe/Runtime/Runner.h"
#include "dualpipe/Runtime/Spawn.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <unistd.h>

using namespace dualpipe;
using namespace dualpipe::runtime;

namespace {

constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;
constexpr int kExitCheck = 3;

const char *kUsage = R"(usage: dualpipe-run PROGRAM.json... [options]

Runs the per-rank programs of a compiled pipeline schedule with LibTorch.
Several programs (threads backend only) run one after the other in this
process, which pays LibTorch's start-up once for a whole sweep; the exit
status is then the highest of their statuses.

options:
  --steps N            training steps (default 1)
  --backend B          threads (default): every rank a thread of this process
                       gloo: one process per rank over Gloo, rendezvous from
                       torchrun's RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT
                       nccl: as gloo, over NCCL on cuda:LOCAL_RANK (needs
                       --device cuda and an in-order program; docs/gpu.md)
  --device D           cpu (default), or cuda (see docs/gpu.md)
  --spawn              start the ranks as local processes (implies
                       --backend gloo unless nccl is given)
  --check              compare the first step with a sequential run of the same
                       model: every micro-batch loss bitwise, gradients within
                       1 - 2xy/(x^2+y^2) < 1e-13; mirrors identical every step
  --trace FILE         write the measured timeline as Chrome trace JSON
  --timeout S          bound on every blocking wait, in seconds (default 60)
  --inject-fault R:I[:KIND]
                       test hook: instruction I of rank R fails in step 1;
                       KIND is throw (default), shape, drop or exit
  --help               this text

exit status: 0 success, 1 run failure, 2 usage or program error, 3 --check
mismatch
)";

struct CliOptions {
  std::vector<std::string> programs;
  std::string backend = "threads";
  bool backendGiven = false;
  bool spawn = false;
  std::string tracePath;
  double timeoutSeconds = 60;
  RunOptions run;
};

[[noreturn]] void usageError(const std::string &message) {
  std::cerr << "dualpipe-run: error: " << message << "\n"
            << "run 'dualpipe-run --help' for usage\n";
  std::exit(kExitUsage);
}

std::string valueOf(int &i, int argc, char **argv) {
  if (i + 1 >= argc)
    usageError(std::string(argv[i]) + " needs a value");
  return argv[++i];
}

double parseNumber(const std::string &flag, const std::string &text) {
  try {
    size_t used = 0;
    double value = std::stod(text, &used);
    if (used == text.size() && std::isfinite(value))
      return value;
  } catch (const std::exception &) {
  }
  usageError(flag + " expects a number, got '" + text + "'");
}

CliOptions parseArgs(int argc, char **argv) {
  CliOptions cli;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::cout << kUsage;
      std::exit(0);
    } else if (arg == "--steps") {
      double steps = parseNumber(arg, valueOf(i, argc, argv));
      if (steps < 1 || steps != std::floor(steps) || steps > 1e9)
        usageError("--steps expects a positive integer");
      cli.run.steps = static_cast<int64_t>(steps);
    } else if (arg == "--backend") {
      cli.backend = valueOf(i, argc, argv);
      cli.backendGiven = true;
      if (cli.backend != "threads" && cli.backend != "gloo" &&
          cli.backend != "nccl")
        usageError("--backend must be threads, gloo or nccl, got '" +
                   cli.backend + "'");
    } else if (arg == "--device") {
      std::string error;
      auto device = parseDeviceKind(valueOf(i, argc, argv), error);
      if (!device)
        usageError(error);
      if (std::string bad = checkDevice(*device); !bad.empty())
        usageError(bad);
      cli.run.device = *device;
    } else if (arg == "--spawn") {
      cli.spawn = true;
    } else if (arg == "--check") {
      cli.run.check = true;
    } else if (arg == "--trace") {
      cli.tracePath = valueOf(i, argc, argv);
      cli.run.trace = true;
    } else if (arg == "--timeout") {
      cli.timeoutSeconds = parseNumber(arg, valueOf(i, argc, argv));
      if (cli.timeoutSeconds <= 0 || cli.timeoutSeconds > 1e6)
        usageError("--timeout expects seconds in (0, 1e6]");
    } else if (arg == "--inject-fault") {
      std::string error;
      cli.run.fault = parseFaultSpec(valueOf(i, argc, argv), error);
      if (!cli.run.fault)
        usageError(error);
    } else if (!arg.empty() && arg[0] == '-') {
      usageError("unknown option '" + arg + "'");
    } else {
      cli.programs.push_back(arg);
    }
  }
  if (cli.programs.empty())
    usageError("no program file given");
  if (cli.spawn) {
    if (cli.backendGiven && cli.backend == "threads")
      usageError("--spawn starts gloo or nccl ranks; it cannot be used with "
                 "--backend " +
                 cli.backend);
    if (!cli.backendGiven)
      cli.backend = "gloo";
  }
  if (cli.programs.size() > 1) {
    if (cli.backend != "threads")
      usageError("several program files run on the threads backend only");
    if (!cli.tracePath.empty() || cli.run.fault)
      usageError("--trace and --inject-fault take a single program file");
  }
  // Fail before training, not after it, when the trace cannot be written.
  if (!cli.tracePath.empty() && !std::ofstream(cli.tracePath, std::ios::app))
    usageError("cannot write the trace to " + cli.tracePath);
  cli.run.timeout = std::chrono::milliseconds(
      static_cast<int64_t>(std::ceil(cli.timeoutSeconds * 1000)));
  return cli;
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

void writeTrace(const std::string &path, const std::string &trace) {
  std::ofstream out(path);
  out << trace << "\n";
  if (!out)
    throw std::runtime_error("cannot write the trace to " + path);
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
int report(const CliOptions &cli, const LoadedProgram &program,
           const RunResult &result, bool rankZero) {
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
  if (!cli.tracePath.empty()) {
    try {
      writeTrace(cli.tracePath, result.trace);
    } catch (const std::exception &e) {
      printErrors(e.what());
      return kExitFailure;
    }
  }
  std::cout << "summary: " << summaryLine(result, cli.run.steps) << std::endl;
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

/// Runs every program on the threads backend, in order; returns the highest
/// exit status. A program that does not load fails alone.
int runThreadsSweep(const CliOptions &cli) {
  int status = 0;
  for (const std::string &path : cli.programs) {
    std::string error;
    auto program = loadProgramFile(path, error);
    if (!program) {
      printErrors(error);
      status = std::max(status, kExitUsage);
      continue;
    }
    std::cout << header(*program, "threads") << std::endl;
    status = std::max(
        status, report(cli, *program, runThreads(*program, cli.run), true));
  }
  return status;
}

} // namespace

int main(int argc, char **argv) {
  CliOptions cli = parseArgs(argc, argv);
  cli.run.progress = [](const std::string &line) {
    std::cout << line << std::endl;
  };
  if (cli.programs.size() > 1)
    return runThreadsSweep(cli);
  std::string error;
  auto program = loadProgramFile(cli.programs.front(), error);
  if (!program) {
    printErrors(error);
    return kExitUsage;
  }
  if (cli.run.fault)
    if (std::string bad = checkFaultSpec(*cli.run.fault, program->program());
        !bad.empty())
      usageError(bad);
  if (cli.spawn) {
    // Ranks bound every wait by the timeout; a rank still running that long
    // after another failed is stuck and gets killed.
    auto grace = cli.run.timeout + std::chrono::seconds(5);
    return spawnRanks(rankCommand(argc, argv, cli.backend),
                      program->placement().ranks, grace, std::cerr);
  }
  if (cli.backend == "threads") {
    std::cout << header(*program, "threads") << std::endl;
    return report(cli, *program, runThreads(*program, cli.run), true);
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
  gloo->timeout = cli.run.timeout;
  if (gloo->rank == 0)
    std::cout << header(*program, cli.backend) << std::endl;
  RunResult result = cli.backend == "nccl"
                         ? runNcclRank(*program, cli.run, *gloo)
                         : runGlooRank(*program, cli.run, *gloo);
  int status = report(cli, *program, result, gloo->rank == 0);
  // Skip destructors: a failed rank may still hold Gloo operations that its
  // dead peers will never complete.
  std::fflush(nullptr);
  std::_Exit(status);
}
