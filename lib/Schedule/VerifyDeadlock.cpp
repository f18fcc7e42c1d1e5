//===- VerifyDeadlock.cpp - Rendezvous execution of all rank programs -----===//
//
// Under the semantics of Schedule.h every blocking instruction waits for one
// event: its partner instruction on one peer being reached (a blocking send
// for the recv to be posted, a wait on a recv token for the send to be
// issued, a wait on a send token for the recv to be posted). So each rank
// blocks on exactly one (rank, instruction) at a time, and reaching an
// instruction wakes at most its partner's rank: the execution is an event
// loop, linear in the program size. The set of reached instructions only
// grows, so the final state, and with it the report, does not depend on the
// order in which ranks are run.
//
//===----------------------------------------------------------------------===//

#include "dualpipe/Schedule/Dependencies.h"
#include "dualpipe/Schedule/Verify.h"

#include <algorithm>
#include <unordered_map>

namespace dualpipe {

namespace {

struct Position {
  int64_t rank = -1;
  int64_t index = -1;
  friend bool operator==(const Position &a, const Position &b) {
    return a.rank == b.rank && a.index == b.index;
  }
};

class RendezvousExecution {
public:
  RendezvousExecution(const std::vector<std::vector<FlatInstr>> &flat,
                      const std::vector<std::vector<int64_t>> &partner)
      : ranks(static_cast<int64_t>(flat.size())), flat(flat), partner(partner) {
    reached.resize(ranks);
    tokenDefinitions.resize(ranks);
    for (int64_t rank = 0; rank < ranks; ++rank) {
      reached[rank].assign(flat[rank].size(), false);
      indexTokens(rank);
    }
    cursor.assign(ranks, 0);
    blockedOn.assign(ranks, Position{});
  }

  std::optional<Finding> run() {
    for (int64_t rank = ranks - 1; rank >= 0; --rank)
      ready.push_back(rank);
    while (!ready.empty()) {
      int64_t rank = ready.back();
      ready.pop_back();
      advance(rank);
    }
    for (int64_t rank = 0; rank < ranks; ++rank)
      if (cursor[rank] < flat[rank].size())
        return describeCycle(rank);
    return std::nullopt;
  }

private:
  void indexTokens(int64_t rank) {
    for (size_t i = 0; i < flat[rank].size(); ++i) {
      const Instr &instr = *flat[rank][i].instr;
      bool defines =
          (instr.kind == InstrKind::Recv || instr.kind == InstrKind::Send) &&
          instr.token >= 0;
      if (defines)
        tokenDefinitions[rank].emplace(instr.token, static_cast<int64_t>(i));
    }
  }

  /// The message instruction whose partner the instruction at `index` waits
  /// for, or -1 if it does not block (not blocking by nature, or unusable).
  int64_t blockingMessage(int64_t rank, int64_t index) const {
    const Instr &instr = *flat[rank][index].instr;
    if (instr.kind == InstrKind::Send && instr.token < 0)
      return index;
    if (instr.kind != InstrKind::Wait)
      return -1;
    auto it = tokenDefinitions[rank].find(instr.token);
    if (it == tokenDefinitions[rank].end() || it->second > index)
      return -1;
    return it->second;
  }

  /// The instruction `rank` must see reached before passing `index`.
  std::optional<Position> awaited(int64_t rank, int64_t index) const {
    int64_t message = blockingMessage(rank, index);
    if (message < 0 || partner[rank][message] < 0)
      return std::nullopt;
    return Position{flat[rank][message].instr->peer, partner[rank][message]};
  }

  void reach(int64_t rank, int64_t index) {
    if (reached[rank][index])
      return;
    reached[rank][index] = true;
    int64_t other = partner[rank][index];
    if (other < 0)
      return;
    int64_t peer = flat[rank][index].instr->peer;
    if (blockedOn[peer] == Position{rank, index}) {
      blockedOn[peer] = Position{};
      ready.push_back(peer);
    }
  }

  void advance(int64_t rank) {
    size_t &next = cursor[rank];
    while (next < flat[rank].size()) {
      int64_t index = static_cast<int64_t>(next);
      reach(rank, index);
      std::optional<Position> wait = awaited(rank, index);
      if (wait && !reached[wait->rank][wait->index]) {
        blockedOn[rank] = *wait;
        return;
      }
      ++next;
    }
  }

  std::string describeBlocked(int64_t rank) const {
    int64_t index = static_cast<int64_t>(cursor[rank]);
    const Instr &at = *flat[rank][index].instr;
    std::string what =
        describeMessage(*flat[rank][blockingMessage(rank, index)].instr);
    return "rank " + std::to_string(rank) + " waits at " +
           (at.kind == InstrKind::Wait ? "wait for " + what : what);
  }

  /// A blocked rank waits on a peer that has not reached the partner
  /// instruction, so that peer is blocked too: following the waits from any
  /// blocked rank runs into a cycle.
  Finding describeCycle(int64_t start) const {
    std::vector<int64_t> cycle = waitCycle(
        start, ranks, [&](int64_t rank) { return blockedOn[rank].rank; });
    Finding finding;
    finding.message = "deadlock: ";
    for (size_t k = 0; k < cycle.size(); ++k) {
      int64_t member = cycle[k];
      const FlatInstr &at = flat[member][cursor[member]];
      finding.message += (k ? ", " : "") + describeBlocked(member);
      finding.notes.push_back(
          Finding::Note{"rank " + std::to_string(member) + " is blocked here",
                        at.where(member), at.instr->origin});
    }
    finding.where = finding.notes.front().where;
    finding.origin = finding.notes.front().origin;
    return finding;
  }

  int64_t ranks;
  const std::vector<std::vector<FlatInstr>> &flat;
  const std::vector<std::vector<int64_t>> &partner;
  std::vector<std::vector<bool>> reached;
  std::vector<std::unordered_map<int64_t, int64_t>> tokenDefinitions;
  std::vector<size_t> cursor;
  std::vector<Position> blockedOn;
  std::vector<int64_t> ready;
};

} // namespace

std::vector<int64_t> waitCycle(int64_t start, int64_t ranks,
                               const std::function<int64_t(int64_t)> &waitsOn) {
  std::vector<int64_t> seenAt(ranks, -1);
  std::vector<int64_t> path;
  int64_t rank = start;
  while (seenAt[rank] < 0) {
    seenAt[rank] = static_cast<int64_t>(path.size());
    path.push_back(rank);
    rank = waitsOn(rank);
  }
  std::vector<int64_t> cycle(path.begin() + seenAt[rank], path.end());
  std::rotate(cycle.begin(), std::min_element(cycle.begin(), cycle.end()),
              cycle.end());
  return cycle;
}

std::optional<Finding>
findDeadlock(const std::vector<std::vector<FlatInstr>> &flat,
             const std::vector<std::vector<int64_t>> &partner) {
  return RendezvousExecution(flat, partner).run();
}

std::optional<Finding> findDeadlock(const Program &program) {
  std::vector<std::vector<FlatInstr>> flat;
  flat.reserve(program.ranks.size());
  for (const std::vector<Instr> &instrs : program.ranks)
    flat.push_back(flattenRank(instrs));
  return findDeadlock(flat, pairMessages(flat));
}

} // namespace dualpipe
