//===- dualpipe-plan.cpp - Recommend a pipeline schedule ------------------===//
//
// Simulates every applicable schedule kind for the given sizes and costs and
// recommends the fastest that fits the memory budget. MLIR-free, so it runs
// wherever the schedule library builds. Exit status: 0 when at least one kind
// was simulated (even if none fits the budget: the output says so), 1 on
// invalid input, including sizes that no kind accepts.
//
//===----------------------------------------------------------------------===//

#include "dualpipe/Schedule/Cost.h"
#include "dualpipe/Schedule/Plan.h"

#include <charconv>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <string>
#include <string_view>

using namespace dualpipe;

namespace {

constexpr const char *kUsage =
    R"(usage: dualpipe-plan --ranks=N --microbatches=N [options]

Generates, lowers (eager communication) and simulates every schedule kind that
applies to the sizes, prints one table and recommends the fastest kind that
fits the memory budget (ties: less activation memory).

options:
  --ranks=N                  pipeline ranks (devices)
  --microbatches=N           micro-batches per step
  --virtual-stages=N         stages per rank for interleaved-1f1b (default 2)
  --cost=SPEC                cost overrides, e.g. f=1,b=2,w=1,fb=2.5,act=64MiB,
                             param=1GiB,msg=8MiB,latency=0.01,bandwidth=100G,
                             inter-latency=..,inter-bandwidth=..,ranks-per-node=8;
                             key@S=v sets chunk S only. Costs describe the model
                             cut into one chunk per rank; kinds with more stages
                             split each chunk evenly (default f=1,b=2,w=1)
  --kinds=K1,K2              only these kinds (default: every fixed kind and
                             auto, searched for the costs and the budget)
  --max-activations=N        budget: peak live activations on any rank
  --max-activation-bytes=B   budget: peak activation bytes on any rank (64GiB)
  --json                     machine-readable output
  --help                     this text
)";

constexpr double kProgressAfterSeconds = 2;

struct Args {
  PlanOptions plan;
  bool json = false;
  bool help = false;
  bool haveRanks = false, haveMicrobatches = false;
};

std::optional<int64_t> parseInt(std::string_view text) {
  int64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size())
    return std::nullopt;
  return v;
}

std::string parseKinds(std::string_view list, std::vector<ScheduleKind> &out) {
  while (!list.empty()) {
    size_t comma = list.find(',');
    std::string_view name = list.substr(0, comma);
    list = comma == std::string_view::npos ? std::string_view()
                                           : list.substr(comma + 1);
    std::optional<ScheduleKind> kind = parseScheduleKind(name);
    if (!kind)
      return "unknown schedule kind '" + std::string(name) + "'";
    out.push_back(*kind);
  }
  return out.empty() ? "--kinds needs at least one kind" : "";
}

/// Applies one `--name=value` flag; returns an error message or "".
std::string applyFlag(Args &args, std::string_view name,
                      std::string_view value) {
  auto integer = [&](int64_t &dst) -> std::string {
    std::optional<int64_t> v = parseInt(value);
    if (!v)
      return "--" + std::string(name) + " expects an integer, got '" +
             std::string(value) + "'";
    dst = *v;
    return "";
  };
  if (name == "ranks") {
    args.haveRanks = true;
    return integer(args.plan.ranks);
  }
  if (name == "microbatches") {
    args.haveMicrobatches = true;
    return integer(args.plan.microbatches);
  }
  if (name == "virtual-stages")
    return integer(args.plan.virtualStages);
  if (name == "max-activations") {
    int64_t v = 0;
    std::string err = integer(v);
    args.plan.maxActivations = v;
    return err;
  }
  if (name == "max-activation-bytes") {
    std::optional<double> v = parseByteSize(value);
    if (!v)
      return "--max-activation-bytes expects a byte count such as 4096 or "
             "64GiB, got '" +
             std::string(value) + "'";
    args.plan.maxActivationBytes = *v;
    return "";
  }
  if (name == "cost") {
    std::string err = applyCostOverrides(args.plan.cost, value);
    return err.empty() ? "" : "--cost: " + err;
  }
  if (name == "kinds")
    return parseKinds(value, args.plan.kinds);
  return "unknown option '--" + std::string(name) + "'"; // see takesValue
}

bool takesValue(std::string_view name) {
  for (std::string_view known :
       {"ranks", "microbatches", "virtual-stages", "cost", "kinds",
        "max-activations", "max-activation-bytes"})
    if (name == known)
      return true;
  return false;
}

std::string parseArgs(int argc, char **argv, Args &args) {
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      args.help = true;
      continue;
    }
    if (arg == "--json") {
      args.json = true;
      continue;
    }
    if (arg.substr(0, 2) != "--")
      return "unexpected argument '" + std::string(arg) + "'";
    arg.remove_prefix(2);
    std::string_view name = arg, value;
    size_t eq = arg.find('=');
    if (eq != std::string_view::npos)
      name = arg.substr(0, eq);
    if (!takesValue(name))
      return "unknown option '--" + std::string(name) + "'";
    if (eq != std::string_view::npos) {
      value = arg.substr(eq + 1);
    } else if (i + 1 < argc) {
      value = argv[++i];
    } else {
      return "option '--" + std::string(name) + "' needs a value";
    }
    if (std::string err = applyFlag(args, name, value); !err.empty())
      return err;
  }
  if (args.help)
    return "";
  if (!args.haveRanks)
    return "--ranks is required";
  if (!args.haveMicrobatches)
    return "--microbatches is required";
  return "";
}

int fail(const std::string &message) {
  std::cerr << "dualpipe-plan: error: " << message << "\n"
            << "run 'dualpipe-plan --help' for usage\n";
  return 1;
}

} // namespace

int main(int argc, char **argv) {
  Args args;
  if (std::string err = parseArgs(argc, argv, args); !err.empty())
    return fail(err);
  if (args.help) {
    std::cout << kUsage;
    return 0;
  }
  // Large sizes take minutes (auto searches); after a few seconds say which
  // kind is being planned so that a long run is not taken for a hang.
  auto start = std::chrono::steady_clock::now();
  args.plan.progress = [start](ScheduleKind kind, size_t index, size_t count) {
    std::chrono::duration<double> elapsed =
        std::chrono::steady_clock::now() - start;
    if (elapsed.count() >= kProgressAfterSeconds)
      std::fprintf(stderr, "dualpipe-plan: %.1f s: planning %s (%zu of %zu)\n",
                   elapsed.count(), std::string(toString(kind)).c_str(),
                   index + 1, count);
  };
  std::vector<Finding> findings;
  std::optional<PlanResult> result = plan(args.plan, findings);
  if (!result)
    return fail(firstFindingText(findings));
  if (args.json)
    std::cout << renderPlanJson(*result, /*indent=*/2) << "\n";
  else
    std::cout << renderPlanText(*result);
  bool simulated = false;
  for (const PlanCandidate &c : result->candidates)
    simulated |= c.skipped.empty();
  if (!simulated)
    return fail(result->reason);
  return 0;
}
