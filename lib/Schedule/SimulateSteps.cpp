//===- SimulateSteps.cpp - A rank program as units of the replay ----------===//

#include "SimulateSteps.h"
#include "dualpipe/Schedule/Dependencies.h"

#include <unordered_map>

namespace dualpipe::replay {

Finding makeFinding(int64_t rank, const FlatStep &step, std::string message) {
  Finding f;
  f.message = rankPrefix(rank) + std::move(message);
  f.where = step.ref(rank);
  f.origin =
      step.at.instr->origin >= 0 ? step.at.instr->origin : step.anchor->origin;
  return f;
}

namespace {

class Flattener {
public:
  Flattener(int64_t rank, int64_t numRanks, std::vector<Finding> &findings)
      : rank(rank), numRanks(numRanks), findings(findings) {}

  RankSteps run(const std::vector<Instr> &program) {
    std::vector<FlatInstr> flat = flattenRank(program);
    result.steps.reserve(flat.size());
    for (size_t begin = 0; begin < flat.size();) {
      size_t end = begin + 1;
      const Instr &anchor = program[flat[begin].top];
      if (flat[begin].inner < 0) {
        add(stepAt(flat[begin], anchor));
      } else {
        while (end < flat.size() && flat[end].top == flat[begin].top)
          ++end;
        addOverlap(flat.data() + begin, flat.data() + end, anchor);
      }
      begin = end;
    }
    result.slots = static_cast<int64_t>(tokens.size());
    return std::move(result);
  }

private:
  static FlatStep stepAt(const FlatInstr &at, const Instr &anchor) {
    FlatStep step;
    step.at = at;
    step.anchor = &anchor;
    return step;
  }

  void add(FlatStep step) {
    const Instr &instr = *step.at.instr;
    switch (instr.kind) {
    case InstrKind::Compute:
      step.kind = FlatStep::Kind::Compute;
      break;
    case InstrKind::Send:
    case InstrKind::Recv:
      ++result.numMessages;
      step.kind = FlatStep::Kind::Comm;
      checkPeer(step);
      if (instr.kind == InstrKind::Recv || instr.token >= 0)
        define(step);
      break;
    case InstrKind::Wait: {
      step.kind = FlatStep::Kind::Comm;
      auto it = tokens.find(instr.token);
      if (it == tokens.end())
        findings.push_back(
            makeFinding(rank, step,
                        "wait on token " + std::to_string(instr.token) +
                            " that no earlier recv or send defines"));
      else
        step.slot = it->second.slot;
      break;
    }
    case InstrKind::Overlap:
      findings.push_back(
          makeFinding(rank, step, "overlap nested inside an overlap"));
      return;
    }
    result.steps.push_back(step);
  }

  void checkPeer(const FlatStep &step) {
    int64_t peer = step.at.instr->peer;
    if (peer < 0 || peer >= numRanks)
      findings.push_back(makeFinding(rank, step,
                                     describeInstr(*step.at.instr) +
                                         " names a rank outside [0, " +
                                         std::to_string(numRanks) + ")"));
    else if (peer == rank)
      findings.push_back(makeFinding(rank, step,
                                     describeInstr(*step.at.instr) +
                                         " is addressed to itself"));
  }

  void define(FlatStep &step) {
    int64_t token = step.at.instr->token;
    if (token < 0) {
      findings.push_back(makeFinding(
          rank, step, describeInstr(*step.at.instr) + " defines no token"));
      return;
    }
    Token t{static_cast<int64_t>(tokens.size()),
            step.at.instr->kind == InstrKind::Recv};
    if (!tokens.emplace(token, t).second)
      findings.push_back(makeFinding(
          rank, step, "token " + std::to_string(token) + " is defined twice"));
    step.slot = t.slot;
  }

  /// An overlap runs as one unit: every input of the pair (recvs, waits on
  /// recvs) is gathered before it starts, every output (sends, waits on
  /// sends) leaves after it ends, whatever their order between the two ops.
  void addOverlap(const FlatInstr *begin, const FlatInstr *end,
                  const Instr &overlap) {
    std::vector<const FlatInstr *> computes;
    for (const FlatInstr *at = begin; at != end; ++at)
      if (at->instr->kind == InstrKind::Compute)
        computes.push_back(at);
    if (computes.size() > 2) {
      findings.push_back(makeFinding(
          rank, stepAt(FlatInstr{&overlap, begin->top, -1}, overlap),
          "overlap runs " + std::to_string(computes.size()) +
              " compute ops, at most 2 can run concurrently"));
      return;
    }
    auto sub = [&](const FlatInstr *at) { return stepAt(*at, overlap); };
    if (computes.size() < 2) {
      for (const FlatInstr *at = begin; at != end; ++at)
        add(sub(at));
      return;
    }
    const FlatInstr *first = computes[0], *second = computes[1];
    for (const FlatInstr *at = begin; at != first; ++at)
      add(sub(at));
    std::vector<const FlatInstr *> after;
    for (const FlatInstr *at = first + 1; at != second; ++at)
      (isInput(*at->instr) ? add(sub(at)) : after.push_back(at));
    FlatStep pair = sub(first);
    pair.kind = FlatStep::Kind::Pair;
    pair.second = second->instr;
    result.steps.push_back(pair);
    for (const FlatInstr *at : after)
      add(sub(at));
    for (const FlatInstr *at = second + 1; at != end; ++at)
      add(sub(at));
  }

  bool isInput(const Instr &instr) const {
    if (instr.kind == InstrKind::Recv)
      return true;
    if (instr.kind != InstrKind::Wait)
      return false;
    auto it = tokens.find(instr.token);
    return it != tokens.end() && it->second.isRecv;
  }

  struct Token {
    int64_t slot;
    bool isRecv;
  };

  int64_t rank;
  int64_t numRanks;
  std::vector<Finding> &findings;
  std::unordered_map<int64_t, Token> tokens;
  RankSteps result;
};

} // namespace

RankSteps flattenForReplay(int64_t rank, int64_t numRanks,
                           const std::vector<Instr> &program,
                           std::vector<Finding> &findings) {
  return Flattener(rank, numRanks, findings).run(program);
}

} // namespace dualpipe::replay
