//===- Cli.cpp - dualpipe-run's command line, without LibTorch ------------===//

#include "Cli.h"

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>

namespace dualpipe::runtime {
namespace {

const char *kUsage = R"(usage: dualpipe-run PROGRAM.json... [options]

Runs the per-rank programs of a compiled pipeline schedule with LibTorch.
Several programs (threads backend only) run one after the other in this
process, which pays LibTorch's start-up once for a whole sweep; the exit
status is then the highest of their statuses.

options:
  --steps N            training steps in total (default 1); with --load, the
                       run continues from the checkpoint's step up to N
  --save DIR           write a checkpoint to DIR after the last step, and
                       every K steps with --save-every K
  --save-every K       checkpoint period in steps (needs --save)
  --load DIR           resume from DIR's latest checkpoint (parameters,
                       optimizer state, step, data position, RNG state);
                       any schedule kind and rank count (docs/checkpoints.md)
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
  --data FILE          train a language model on the token stream in FILE:
                       each step's micro-batches are windows of seq_len + 1
                       tokens drawn from (seed, step, micro-batch); without
                       it, synthetic data (docs/training.md)
  --data-format F      uint16 (default): flat little-endian uint16 tokens
                       (nanoGPT's train.bin); bytes: one token per byte; the
                       format of --val-data too
  --val-data FILE      validation token stream: the loss of one forward-only
                       pass (the schedule's forward order, no gradients) over
                       windows of FILE, printed as "eval step K: val loss L"
                       in nats per token before the first step, every K
                       steps and after the last (needs --eval-every)
  --eval-every K       evaluation period in steps (needs --val-data)
  --heartbeat S        print a "progress:" line when a step has run S seconds
                       without output, 0.001 to 1e6 (default 5)
  --trace FILE         write the measured timeline as Chrome trace JSON
  --losses-json FILE   write every step's loss and micro-batch losses as JSON
                       numbers that read back exactly (the printed losses
                       have 9 digits)
  --timeout S          bound on every blocking wait, in seconds, 0.001 to 1e6,
                       rounded up to whole milliseconds (default 60)
  --inject-fault R:I[:KIND]
                       test hook: instruction I of rank R fails in step 1;
                       KIND is throw (default), shape, drop or exit
  --help               this text

exit status: 0 success, 1 run failure, 2 usage or program error, 3 --check
mismatch
)";

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

std::string formatSeconds(double seconds) {
  std::ostringstream os;
  os << seconds;
  return os.str();
}

void checkCombinations(CliOptions &cli) {
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
    if (!cli.tracePath.empty() || !cli.lossesPath.empty() || cli.fault ||
        !cli.saveDir.empty() || !cli.loadDir.empty())
      usageError("--trace, --losses-json, --inject-fault, --save and --load "
                 "take a single program file");
  }
  if (cli.saveEvery > 0 && cli.saveDir.empty())
    usageError("--save-every needs --save DIR");
  if (cli.evalEvery > 0 && cli.valDataPath.empty())
    usageError("--eval-every needs --val-data FILE");
  if (!cli.valDataPath.empty() && cli.evalEvery == 0)
    usageError("--val-data needs --eval-every K");
  // Fail before training, not after it, when an output cannot be written.
  if (!cli.tracePath.empty() && !std::ofstream(cli.tracePath, std::ios::app))
    usageError("cannot write the trace to " + cli.tracePath);
  if (!cli.lossesPath.empty() && !std::ofstream(cli.lossesPath, std::ios::app))
    usageError("cannot write the losses to " + cli.lossesPath);
}

} // namespace

void usageError(const std::string &message) {
  std::cerr << "dualpipe-run: error: " << message << "\n"
            << "run 'dualpipe-run --help' for usage\n";
  std::exit(kExitUsage);
}

int64_t CliOptions::timeoutMilliseconds() const {
  return static_cast<int64_t>(std::ceil(timeoutSeconds * 1000));
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
      cli.steps = static_cast<int64_t>(steps);
    } else if (arg == "--save" || arg == "--load") {
      std::string dir = valueOf(i, argc, argv);
      if (dir.empty())
        usageError(arg + " expects a directory");
      (arg == "--save" ? cli.saveDir : cli.loadDir) = dir;
    } else if (arg == "--save-every") {
      double every = parseNumber(arg, valueOf(i, argc, argv));
      if (every < 1 || every != std::floor(every) || every > 1e9)
        usageError("--save-every expects a positive integer");
      cli.saveEvery = static_cast<int64_t>(every);
    } else if (arg == "--eval-every") {
      std::string text = valueOf(i, argc, argv);
      double every = parseNumber(arg, text);
      if (every < 1 || every != std::floor(every) || every > 1e9)
        usageError("--eval-every expects a positive integer, got " + text);
      cli.evalEvery = static_cast<int64_t>(every);
    } else if (arg == "--val-data") {
      cli.valDataPath = valueOf(i, argc, argv);
      if (cli.valDataPath.empty())
        usageError("--val-data expects a file");
    } else if (arg == "--heartbeat") {
      std::string text = valueOf(i, argc, argv);
      cli.heartbeatSeconds = parseNumber(arg, text);
      if (!(cli.heartbeatSeconds >= kMinTimeoutSeconds &&
            cli.heartbeatSeconds <= kMaxTimeoutSeconds))
        usageError("--heartbeat must be between " +
                   formatSeconds(kMinTimeoutSeconds) + " and " +
                   formatSeconds(kMaxTimeoutSeconds) + " seconds, got " + text);
    } else if (arg == "--backend") {
      cli.backend = valueOf(i, argc, argv);
      cli.backendGiven = true;
      if (cli.backend != "threads" && cli.backend != "gloo" &&
          cli.backend != "nccl")
        usageError("--backend must be threads, gloo or nccl, got '" +
                   cli.backend + "'");
    } else if (arg == "--device") {
      cli.device = valueOf(i, argc, argv);
    } else if (arg == "--spawn") {
      cli.spawn = true;
    } else if (arg == "--check") {
      cli.check = true;
    } else if (arg == "--data") {
      cli.dataPath = valueOf(i, argc, argv);
    } else if (arg == "--data-format") {
      cli.dataFormat = valueOf(i, argc, argv);
      if (cli.dataFormat != "uint16" && cli.dataFormat != "bytes")
        usageError("--data-format must be uint16 or bytes, got '" +
                   cli.dataFormat + "'");
    } else if (arg == "--trace") {
      cli.tracePath = valueOf(i, argc, argv);
    } else if (arg == "--losses-json") {
      cli.lossesPath = valueOf(i, argc, argv);
    } else if (arg == "--timeout") {
      std::string text = valueOf(i, argc, argv);
      cli.timeoutSeconds = parseNumber(arg, text);
      if (!(cli.timeoutSeconds >= kMinTimeoutSeconds &&
            cli.timeoutSeconds <= kMaxTimeoutSeconds))
        usageError(
            "--timeout must be between " + formatSeconds(kMinTimeoutSeconds) +
            " and " + formatSeconds(kMaxTimeoutSeconds) +
            " seconds (waits are timed in whole milliseconds), got " + text);
    } else if (arg == "--inject-fault") {
      std::string error;
      cli.fault = parseFaultSpec(valueOf(i, argc, argv), error);
      if (!cli.fault)
        usageError(error);
    } else if (!arg.empty() && arg[0] == '-') {
      usageError("unknown option '" + arg + "'");
    } else {
      cli.programs.push_back(arg);
    }
  }
  checkCombinations(cli);
  return cli;
}

} // namespace dualpipe::runtime
