//===- VerifyComm.cpp - Level-3 checks: messages, tokens, data ------------===//
//
// A program is checked in layers: its compute skeleton with the level-2
// rules, then each message on its own (range, peer, the dependency it must
// carry), then pairing, tokens and data availability per rank, and finally
// the rendezvous execution. Each layer tolerates the faults the earlier ones
// report, so one broken instruction yields a focused finding instead of a
// cascade or a crash.
//
//===----------------------------------------------------------------------===//

#include "dualpipe/Schedule/Dependencies.h"
#include "dualpipe/Schedule/Generate.h"
#include "dualpipe/Schedule/Verify.h"

#include <algorithm>
#include <array>
#include <unordered_map>

namespace dualpipe {

InstrRef FlatInstr::where(int64_t rank) const {
  if (inner < 0)
    return InstrRef{rank, {top}};
  return InstrRef{rank, {top, inner}};
}

std::vector<FlatInstr> flattenRank(const std::vector<Instr> &instrs) {
  std::vector<FlatInstr> flat;
  flat.reserve(instrs.size() + 4);
  for (size_t top = 0; top < instrs.size(); ++top) {
    const Instr &instr = instrs[top];
    if (instr.kind != InstrKind::Overlap) {
      flat.push_back(FlatInstr{&instr, static_cast<int64_t>(top), -1});
      continue;
    }
    for (size_t inner = 0; inner < instr.body.size(); ++inner)
      flat.push_back(FlatInstr{&instr.body[inner], static_cast<int64_t>(top),
                               static_cast<int64_t>(inner)});
  }
  return flat;
}

namespace {

bool isMessage(const Instr &instr) {
  return instr.kind == InstrKind::Send || instr.kind == InstrKind::Recv;
}

bool validPeer(const Instr &instr, int64_t rank, int64_t ranks) {
  return instr.peer >= 0 && instr.peer < ranks && instr.peer != rank;
}

/// One side of a message, sortable into its (source, destination, key)
/// channel, sends before recvs, each in program order.
struct ChannelEnd {
  int64_t source, destination;
  MsgKey key;
  bool isRecv;
  int64_t rank, index;

  bool sameChannel(const ChannelEnd &other) const {
    return source == other.source && destination == other.destination &&
           key == other.key;
  }
  friend bool operator<(const ChannelEnd &a, const ChannelEnd &b) {
    if (a.source != b.source)
      return a.source < b.source;
    if (a.destination != b.destination)
      return a.destination < b.destination;
    if (a.key != b.key)
      return a.key < b.key;
    if (a.isRecv != b.isRecv)
      return b.isRecv;
    return a.index < b.index;
  }
};

} // namespace

std::vector<std::vector<int64_t>>
pairMessages(const std::vector<std::vector<FlatInstr>> &flat) {
  int64_t ranks = static_cast<int64_t>(flat.size());
  std::vector<std::vector<int64_t>> partner(ranks);
  std::vector<ChannelEnd> ends;
  for (int64_t rank = 0; rank < ranks; ++rank) {
    partner[rank].assign(flat[rank].size(), -1);
    for (size_t i = 0; i < flat[rank].size(); ++i) {
      const Instr &instr = *flat[rank][i].instr;
      if (!isMessage(instr) || !validPeer(instr, rank, ranks))
        continue;
      bool isRecv = instr.kind == InstrKind::Recv;
      ends.push_back(ChannelEnd{isRecv ? instr.peer : rank,
                                isRecv ? rank : instr.peer, instr.key, isRecv,
                                rank, static_cast<int64_t>(i)});
    }
  }
  std::sort(ends.begin(), ends.end());
  for (size_t begin = 0; begin < ends.size();) {
    size_t firstRecv = begin, end = begin;
    while (end < ends.size() && ends[end].sameChannel(ends[begin]))
      ++end;
    while (firstRecv < end && !ends[firstRecv].isRecv)
      ++firstRecv;
    for (size_t send = begin, recv = firstRecv; send < firstRecv && recv < end;
         ++send, ++recv) {
      partner[ends[send].rank][ends[send].index] = ends[recv].index;
      partner[ends[recv].rank][ends[recv].index] = ends[send].index;
    }
    begin = end;
  }
  return partner;
}

namespace {

/// Where each level-2 step of the compute skeleton came from.
struct StepOrigin {
  FlatInstr whole;                // the Compute, or the Overlap
  std::array<FlatInstr, 2> parts; // the step's ops
  bool overlap = false;
};

class ProgramChecker {
public:
  ProgramChecker(const Program &program, const VerifyOptions &options)
      : program(program), placement(program.placement), options(options),
        ranks(static_cast<int64_t>(program.ranks.size())) {}

  std::vector<Finding> run() {
    // A malformed overlap also breaks the skeleton (an op seems missing);
    // its shape is the cause, so it is reported first.
    checkShape();
    checkComputeSkeleton();
    if (!sizesValid())
      return std::move(findings);
    for (const std::vector<Instr> &instrs : program.ranks)
      flat.push_back(flattenRank(instrs));
    partner = pairMessages(flat);
    checkMessages();
    checkPairing();
    checkTokens();
    checkData();
    checkDeadlockFreedom();
    return std::move(findings);
  }

private:
  bool full() const { return findings.size() >= options.maxFindings; }

  /// Under the semantics of the transport the options name.
  void checkDeadlockFreedom() {
    if (full() || !options.deadlockFreedom)
      return;
    if (options.matching == MessageMatching::ByKey) {
      if (std::optional<Finding> deadlock = findDeadlock(flat, partner))
        findings.push_back(std::move(*deadlock));
      return;
    }
    for (Finding &finding : checkInOrder(flat, partner, placement.stages,
                                         options.maxFindings - findings.size()))
      findings.push_back(std::move(finding));
  }

  void report(int64_t rank, const FlatInstr &at, std::string message,
              std::vector<Finding::Note> notes = {}) {
    if (full())
      return;
    findings.push_back(Finding{rankPrefix(rank) + std::move(message),
                               at.where(rank), at.instr->origin,
                               std::move(notes)});
  }
  static Finding::Note noteAt(int64_t rank, const FlatInstr &at,
                              std::string message) {
    return Finding::Note{std::move(message), at.where(rank), at.instr->origin};
  }

  bool sizesValid() const {
    return placement.checkSizes().empty() && ranks == placement.ranks;
  }

  //===--------------------------------------------------------------------===//
  // Compute skeleton: level-2 rules, findings mapped back to instructions
  //===--------------------------------------------------------------------===//

  void checkComputeSkeleton() {
    Schedule skeleton;
    skeleton.kind = program.kind;
    skeleton.placement = placement;
    skeleton.ranks.resize(program.ranks.size());
    stepOrigins.resize(program.ranks.size());
    for (size_t rank = 0; rank < program.ranks.size(); ++rank)
      addSkeletonRank(program.ranks[rank], skeleton.ranks[rank],
                      stepOrigins[rank]);
    VerifyOptions computeOptions = options;
    // A program's cross-rank order lives in its messages: findDeadlock proves
    // it, and reports a compute-order cycle as the deadlock it causes.
    computeOptions.executability = false;
    for (Finding &finding : verifySchedule(skeleton, computeOptions)) {
      remap(finding.where, finding.origin);
      for (Finding::Note &note : finding.notes)
        remap(note.where, note.origin);
      findings.push_back(std::move(finding));
    }
  }

  static void addSkeletonRank(const std::vector<Instr> &instrs,
                              std::vector<Step> &steps,
                              std::vector<StepOrigin> &origins) {
    for (size_t top = 0; top < instrs.size(); ++top) {
      const Instr &instr = instrs[top];
      FlatInstr whole{&instr, static_cast<int64_t>(top), -1};
      if (instr.kind == InstrKind::Compute) {
        steps.push_back(Step{instr.op, std::nullopt, instr.origin});
        origins.push_back(StepOrigin{whole, {whole, whole}, false});
        continue;
      }
      if (instr.kind != InstrKind::Overlap)
        continue;
      std::vector<FlatInstr> computes;
      for (size_t inner = 0; inner < instr.body.size(); ++inner)
        if (instr.body[inner].kind == InstrKind::Compute)
          computes.push_back(FlatInstr{&instr.body[inner],
                                       static_cast<int64_t>(top),
                                       static_cast<int64_t>(inner)});
      // checkShape reports a body that does not hold exactly two computes;
      // the first two still take part in the level-2 checks.
      if (computes.empty())
        continue;
      Step step{computes[0].instr->op, std::nullopt, instr.origin};
      if (computes.size() > 1)
        step.second = computes[1].instr->op;
      steps.push_back(step);
      origins.push_back(
          StepOrigin{whole,
                     {computes[0], computes[computes.size() > 1 ? 1 : 0]},
                     computes.size() > 1});
    }
  }

  void remap(InstrRef &where, int64_t &origin) const {
    if (where.rank < 0 || where.rank >= ranks || where.path.empty())
      return;
    const StepOrigin &step = stepOrigins[where.rank][where.path[0]];
    const FlatInstr &at =
        where.path.size() > 1 || !step.overlap
            ? step.parts[where.path.size() > 1 ? where.path[1] : 0]
            : step.whole;
    where = at.where(where.rank);
    origin = at.instr->origin;
  }

  //===--------------------------------------------------------------------===//
  // Instruction shape
  //===--------------------------------------------------------------------===//

  void checkShape() {
    for (int64_t rank = 0; rank < ranks && !full(); ++rank) {
      const std::vector<Instr> &instrs = program.ranks[rank];
      for (size_t top = 0; top < instrs.size(); ++top)
        checkShape(rank, instrs[top], static_cast<int64_t>(top));
    }
  }

  void checkShape(int64_t rank, const Instr &instr, int64_t top) {
    FlatInstr at{&instr, top, -1};
    if (instr.kind != InstrKind::Overlap) {
      if (!instr.body.empty())
        report(rank, at, "only an overlap may have a body");
      return;
    }
    size_t computes = 0;
    for (size_t inner = 0; inner < instr.body.size(); ++inner) {
      const Instr &part = instr.body[inner];
      computes += part.kind == InstrKind::Compute;
      if (part.kind == InstrKind::Overlap || !part.body.empty())
        report(rank, FlatInstr{&part, top, static_cast<int64_t>(inner)},
               "overlap nested inside an overlap");
    }
    if (computes != 2)
      report(rank, at,
             "overlap must hold exactly two computations, found " +
                 std::to_string(computes));
  }

  //===--------------------------------------------------------------------===//
  // Each message on its own: range, peer, the dependency it carries
  //===--------------------------------------------------------------------===//

  void checkMessages() {
    for (int64_t rank = 0; rank < ranks && !full(); ++rank)
      for (const FlatInstr &at : flat[rank])
        if (isMessage(*at.instr))
          checkMessage(rank, at);
  }

  void checkMessage(int64_t rank, const FlatInstr &at) {
    const Instr &instr = *at.instr;
    bool send = instr.kind == InstrKind::Send;
    // Built only for a finding: this runs once per message.
    auto what = [&] { return describeMessage(instr); };
    if (instr.peer < 0 || instr.peer >= ranks)
      return report(rank, at, what() + ": no such rank");
    if (instr.peer == rank)
      return report(rank, at, what() + ": a rank cannot message itself");
    if (!inRange(placement, instr.key))
      return report(rank, at,
                    what() + " is out of range (" +
                        std::to_string(placement.stages) + " stages, " +
                        std::to_string(placement.microbatches) +
                        " microbatches)");
    MessageEnds ends = messageEnds(placement, instr.key);
    if (!ends.valid())
      return report(rank, at, what() + ": no stage consumes it");
    if (!ends.crossesRanks())
      return report(rank, at,
                    what() +
                        " is not needed: producer and consumer are both "
                        "on rank " +
                        std::to_string(ends.producerRank));
    int64_t ownEnd = send ? ends.producerRank : ends.consumerRank;
    int64_t peerEnd = send ? ends.consumerRank : ends.producerRank;
    ComputeOp own =
        send ? nominalProducer(instr.key) : nominalConsumer(instr.key);
    ComputeOp peer =
        send ? nominalConsumer(instr.key) : nominalProducer(instr.key);
    if (ownEnd != rank)
      report(rank, at,
             what() + " on the wrong rank: its " +
                 (send ? "producer " : "consumer ") + describe(own) +
                 " is on rank " + std::to_string(ownEnd));
    else if (peerEnd != instr.peer)
      report(rank, at,
             what() + ", but its " + (send ? "consumer " : "producer ") +
                 describe(peer) + " is on rank " + std::to_string(peerEnd));
  }

  //===--------------------------------------------------------------------===//
  // Pairing
  //===--------------------------------------------------------------------===//

  void checkPairing() {
    for (int64_t rank = 0; rank < ranks && !full(); ++rank)
      for (size_t i = 0; i < flat[rank].size(); ++i) {
        const Instr &instr = *flat[rank][i].instr;
        if (!isMessage(instr) || !validPeer(instr, rank, ranks) ||
            partner[rank][i] >= 0)
          continue;
        bool send = instr.kind == InstrKind::Send;
        report(rank, flat[rank][i],
               describeMessage(instr) + " has no matching " +
                   (send ? "recv" : "send") + " on rank " +
                   std::to_string(instr.peer));
      }
  }

  //===--------------------------------------------------------------------===//
  // Tokens
  //===--------------------------------------------------------------------===//

  struct TokenUse {
    int64_t definition = -1; // flat index
    int64_t firstWait = -1;  // flat index
  };

  static bool definesToken(const Instr &instr) {
    return (instr.kind == InstrKind::Recv || instr.kind == InstrKind::Send) &&
           instr.token >= 0;
  }

  void checkTokens() {
    tokens.resize(ranks);
    for (int64_t rank = 0; rank < ranks && !full(); ++rank) {
      collectTokenDefinitions(rank);
      checkWaits(rank);
      checkRecvsWaited(rank);
    }
  }

  void collectTokenDefinitions(int64_t rank) {
    for (size_t i = 0; i < flat[rank].size(); ++i) {
      const FlatInstr &at = flat[rank][i];
      const Instr &instr = *at.instr;
      if (instr.kind == InstrKind::Recv && instr.token < 0)
        report(rank, at, describeMessage(instr) + " has no token");
      if (!definesToken(instr))
        continue;
      auto [it, inserted] =
          tokens[rank].emplace(instr.token, TokenUse{static_cast<int64_t>(i)});
      if (!inserted)
        report(rank, at,
               "token " + std::to_string(instr.token) + " is defined twice",
               {noteAt(rank, flat[rank][it->second.definition],
                       "token " + std::to_string(instr.token) +
                           " is first defined here")});
    }
  }

  void checkWaits(int64_t rank) {
    for (size_t i = 0; i < flat[rank].size(); ++i) {
      const FlatInstr &at = flat[rank][i];
      if (at.instr->kind != InstrKind::Wait)
        continue;
      auto it = tokens[rank].find(at.instr->token);
      auto token = [&] { return "token " + std::to_string(at.instr->token); };
      if (it == tokens[rank].end()) {
        report(rank, at, "wait on unknown " + token());
        continue;
      }
      TokenUse &use = it->second;
      const FlatInstr &definition = flat[rank][use.definition];
      if (use.definition > static_cast<int64_t>(i)) {
        report(rank, at, "wait on " + token() + " before it is defined",
               {noteAt(rank, definition, token() + " is defined here")});
        continue;
      }
      // A token defined in an overlap region is not visible outside it (in
      // IR the region scopes its values), so the region must wait for it.
      if (definition.inner >= 0 && (at.inner < 0 || at.top != definition.top)) {
        report(rank, at,
               "wait on " + token() +
                   " outside the overlap region that defines it",
               {noteAt(rank, definition, token() + " is defined here")});
        continue;
      }
      if (use.firstWait >= 0) {
        report(rank, at, token() + " is waited twice",
               {noteAt(rank, flat[rank][use.firstWait],
                       "first wait on " + token() + " is here")});
        continue;
      }
      use.firstWait = static_cast<int64_t>(i);
    }
  }

  void checkRecvsWaited(int64_t rank) {
    for (const FlatInstr &at : flat[rank]) {
      const Instr &instr = *at.instr;
      if (instr.kind != InstrKind::Recv || instr.token < 0)
        continue;
      const TokenUse &use = tokens[rank].at(instr.token);
      if (use.firstWait < 0 && &flat[rank][use.definition] == &at)
        report(rank, at,
               describeMessage(instr) + " (token " +
                   std::to_string(instr.token) + ") is never waited");
    }
  }

  //===--------------------------------------------------------------------===//
  // Data: inputs received and waited before use, outputs sent after made
  //===--------------------------------------------------------------------===//

  /// Flat index at which the compute at `i` starts: both ops of an overlap
  /// start together, with its first computation.
  std::vector<int64_t> computeStarts(int64_t rank, bool last) const {
    const std::vector<FlatInstr> &instrs = flat[rank];
    std::vector<int64_t> at(instrs.size(), -1);
    for (size_t begin = 0; begin < instrs.size();) {
      size_t end = begin + 1;
      while (end < instrs.size() && instrs[begin].inner >= 0 &&
             instrs[end].top == instrs[begin].top)
        ++end;
      int64_t bound = -1;
      for (size_t k = begin; k < end; ++k)
        if (instrs[k].instr->kind == InstrKind::Compute && (bound < 0 || last))
          bound = static_cast<int64_t>(k);
      for (size_t k = begin; k < end; ++k)
        at[k] = instrs[k].instr->kind == InstrKind::Compute ? bound : -1;
      begin = end;
    }
    return at;
  }

  void checkData() {
    for (int64_t rank = 0; rank < ranks && !full(); ++rank) {
      checkInputsReceived(rank);
      checkOutputsSentAfterProduced(rank);
    }
  }

  /// The compute at `i` consumes a value made on another rank: a recv and its
  /// wait must both come before it.
  void checkInputsReceived(int64_t rank) {
    const std::vector<FlatInstr> &instrs = flat[rank];
    std::unordered_map<MsgKey, std::vector<int64_t>, MsgKeyHash> recvs;
    for (size_t i = 0; i < instrs.size(); ++i)
      if (instrs[i].instr->kind == InstrKind::Recv)
        recvs[instrs[i].instr->key].push_back(static_cast<int64_t>(i));
    std::vector<int64_t> starts = computeStarts(rank, /*last=*/false);
    for (size_t i = 0; i < instrs.size() && !full(); ++i) {
      const Instr &instr = *instrs[i].instr;
      if (instr.kind != InstrKind::Compute || !inRange(placement, instr.op))
        continue;
      std::optional<MsgKey> key = consumedValue(instr.op, placement.stages);
      if (!key)
        continue;
      MessageEnds ends = messageEnds(placement, *key);
      if (!ends.valid() || ends.producerRank == rank)
        continue;
      auto it = recvs.find(*key);
      checkInputReceived(rank, instrs[i], *key, ends.producerRank, starts[i],
                         it == recvs.end() ? std::vector<int64_t>{}
                                           : it->second);
    }
  }

  void checkInputReceived(int64_t rank, const FlatInstr &consumer,
                          const MsgKey &key, int64_t producerRank,
                          int64_t start, const std::vector<int64_t> &recvs) {
    auto what = [&] { return describe(consumer.instr->op); };
    if (recvs.empty())
      return report(rank, consumer,
                    what() + " needs " + describe(key) + " from rank " +
                        std::to_string(producerRank) +
                        " but has no recv for it");
    const FlatInstr &firstRecv = flat[rank][recvs.front()];
    if (recvs.front() >= start)
      return report(rank, consumer,
                    what() + " runs before its recv of " + describe(key),
                    {noteAt(rank, firstRecv, "the recv is here")});
    for (int64_t recv : recvs) {
      auto it = tokens[rank].find(flat[rank][recv].instr->token);
      if (recv < start && it != tokens[rank].end() &&
          it->second.firstWait >= 0 && it->second.firstWait < start)
        return;
    }
    report(rank, consumer,
           what() + " uses " + describe(key) + " before waiting for it",
           {noteAt(rank, firstRecv, "the recv is here")});
  }

  void checkOutputsSentAfterProduced(int64_t rank) {
    const std::vector<FlatInstr> &instrs = flat[rank];
    std::vector<int64_t> ends = computeStarts(rank, /*last=*/true);
    std::unordered_map<MsgKey, int64_t, MsgKeyHash> madeAt;
    for (size_t i = 0; i < instrs.size(); ++i) {
      const Instr &instr = *instrs[i].instr;
      if (instr.kind != InstrKind::Compute)
        continue;
      if (std::optional<MsgKey> key = producedValue(instr.op, placement.stages))
        madeAt.emplace(*key, static_cast<int64_t>(i));
    }
    for (size_t i = 0; i < instrs.size() && !full(); ++i) {
      const Instr &instr = *instrs[i].instr;
      if (instr.kind != InstrKind::Send)
        continue;
      auto it = madeAt.find(instr.key);
      if (it == madeAt.end() || ends[it->second] < static_cast<int64_t>(i))
        continue;
      const FlatInstr &producer = instrs[it->second];
      report(
          rank, instrs[i],
          describeMessage(instr) + " runs before its producer " +
              describe(producer.instr->op),
          {noteAt(rank, producer, describe(producer.instr->op) + " is here")});
    }
  }

  const Program &program;
  const Placement &placement;
  const VerifyOptions &options;
  int64_t ranks;
  std::vector<Finding> findings;
  std::vector<std::vector<StepOrigin>> stepOrigins;
  std::vector<std::vector<FlatInstr>> flat;
  std::vector<std::vector<int64_t>> partner;
  std::vector<std::unordered_map<int64_t, TokenUse>> tokens;
};

} // namespace

std::vector<Finding> verifyProgram(const Program &program,
                                   const VerifyOptions &options) {
  return ProgramChecker(program, options).run();
}

std::vector<Finding> verifyProgram(const Program &program) {
  return verifyProgram(program, VerifyOptions{});
}

} // namespace dualpipe
