//===- Simulate.cpp - Timed replay of per-rank programs -------------------===//
//
// An event-driven replay: each rank runs its instructions until one blocks
// (a rendezvous send or a wait whose message is not matched yet); matching a
// message wakes the ranks blocked on it. Every time is a max or a sum of cost
// values, never a fixed time step, so integer-valued costs give exact results.
//
//===----------------------------------------------------------------------===//

#include "dualpipe/Schedule/Simulate.h"
#include "SimulateSteps.h"
#include "dualpipe/Schedule/Dependencies.h"
#include "dualpipe/Schedule/Lower.h"
#include "dualpipe/Schedule/Verify.h"

#include <algorithm>
#include <cmath>
#include <deque>
#include <unordered_map>
#include <unordered_set>

namespace dualpipe {

namespace {

using replay::FlatStep;
using replay::makeFinding;

/// A point-to-point message; created by whichever side reaches it first.
struct Message {
  int64_t src = -1, dst = -1;
  MsgKey key;
  bool sent = false, posted = false;
  int64_t next = -1; // next unmatched message of the same channel
  double start = 0, end = 0;
  int64_t sendEvent = -1, recvEvent = -1; // indices into the timelines
  bool matched() const { return sent && posted; }
};

struct ChannelKey {
  int64_t src, dst;
  MsgKey key;
  friend bool operator==(const ChannelKey &a, const ChannelKey &b) {
    return a.src == b.src && a.dst == b.dst && a.key == b.key;
  }
};

struct ChannelKeyHash {
  size_t operator()(const ChannelKey &c) const {
    uint64_t h = static_cast<uint64_t>(c.src) * 0x9E3779B97F4A7C15ull;
    auto mix = [&](uint64_t v) {
      h ^= v + 0x9E3779B97F4A7C15ull + (h << 6) + (h >> 2);
    };
    mix(static_cast<uint64_t>(c.dst));
    mix(static_cast<uint64_t>(c.key.kind));
    mix(static_cast<uint64_t>(c.key.stage));
    mix(static_cast<uint64_t>(c.key.mb));
    return h;
  }
};

/// Unmatched messages of one (src, dst, key), oldest first, linked through
/// Message::next.
struct Channel {
  int64_t head = -1, tail = -1;
};

class Engine {
public:
  Engine(const std::vector<std::vector<FlatStep>> &steps,
         const std::vector<int64_t> &slots, int64_t numMessages,
         const CostModel &cost)
      : steps(steps), cost(cost), states(steps.size()), timeline(steps.size()) {
    for (size_t r = 0; r < steps.size(); ++r) {
      timeline[r].compute.reserve(steps[r].size() / 2);
      states[r].tokens.assign(slots[r], -1);
    }
    messages.reserve(numMessages / 2 + 1);
    channels.reserve(numMessages / 2 + 1);
  }

  /// Runs to completion or deadlock; false (with findings) on failure.
  bool run(std::vector<Finding> &findings) {
    std::deque<int64_t> ready;
    for (size_t r = 0; r < steps.size(); ++r)
      ready.push_back(static_cast<int64_t>(r));
    while (!ready.empty()) {
      int64_t r = ready.front();
      ready.pop_front();
      advance(r, ready);
    }
    if (reportDeadlock(findings))
      return false;
    return reportUnmatched(findings);
  }

  std::vector<RankTimeline> takeTimeline() { return std::move(timeline); }
  double finish(size_t r) const { return states[r].clock; }
  double busy(size_t r) const { return states[r].busy; }

private:
  struct RankState {
    size_t pc = 0;
    double clock = 0;
    double busy = 0;
    int64_t blockedOn = -1;      // message the current step waits for
    int64_t pendingSend = -1;    // blocking send already issued
    std::vector<int64_t> tokens; // token slot -> message
  };

  void advance(int64_t r, std::deque<int64_t> &ready) {
    RankState &st = states[r];
    if (st.blockedOn >= 0 && !messages[st.blockedOn].matched())
      return;
    st.blockedOn = -1;
    const std::vector<FlatStep> &prog = steps[r];
    while (st.pc < prog.size()) {
      if (!execute(r, prog[st.pc], ready))
        return;
      ++st.pc;
    }
  }

  /// Runs one step; false if it blocks.
  bool execute(int64_t r, const FlatStep &step, std::deque<int64_t> &ready) {
    RankState &st = states[r];
    switch (step.kind) {
    case FlatStep::Kind::Compute:
      runCompute(r, step, cost.computeTime(step.at.instr->op), std::nullopt);
      return true;
    case FlatStep::Kind::Pair:
      runCompute(r, step, cost.pairTime(step.at.instr->op, step.second->op),
                 step.second->op);
      timeline[r].compute.back().firstShare =
          shareOf(step.at.instr->op, step.second->op);
      return true;
    case FlatStep::Kind::Comm:
      break;
    }
    const Instr &instr = *step.at.instr;
    switch (instr.kind) {
    case InstrKind::Recv: {
      int64_t m = arrive(r, step, /*isSend=*/false, ready);
      st.tokens[step.slot] = m;
      return true;
    }
    case InstrKind::Send: {
      if (instr.token >= 0) {
        st.tokens[step.slot] = arrive(r, step, /*isSend=*/true, ready);
        return true;
      }
      if (st.pendingSend < 0)
        st.pendingSend = arrive(r, step, /*isSend=*/true, ready);
      if (!complete(r, st.pendingSend))
        return false;
      st.pendingSend = -1;
      return true;
    }
    case InstrKind::Wait:
      return complete(r, st.tokens[step.slot]);
    case InstrKind::Compute:
    case InstrKind::Overlap:
      break;
    }
    return true;
  }

  double shareOf(const ComputeOp &first, const ComputeOp &second) const {
    double a = cost.computeTime(first), b = cost.computeTime(second);
    return a + b > 0 ? a / (a + b) : 0.5;
  }

  void runCompute(int64_t r, const FlatStep &step, double duration,
                  std::optional<ComputeOp> paired) {
    RankState &st = states[r];
    ComputeInterval iv;
    iv.start = st.clock;
    iv.end = st.clock + duration;
    iv.op = step.at.instr->op;
    iv.paired = paired;
    iv.where = step.ref(r);
    iv.origin = step.anchor->origin;
    timeline[r].compute.push_back(std::move(iv));
    st.clock += duration;
    st.busy += duration;
  }

  /// Blocks on message `m` until it is matched. A sender then goes on at
  /// the rendezvous (the transfer runs beside its compute), a receiver once
  /// the data has arrived.
  bool complete(int64_t r, int64_t m) {
    RankState &st = states[r];
    const Message &msg = messages[m];
    if (!msg.matched()) {
      st.blockedOn = m;
      return false;
    }
    st.clock = std::max(st.clock, msg.src == r ? msg.start : msg.end);
    return true;
  }

  /// Records this rank's side of a message and matches it with the peer's
  /// side if that is already there (first come, first matched, per channel).
  int64_t arrive(int64_t r, const FlatStep &step, bool isSend,
                 std::deque<int64_t> &ready) {
    const Instr &instr = *step.at.instr;
    int64_t src = isSend ? r : instr.peer, dst = isSend ? instr.peer : r;
    Channel &ch = channels[ChannelKey{src, dst, instr.key}];
    int64_t m = ch.head;
    bool otherSideWaiting =
        m >= 0 && (isSend ? !messages[m].sent : !messages[m].posted);
    if (otherSideWaiting) {
      ch.head = messages[m].next;
      if (ch.head < 0)
        ch.tail = -1;
    } else {
      m = static_cast<int64_t>(messages.size());
      Message msg;
      msg.src = src;
      msg.dst = dst;
      msg.key = instr.key;
      messages.push_back(msg);
      (ch.tail >= 0 ? messages[ch.tail].next : ch.head) = m;
      ch.tail = m;
    }
    Message &msg = messages[m];
    CommEvent ev;
    ev.kind = isSend ? CommEvent::Kind::Send : CommEvent::Kind::Recv;
    ev.key = instr.key;
    ev.peer = instr.peer;
    ev.issue = states[r].clock;
    ev.blocking = isSend && instr.token < 0;
    ev.where = step.ref(r);
    ev.origin = instr.origin >= 0 ? instr.origin : step.anchor->origin;
    std::vector<CommEvent> &events = timeline[r].comm;
    (isSend ? msg.sendEvent : msg.recvEvent) =
        static_cast<int64_t>(events.size());
    (isSend ? msg.sent : msg.posted) = true;
    events.push_back(ev);
    if (msg.matched())
      match(m, ready);
    return m;
  }

  void match(int64_t m, std::deque<int64_t> &ready) {
    Message &msg = messages[m];
    CommEvent &send = timeline[msg.src].comm[msg.sendEvent];
    CommEvent &recv = timeline[msg.dst].comm[msg.recvEvent];
    msg.start = std::max(send.issue, recv.issue);
    msg.end =
        msg.start + cost.linkTime(msg.src, msg.dst, cost.messageBytes(msg.key));
    send.start = recv.start = msg.start;
    send.end = recv.end = msg.end;
    for (int64_t r : {msg.src, msg.dst})
      if (states[r].blockedOn == m)
        ready.push_back(r);
  }

  bool reportDeadlock(std::vector<Finding> &findings) const {
    bool any = false;
    for (size_t r = 0; r < steps.size(); ++r) {
      const RankState &st = states[r];
      if (st.pc >= steps[r].size())
        continue;
      any = true;
      const FlatStep &step = steps[r][st.pc];
      std::string what = describeInstr(*step.at.instr);
      if (step.at.instr->kind == InstrKind::Wait && st.blockedOn >= 0)
        what += " (" + describeSide(messages[st.blockedOn], r) + ")";
      Finding f = makeFinding(static_cast<int64_t>(r), step,
                              what + " never completes (deadlock)");
      if (st.blockedOn >= 0)
        addPeerNote(f, messages[st.blockedOn], static_cast<int64_t>(r));
      findings.push_back(std::move(f));
    }
    return any;
  }

  /// Rank r's side of `msg`, e.g. "recv grad(stage 3, mb 5) from rank 4".
  static std::string describeSide(const Message &msg, int64_t r) {
    bool isSend = msg.src == r;
    return (isSend ? "send " : "recv ") + describe(msg.key) +
           (isSend ? " to rank " : " from rank ") +
           std::to_string(isSend ? msg.dst : msg.src);
  }

  /// Points at where the peer of a blocked rank is stuck.
  void addPeerNote(Finding &f, const Message &msg, int64_t r) const {
    int64_t peer = msg.src == r ? msg.dst : msg.src;
    const RankState &ps = states[peer];
    Finding::Note note;
    note.where.rank = peer;
    if (ps.pc < steps[peer].size()) {
      const FlatStep &ps_step = steps[peer][ps.pc];
      note.message = "rank " + std::to_string(peer) + " is blocked at " +
                     describeInstr(*ps_step.at.instr);
      note.where = ps_step.ref(peer);
      note.origin = ps_step.at.instr->origin;
    } else {
      note.message = "rank " + std::to_string(peer) +
                     " finished without the matching " +
                     (msg.sent ? "recv" : "send");
    }
    f.notes.push_back(std::move(note));
  }

  bool reportUnmatched(std::vector<Finding> &findings) const {
    bool ok = true;
    for (const Message &msg : messages) {
      if (msg.matched())
        continue;
      ok = false;
      int64_t r = msg.sent ? msg.src : msg.dst;
      const CommEvent &ev =
          timeline[r].comm[msg.sent ? msg.sendEvent : msg.recvEvent];
      Finding f;
      f.message = "rank " + std::to_string(r) + ": " + describeSide(msg, r) +
                  " has no matching " + (msg.sent ? "recv" : "send");
      f.where = ev.where;
      f.origin = ev.origin;
      findings.push_back(std::move(f));
    }
    return ok;
  }

  const std::vector<std::vector<FlatStep>> &steps;
  const CostModel &cost;
  std::vector<RankState> states;
  std::vector<RankTimeline> timeline;
  std::vector<Message> messages;
  std::unordered_map<ChannelKey, Channel, ChannelKeyHash> channels;
};

struct ActivationKey {
  int64_t stage, mb;
  friend bool operator==(const ActivationKey &a, const ActivationKey &b) {
    return a.stage == b.stage && a.mb == b.mb;
  }
};

struct ActivationKeyHash {
  size_t operator()(const ActivationKey &k) const {
    return std::hash<uint64_t>()(static_cast<uint64_t>(k.stage) *
                                     0x100000001b3ull ^
                                 static_cast<uint64_t>(k.mb));
  }
};

/// Peak live activations of one rank, counted in program order: an
/// activation lives from its F until its I or B; in a pair the F allocates
/// before the backward frees.
void countActivations(const RankTimeline &tl, const CostModel &cost,
                      RankStats &stats) {
  std::unordered_set<ActivationKey, ActivationKeyHash> live;
  double bytes = 0;
  auto alloc = [&](const ComputeOp &op) {
    if (op.kind == OpKind::F && live.insert({op.stage, op.mb}).second)
      bytes += cost.stage(op.stage).activationBytes;
    stats.peakActivations =
        std::max(stats.peakActivations, static_cast<int64_t>(live.size()));
    stats.peakActivationBytes = std::max(stats.peakActivationBytes, bytes);
  };
  auto release = [&](const ComputeOp &op) {
    if ((op.kind == OpKind::B || op.kind == OpKind::I) &&
        live.erase({op.stage, op.mb}))
      bytes -= cost.stage(op.stage).activationBytes;
  };
  for (const ComputeInterval &iv : tl.compute) {
    alloc(iv.op);
    if (iv.paired)
      alloc(*iv.paired);
    release(iv.op);
    if (iv.paired)
      release(*iv.paired);
  }
}

/// Stages whose parameters a rank holds: its placement's when the sizes are
/// consistent, else the stages its compute ops touch.
std::vector<int64_t> stagesHeld(const Placement &placement, int64_t rank,
                                size_t numRanks, const RankTimeline &tl) {
  if (placement.ranks == static_cast<int64_t>(numRanks) &&
      placement.checkSizes().empty())
    return placement.stagesOn(rank);
  std::vector<int64_t> stages;
  for (const ComputeInterval &iv : tl.compute) {
    stages.push_back(iv.op.stage);
    if (iv.paired)
      stages.push_back(iv.paired->stage);
  }
  std::sort(stages.begin(), stages.end());
  stages.erase(std::unique(stages.begin(), stages.end()), stages.end());
  return stages;
}

void fillStats(SimResult &result, const Engine &engine, const CostModel &cost) {
  size_t n = result.timeline.size();
  result.ranks.resize(n);
  for (size_t r = 0; r < n; ++r) {
    RankStats &s = result.ranks[r];
    s.rank = static_cast<int64_t>(r);
    s.busy = engine.busy(r);
    s.finish = engine.finish(r);
    result.makespan = std::max(result.makespan, s.finish);
    for (const ComputeInterval &iv : result.timeline[r].compute)
      s.computeOps += iv.paired ? 2 : 1;
    countActivations(result.timeline[r], cost, s);
    std::vector<int64_t> held =
        stagesHeld(result.placement, s.rank, n, result.timeline[r]);
    s.stagesHeld = static_cast<int64_t>(held.size());
    for (int64_t stage : held)
      s.paramBytes += cost.stage(stage).paramBytes;
  }
  double totalIdle = 0;
  for (RankStats &s : result.ranks) {
    s.idle = result.makespan - s.busy;
    s.utilization = result.makespan > 0 ? s.busy / result.makespan : 0;
    totalIdle += s.idle;
    result.maxBubble = std::max(result.maxBubble, s.idle);
  }
  if (n > 0 && result.makespan > 0)
    result.bubbleRatio = totalIdle / (static_cast<double>(n) * result.makespan);
}

/// Valid costs may still sum past the largest double; a report of "makespan
/// inf, bubble ratio -nan%" would read as a result, so it is an error.
std::string nonFiniteStat(const SimResult &result) {
  auto bad = [](double v) { return !std::isfinite(v); };
  std::string what;
  if (bad(result.makespan))
    what = "the makespan";
  for (const RankStats &s : result.ranks) {
    if (!what.empty())
      break;
    std::string rank = " of rank " + std::to_string(s.rank);
    if (bad(s.busy))
      what = "the busy time" + rank;
    else if (bad(s.peakActivationBytes))
      what = "the peak activation bytes" + rank;
    else if (bad(s.paramBytes))
      what = "the parameter bytes" + rank;
  }
  if (what.empty())
    return "";
  return what + " is not finite: the costs sum beyond the largest "
                "double; give them in larger units";
}

bool checkCost(const CostModel &cost, std::vector<Finding> &findings) {
  std::string err = cost.validate();
  if (!err.empty())
    findings.push_back(Finding{"invalid cost model: " + err, {}, -1, {}});
  return err.empty();
}

} // namespace

std::optional<SimResult> simulate(const Program &program, const CostModel &cost,
                                  std::vector<Finding> &findings) {
  if (!checkCost(cost, findings))
    return std::nullopt;
  size_t before = findings.size();
  int64_t numRanks = static_cast<int64_t>(program.ranks.size());
  std::vector<std::vector<FlatStep>> steps;
  std::vector<int64_t> slots;
  int64_t numMessages = 0;
  steps.reserve(program.ranks.size());
  for (int64_t r = 0; r < numRanks; ++r) {
    replay::RankSteps rank =
        replay::flattenForReplay(r, numRanks, program.ranks[r], findings);
    steps.push_back(std::move(rank.steps));
    slots.push_back(rank.slots);
    numMessages += rank.numMessages;
  }
  if (findings.size() != before)
    return std::nullopt;

  Engine engine(steps, slots, numMessages, cost);
  if (!engine.run(findings))
    return std::nullopt;
  SimResult result;
  result.kind = program.kind;
  result.placement = program.placement;
  result.timeline = engine.takeTimeline();
  fillStats(result, engine, cost);
  if (std::string bad = nonFiniteStat(result); !bad.empty()) {
    findings.push_back(Finding{"cannot simulate: " + bad, {}, -1, {}});
    return std::nullopt;
  }
  return result;
}

std::optional<SimResult> simulate(const Schedule &schedule,
                                  const CostModel &cost,
                                  std::vector<Finding> &findings) {
  // Verifying first would cost as much as the replay; a schedule that
  // cannot be lowered or replayed is verified afterwards instead, so that
  // its findings name the op and the rule rather than a lowered message.
  auto explain = [&](std::vector<Finding> fallback) {
    std::vector<Finding> verified = verifySchedule(schedule);
    std::vector<Finding> &why = verified.empty() ? fallback : verified;
    findings.insert(findings.end(), why.begin(), why.end());
    return std::nullopt;
  };
  if (!checkCost(cost, findings))
    return std::nullopt;
  std::vector<Finding> refused;
  std::optional<Program> program =
      lowerSchedule(schedule, ScheduleCommOptions{CommPolicy::Eager}, refused);
  if (!program)
    return explain({Finding{
        "cannot lower the schedule: " + refused.front().message, {}, -1, {}}});
  std::vector<Finding> replay;
  std::optional<SimResult> result = simulate(*program, cost, replay);
  if (!result)
    return explain(std::move(replay));
  return result;
}

} // namespace dualpipe
