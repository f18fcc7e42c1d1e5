//===- VerifyInOrder.cpp - Programs under in-order (NCCL) matching --------===//
//
// NCCL pairs the k-th send from a to b with the k-th receive b posts from a,
// whatever the keys, and runs each rank's post groups one after the other on
// one stream (CommGroups.h). A program proven by key can break both ways: a
// pair's receives in another order than its sends deliver the wrong tensors,
// and a receive posted early holds up the sends queued behind it. The two
// checks here prove neither happens.
//
// The execution is an event loop like findDeadlock's: every group starts
// once, every message meets its partner once (counted by whichever group
// starts second), every Wait passes once, and a rank is revisited only when
// one of its groups completes. Starting is monotone, so the final state, and
// with it the report, does not depend on the order in which ranks run.
//
//===----------------------------------------------------------------------===//

#include "dualpipe/Schedule/CommGroups.h"
#include "dualpipe/Schedule/Dependencies.h"
#include "dualpipe/Schedule/Verify.h"

#include <algorithm>
#include <limits>
#include <unordered_map>

namespace dualpipe {

std::string_view toString(MessageMatching matching) {
  return matching == MessageMatching::ByKey ? "by-key" : "in-order";
}

std::optional<MessageMatching> parseMessageMatching(std::string_view text) {
  if (text == "by-key")
    return MessageMatching::ByKey;
  if (text == "in-order")
    return MessageMatching::InOrder;
  return std::nullopt;
}

namespace {

bool isMessage(const Instr &instr) {
  return instr.kind == InstrKind::Send || instr.kind == InstrKind::Recv;
}

//===----------------------------------------------------------------------===//
// Order per pair
//===----------------------------------------------------------------------===//

/// One matched message end, sortable into its (source, destination) pair in
/// program order (ends are collected rank by rank, in program order, and
/// sorted stably).
struct PairEnd {
  int64_t source, destination;
  int64_t rank, index;
};

std::vector<PairEnd>
collectEnds(const std::vector<std::vector<FlatInstr>> &flat,
            const std::vector<std::vector<int64_t>> &partner, InstrKind kind) {
  std::vector<PairEnd> ends;
  for (size_t rank = 0; rank < flat.size(); ++rank)
    for (size_t i = 0; i < flat[rank].size(); ++i) {
      const Instr &instr = *flat[rank][i].instr;
      if (instr.kind != kind || partner[rank][i] < 0)
        continue;
      int64_t self = static_cast<int64_t>(rank);
      bool send = kind == InstrKind::Send;
      ends.push_back(PairEnd{send ? self : instr.peer, send ? instr.peer : self,
                             self, static_cast<int64_t>(i)});
    }
  std::stable_sort(ends.begin(), ends.end(),
                   [](const PairEnd &a, const PairEnd &b) {
                     if (a.source != b.source)
                       return a.source < b.source;
                     return a.destination < b.destination;
                   });
  return ends;
}

std::string pairText(int64_t source, int64_t destination) {
  return "from rank " + std::to_string(source) + " to rank " +
         std::to_string(destination);
}

} // namespace

std::vector<Finding>
findOrderMismatches(const std::vector<std::vector<FlatInstr>> &flat,
                    const std::vector<std::vector<int64_t>> &partner,
                    size_t maxFindings) {
  std::vector<PairEnd> sends = collectEnds(flat, partner, InstrKind::Send);
  std::vector<PairEnd> recvs = collectEnds(flat, partner, InstrKind::Recv);
  // pairMessages matches both ways, so each pair has as many matched sends
  // as matched recvs and the two sorted lists line up pair by pair.
  std::vector<Finding> findings;
  size_t count = std::min(sends.size(), recvs.size());
  for (size_t k = 0, first = 0; k < count && findings.size() < maxFindings;
       ++k) {
    if (k > 0 && (sends[k].source != sends[k - 1].source ||
                  sends[k].destination != sends[k - 1].destination))
      first = k;
    const PairEnd &send = sends[k], &recv = recvs[k];
    const FlatInstr &sendAt = flat[send.rank][send.index];
    const FlatInstr &recvAt = flat[recv.rank][recv.index];
    if (sendAt.instr->key == recvAt.instr->key)
      continue;
    std::string position = std::to_string(k - first + 1);
    std::string pair = pairText(send.source, send.destination);
    const FlatInstr &sentKeyAt =
        flat[recv.rank][partner[send.rank][send.index]];
    findings.push_back(Finding{
        rankPrefix(recv.rank) + "message " + position + " " + pair +
            " is sent as " + describe(sendAt.instr->key) + " but received as " +
            describe(recvAt.instr->key),
        recvAt.where(recv.rank),
        recvAt.instr->origin,
        {Finding::Note{"rank " + std::to_string(send.rank) + " sends " +
                           describe(sendAt.instr->key) + " as message " +
                           position + " here",
                       sendAt.where(send.rank), sendAt.instr->origin},
         Finding::Note{"rank " + std::to_string(recv.rank) + " receives " +
                           describe(sendAt.instr->key) + " here",
                       sentKeyAt.where(recv.rank), sentKeyAt.instr->origin}}});
    // One finding per pair: skip to its end.
    while (k + 1 < count && sends[k + 1].source == send.source &&
           sends[k + 1].destination == send.destination)
      ++k;
  }
  return findings;
}

namespace {

//===----------------------------------------------------------------------===//
// In-order, stream-blocking execution
//===----------------------------------------------------------------------===//

constexpr int64_t kNever = std::numeric_limits<int64_t>::max();

/// One rank's two streams, prepared for the execution.
struct Streams {
  std::vector<CommGroup> groups;
  std::vector<int64_t> groupOf;       // flat index -> its group, or -1
  std::vector<int64_t> needsComputed; // per group: latest producer, or -1
  std::vector<int64_t> unmet;         // per group: messages yet to meet
  std::vector<bool> started;
  std::vector<int64_t> waitAt;    // flat indices of the Waits that block
  std::vector<int64_t> waitGroup; // per such Wait: the group it waits for
  size_t nextWait = 0, nextGroup = 0;

  bool complete(int64_t group) const {
    return started[group] && unmet[group] == 0;
  }
  /// Every computation before this flat index has run.
  int64_t computeFrontier() const {
    return nextWait < waitAt.size() ? waitAt[nextWait] : kNever;
  }
  bool finished() const {
    return nextWait == waitAt.size() && nextGroup == groups.size();
  }
};

class InOrderExecution {
public:
  InOrderExecution(const std::vector<std::vector<FlatInstr>> &flat,
                   const std::vector<std::vector<int64_t>> &partner,
                   int64_t stages)
      : ranks(static_cast<int64_t>(flat.size())), flat(flat), partner(partner) {
    streams.resize(ranks);
    for (int64_t rank = 0; rank < ranks; ++rank)
      prepare(rank, stages);
  }

  std::optional<Finding> run() {
    for (int64_t rank = 0; rank < ranks; ++rank)
      for (ready.push_back(rank); !ready.empty();) {
        int64_t next = ready.back();
        ready.pop_back();
        advance(next);
      }
    auto stuck = std::find_if(streams.begin(), streams.end(),
                              [](const Streams &s) { return !s.finished(); });
    if (stuck == streams.end())
      return std::nullopt;
    return describeCycle(stuck - streams.begin());
  }

private:
  void prepare(int64_t rank, int64_t stages) {
    const std::vector<FlatInstr> &instrs = flat[rank];
    Streams &s = streams[rank];
    s.groups = commGroups(instrs);
    s.groupOf.assign(instrs.size(), -1);
    s.needsComputed.assign(s.groups.size(), -1);
    s.unmet.assign(s.groups.size(), 0);
    s.started.assign(s.groups.size(), false);
    std::unordered_map<MsgKey, int64_t, MsgKeyHash> producedAt;
    std::unordered_map<int64_t, int64_t> tokenAt;
    for (size_t g = 0, i = 0; i < instrs.size(); ++i) {
      int64_t index = static_cast<int64_t>(i);
      const Instr &instr = *instrs[i].instr;
      while (g < s.groups.size() && s.groups[g].end <= index)
        ++g;
      if (instr.kind == InstrKind::Compute) {
        if (std::optional<MsgKey> key = producedValue(instr.op, stages))
          producedAt.emplace(*key, index);
      } else if (isMessage(instr)) {
        s.groupOf[i] = static_cast<int64_t>(g);
        s.unmet[g] += partner[rank][i] >= 0;
        if (instr.token >= 0)
          tokenAt.emplace(instr.token, index);
        auto producer = producedAt.find(instr.key);
        if (instr.kind == InstrKind::Send && producer != producedAt.end())
          s.needsComputed[g] = std::max(s.needsComputed[g], producer->second);
      } else if (instr.kind == InstrKind::Wait) {
        auto definition = tokenAt.find(instr.token);
        if (definition == tokenAt.end())
          continue;
        s.waitAt.push_back(index);
        s.waitGroup.push_back(s.groupOf[definition->second]);
      }
    }
  }

  /// Posts group `g` of `rank`: each message whose partner's group already
  /// runs meets it now; the others meet when that group starts.
  void start(int64_t rank, int64_t g) {
    Streams &s = streams[rank];
    s.started[g] = true;
    for (int64_t i = s.groups[g].begin; i < s.groups[g].end; ++i) {
      int64_t other = partner[rank][i];
      if (other < 0)
        continue;
      int64_t peer = flat[rank][i].instr->peer;
      Streams &p = streams[peer];
      int64_t h = p.groupOf[other];
      if (!p.started[h])
        continue;
      --s.unmet[g];
      if (--p.unmet[h] == 0)
        ready.push_back(peer);
    }
  }

  void advance(int64_t rank) {
    Streams &s = streams[rank];
    for (bool moved = true; moved;) {
      moved = false;
      while (s.nextWait < s.waitAt.size() &&
             s.complete(s.waitGroup[s.nextWait])) {
        ++s.nextWait;
        moved = true;
      }
      while (s.nextGroup < s.groups.size()) {
        int64_t g = static_cast<int64_t>(s.nextGroup);
        if (!s.started[g]) {
          if (s.needsComputed[g] >= s.computeFrontier())
            break;
          start(rank, g);
          moved = true;
        }
        if (!s.complete(g))
          break;
        ++s.nextGroup;
        moved = true;
      }
    }
  }

  /// The message of `rank`'s current group that waits for a peer's group
  /// to start, or -1. A stuck rank always has one: its Waits and producers
  /// only depend on groups before the current one, which are complete.
  int64_t blockedMessage(int64_t rank) const {
    const Streams &s = streams[rank];
    if (s.nextGroup >= s.groups.size() || !s.started[s.nextGroup])
      return -1;
    const CommGroup &group = s.groups[s.nextGroup];
    for (int64_t i = group.begin; i < group.end; ++i) {
      int64_t other = partner[rank][i];
      if (other < 0)
        continue;
      const Streams &p = streams[flat[rank][i].instr->peer];
      if (!p.started[p.groupOf[other]])
        return i;
    }
    return -1;
  }

  int64_t waitsOn(int64_t rank) const {
    int64_t message = blockedMessage(rank);
    return message < 0 ? rank : flat[rank][message].instr->peer;
  }

  Finding describeCycle(int64_t start) const {
    std::vector<int64_t> cycle =
        waitCycle(start, ranks, [&](int64_t rank) { return waitsOn(rank); });
    Finding finding;
    finding.message = "deadlock under in-order matching: ";
    for (size_t k = 0; k < cycle.size(); ++k) {
      int64_t member = cycle[k];
      int64_t message = blockedMessage(member);
      std::string who = "rank " + std::to_string(member);
      if (message < 0) {
        // Not reachable for a stuck rank (see blockedMessage); said plainly
        // rather than trusted.
        finding.message += (k ? ", " : "") + who + " cannot finish";
        continue;
      }
      const FlatInstr &at = flat[member][message];
      finding.message +=
          (k ? ", " : "") + who + " waits at " + describeMessage(*at.instr);
      finding.notes.push_back(Finding::Note{
          who + " is blocked here", at.where(member), at.instr->origin});
      int64_t peer = at.instr->peer;
      const FlatInstr &other = flat[peer][partner[member][message]];
      finding.notes.push_back(Finding::Note{
          "rank " + std::to_string(peer) + " posts the matching " +
              (other.instr->kind == InstrKind::Send ? "send" : "recv") +
              " later, here",
          other.where(peer), other.instr->origin});
    }
    if (!finding.notes.empty()) {
      finding.where = finding.notes.front().where;
      finding.origin = finding.notes.front().origin;
    } else {
      finding.where = InstrRef{cycle.front(), {}};
    }
    return finding;
  }

  int64_t ranks;
  const std::vector<std::vector<FlatInstr>> &flat;
  const std::vector<std::vector<int64_t>> &partner;
  std::vector<Streams> streams;
  std::vector<int64_t> ready;
};

} // namespace

std::optional<Finding>
findInOrderDeadlock(const std::vector<std::vector<FlatInstr>> &flat,
                    const std::vector<std::vector<int64_t>> &partner,
                    int64_t stages) {
  return InOrderExecution(flat, partner, stages).run();
}

std::vector<Finding>
checkInOrder(const std::vector<std::vector<FlatInstr>> &flat,
             const std::vector<std::vector<int64_t>> &partner, int64_t stages,
             size_t maxFindings) {
  std::vector<Finding> findings =
      findOrderMismatches(flat, partner, maxFindings);
  if (findings.empty() && maxFindings > 0)
    if (std::optional<Finding> deadlock =
            findInOrderDeadlock(flat, partner, stages))
      findings.push_back(std::move(*deadlock));
  return findings;
}

std::vector<Finding> checkInOrder(const Program &program, size_t maxFindings) {
  std::vector<std::vector<FlatInstr>> flat;
  flat.reserve(program.ranks.size());
  for (const std::vector<Instr> &instrs : program.ranks)
    flat.push_back(flattenRank(instrs));
  return checkInOrder(flat, pairMessages(flat), program.placement.stages,
                      maxFindings);
}

} // namespace dualpipe
