//===- ListSchedule.cpp - Greedy list scheduling of a placement -----------===//
//
// Time advances to the earliest free rank. An op is known ready once its
// producer has been placed (its end plus the link); an op whose producer is
// still unplaced cannot be ready before that producer's rank is free again
// plus the producer's own time, which bounds the wait a W may fill.
//
// Memory: a forward that brings a new micro-batch onto a rank (its first
// stage there) leaves one slot free per later stage of that micro-batch on the
// rank (the V's way back, an interleaved rank's later stages), so the oldest
// micro-batch can always continue and the greedy cannot paint itself into a
// corner.
//
// Speed: a rank that found nothing to run at time t finds nothing again until
// t moves on or a rank it consumes from places an op (its candidates read
// only its own state, its producers' ends and their ranks' free times). So
// only those ranks are retried, in rank order as before, and the schedule is
// the one a full rescan of every rank would give, in O(log P) per event
// instead of O(P). Per-stage times, ranks and link times are tabled once.
//
//===----------------------------------------------------------------------===//

#include "ListSchedule.h"

#include <algorithm>
#include <deque>
#include <set>

namespace dualpipe::detail {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

/// The ops one rank runs for one stage: micro-batches [first, last) in order.
struct Stream {
  int64_t stage = 0;
  int64_t dir = 0; // the dual placement's direction of its micro-batches
  int64_t first = 0, last = 0;
  int64_t nextF = 0, nextB = 0;
  /// Later stages of the same micro-batches on this rank (1 on a V's way
  /// down, 0 otherwise), and the activation bytes they will hold.
  int64_t laterSlots = 0;
  double laterBytes = 0;
};

struct Candidate {
  int64_t stream = -1;
  ComputeOp op;
  double ready = kInf; // exact if known, else a lower bound
  bool known = false;
  bool valid() const { return stream >= 0; }
};

class ListScheduler {
public:
  ListScheduler(const Placement &placement, const CostModel &cost,
                const ListPolicy &policy)
      : placement(placement), cost(cost), policy(policy),
        stages(placement.stages), n(placement.microbatches),
        fEnd(stages * n, -1), bEnd(stages * n, -1), streams(placement.ranks),
        weights(placement.ranks), freeAt(placement.ranks, 0),
        live(placement.ranks, 0), liveBytes(placement.ranks, 0),
        left(placement.ranks, 0), out(placement.ranks),
        consumers(placement.ranks), soonestOf(placement.ranks, kInf),
        exactWait(placement.ranks, 0) {
    buildTables();
    for (int64_t r = 0; r < placement.ranks; ++r)
      buildStreams(r);
    for (std::vector<int64_t> &list : consumers) {
      std::sort(list.begin(), list.end());
      list.erase(std::unique(list.begin(), list.end()), list.end());
    }
  }

  std::optional<ListResult> run() {
    // Each round either places an op or moves the waiting ranks forward to
    // the next event; the bound only guards against a cost model with
    // zero-time ops that would let time stand still.
    int64_t rounds = 0, limit = 64 * (3 * stages * n + placement.ranks);
    for (int64_t r = 0; r < placement.ranks; ++r)
      if (hasWork(r))
        clock.insert({freeAt[r], r});
    double now = -kInf;
    std::set<int64_t> pending; // ranks free at `now` that may run, by index
    while (!clock.empty()) {
      double t = clock.begin()->first;
      if (t != now) {
        now = t;
        pending.clear();
        for (auto it = clock.begin(); it != clock.end() && it->first == t; ++it)
          pending.insert(it->second);
      }
      if (!pending.empty()) {
        int64_t r = *pending.begin();
        pending.erase(pending.begin());
        double next = kInf;
        if (!tryRun(r, t, next)) {
          soonestOf[r] = next;
          continue;
        }
        if (++rounds > limit)
          return std::nullopt;
        clock.erase({t, r});
        if (hasWork(r)) {
          clock.insert({freeAt[r], r});
          if (freeAt[r] == t)
            pending.insert(r);
        }
        for (int64_t q : consumers[r])
          if (q != r && hasWork(q) && freeAt[q] == t)
            pending.insert(q);
        continue;
      }
      if (++rounds > limit)
        return std::nullopt;
      // No rank free at t can run: all wait for the next event.
      double next = kInf;
      std::vector<int64_t> waiting;
      auto it = clock.begin();
      for (; it != clock.end() && it->first == t; ++it) {
        waiting.push_back(it->second);
        next = std::min(next, soonestOf[it->second]);
      }
      if (it != clock.end())
        next = std::min(next, it->first);
      if (!(next > t) || next == kInf)
        return std::nullopt; // nothing can ever become ready
      // Every rank waits at t, each only on ops of other waiting ranks: the
      // state after the move is this one shifted in time, so nothing would
      // ever run (a budget too tight for the placement). Stop now rather
      // than after `limit` rounds.
      if (it == clock.end() &&
          std::none_of(waiting.begin(), waiting.end(),
                       [&](int64_t r) { return exactWait[r] != 0; }))
        return std::nullopt;
      for (int64_t r : waiting) {
        clock.erase({t, r});
        freeAt[r] = next;
        clock.insert({next, r});
      }
    }
    ListResult result;
    result.ranks = std::move(out);
    for (double end : freeAt)
      result.makespan = std::max(result.makespan, end);
    return result;
  }

private:
  void buildStreams(int64_t r) {
    std::vector<int64_t> held = placement.stagesOn(r);
    for (int64_t s : held) {
      Stream stream;
      stream.stage = s;
      if (placement.kind == PlacementKind::Dual) {
        bool down = s == r;
        stream.dir = down ? 0 : 1;
        stream.first = down ? 0 : n / 2;
        stream.last = down ? n / 2 : n;
      } else {
        stream.last = n;
      }
      stream.nextF = stream.nextB = stream.first;
      for (int64_t later : held)
        if (later > s && placement.rankOf(later, stream.first) == r) {
          ++stream.laterSlots;
          stream.laterBytes += cost.stage(later).activationBytes;
        }
      left[r] += (stream.last - stream.first) * 2;
      if (s > 0)
        consumers[rankAt(stream.dir, s - 1)].push_back(r);
      if (s + 1 < stages)
        consumers[rankAt(stream.dir, s + 1)].push_back(r);
      streams[r].push_back(stream);
    }
  }

  /// Per stage and direction: its rank, the link time of its input
  /// activation and of its input gradient.
  void buildTables() {
    int64_t dirs = placement.kind == PlacementKind::Dual ? 2 : 1;
    ranksOf.resize(dirs * stages);
    actHop.assign(dirs * stages, 0);
    gradHop.assign(dirs * stages, 0);
    for (int64_t d = 0; d < dirs; ++d) {
      int64_t mb = d == 0 ? 0 : n - 1;
      for (int64_t s = 0; s < stages; ++s)
        ranksOf[d * stages + s] = placement.rankOf(s, mb);
      for (int64_t s = 0; s < stages; ++s) {
        if (s > 0)
          actHop[d * stages + s] = link(rankAt(d, s - 1), rankAt(d, s),
                                        {MsgKind::Activation, s - 1, mb});
        if (s + 1 < stages)
          gradHop[d * stages + s] = link(rankAt(d, s + 1), rankAt(d, s),
                                         {MsgKind::Gradient, s + 1, mb});
      }
    }
    for (int64_t s = 0; s < stages; ++s) {
      const StageCost &c = cost.stage(s);
      times.push_back(
          {c.f, policy.splitBackward ? c.i() : c.b, c.w, c.activationBytes});
    }
  }

  int64_t rankAt(int64_t dir, int64_t stage) const {
    return ranksOf[dir * stages + stage];
  }

  bool hasWork(int64_t r) const { return left[r] > 0 || !weights[r].empty(); }

  double link(int64_t src, int64_t dst, MsgKey key) const {
    return src == dst ? 0 : cost.linkTime(src, dst, cost.messageBytes(key));
  }

  OpKind backwardKind() const {
    return policy.splitBackward ? OpKind::I : OpKind::B;
  }

  /// Raises the ready time of `c` to when its producer's output arrives:
  /// exactly if the producer (ending at `end`, -1 if unplaced) is placed,
  /// else no earlier than its rank `src` could run it (`time` long).
  void fromProducer(Candidate &c, int64_t src, double time, double end,
                    double hop) const {
    double base = c.known ? c.ready : 0;
    c.known = end >= 0;
    c.ready = std::max(base, c.known ? end + hop : freeAt[src] + time + hop);
  }

  Candidate forward(int64_t r, int64_t index) const {
    const Stream &st = streams[r][index];
    Candidate c;
    int64_t mb = st.nextF, s = st.stage;
    if (mb >= st.last)
      return c;
    ComputeOp op{OpKind::F, s, mb};
    if (!continues(op) &&
        (live[r] + 1 + st.laterSlots > policy.maxActivations ||
         liveBytes[r] + times[s].bytes + st.laterBytes >
             policy.maxActivationBytes))
      return c;
    c.stream = index;
    c.op = op;
    c.ready = 0;
    c.known = true;
    if (s > 0)
      fromProducer(c, rankAt(st.dir, s - 1), times[s - 1].f,
                   fEnd[(s - 1) * n + mb], actHop[st.dir * stages + s]);
    return c;
  }

  Candidate backward(int64_t r, int64_t index) const {
    const Stream &st = streams[r][index];
    Candidate c;
    int64_t mb = st.nextB, s = st.stage;
    if (mb >= st.last || mb >= st.nextF)
      return c; // its forward has not run
    c.stream = index;
    c.op = {backwardKind(), s, mb};
    c.ready = fEnd[s * n + mb];
    c.known = true;
    if (s + 1 < stages)
      fromProducer(c, rankAt(st.dir, s + 1), times[s + 1].back,
                   bEnd[(s + 1) * n + mb], gradHop[st.dir * stages + s]);
    return c;
  }

  /// Whether a forward continues a micro-batch already on its rank (the
  /// V's way back): it holds no new slot and feeds the critical path.
  bool continues(const ComputeOp &op) const {
    int64_t dir = placement.direction(op.mb);
    return op.stage > 0 && rankAt(dir, op.stage - 1) == rankAt(dir, op.stage);
  }

  bool before(const Candidate &a, const Candidate &b, bool backwards) const {
    if (!b.valid())
      return true;
    if (!backwards && policy.depthFirst && a.op.stage != b.op.stage)
      return a.op.stage > b.op.stage;
    if (a.ready != b.ready)
      return a.ready < b.ready;
    if (!backwards) {
      if (continues(a.op) != continues(b.op))
        return continues(a.op);
      return a.op.stage > b.op.stage;
    }
    return policy.laterStageFirst ? a.op.stage > b.op.stage
                                  : a.op.stage < b.op.stage;
  }

  /// Places one op on rank r at time t if one should run now; else sets
  /// `next` to (a lower bound of) when something could.
  bool tryRun(int64_t r, double t, double &next) {
    Candidate bestB, bestF;
    double soonest = kInf;
    exactWait[r] = 0;
    for (int64_t i = 0; i < static_cast<int64_t>(streams[r].size()); ++i) {
      for (bool isBackward : {true, false}) {
        Candidate c = isBackward ? backward(r, i) : forward(r, i);
        if (!c.valid())
          continue;
        soonest = std::min(soonest, c.ready);
        exactWait[r] |= c.known;
        if (!c.known || c.ready > t)
          continue;
        Candidate &best = isBackward ? bestB : bestF;
        if (before(c, best, isBackward))
          best = c;
      }
    }
    if (bestB.valid()) {
      if (policy.pairs && bestF.valid() &&
          cost.pairTime(bestF.op, bestB.op) <
              cost.computeTime(bestF.op) + cost.computeTime(bestB.op)) {
        placePair(r, t, bestF, bestB);
        return true;
      }
      place(r, t, bestB);
      return true;
    }
    if (bestF.valid()) {
      place(r, t, bestF);
      return true;
    }
    if (!weights[r].empty()) {
      double w = times[weights[r].front().stage].w;
      if (soonest == kInf || soonest - t >= policy.weightSlack * w) {
        ComputeOp op = weights[r].front();
        weights[r].pop_front();
        out[r].push_back(Step{op, std::nullopt, -1});
        freeAt[r] = t + w;
        return true;
      }
    }
    next = std::min(next, soonest);
    return false;
  }

  void account(int64_t r, const Candidate &c, double end) {
    Stream &st = streams[r][c.stream];
    const ComputeOp &op = c.op;
    double bytes = times[op.stage].bytes;
    --left[r];
    if (op.kind == OpKind::F) {
      fEnd[op.stage * n + op.mb] = end;
      ++st.nextF;
      ++live[r];
      liveBytes[r] += bytes;
      return;
    }
    bEnd[op.stage * n + op.mb] = end;
    ++st.nextB;
    --live[r];
    liveBytes[r] -= bytes;
    if (op.kind == OpKind::I)
      weights[r].push_back({OpKind::W, op.stage, op.mb});
  }

  void place(int64_t r, double t, const Candidate &c) {
    const StageTimes &st = times[c.op.stage];
    double end = t + (c.op.kind == OpKind::F ? st.f : st.back);
    out[r].push_back(Step{c.op, std::nullopt, -1});
    account(r, c, end);
    freeAt[r] = end;
  }

  void placePair(int64_t r, double t, const Candidate &f, const Candidate &b) {
    double end = t + cost.pairTime(f.op, b.op);
    out[r].push_back(Step{f.op, b.op, -1});
    account(r, f, end);
    account(r, b, end);
    freeAt[r] = end;
  }

  const Placement &placement;
  const CostModel &cost;
  const ListPolicy &policy;
  int64_t stages, n;
  std::vector<double> fEnd, bEnd; // by stage * n + mb; -1 while unplaced
  std::vector<std::vector<Stream>> streams;
  std::vector<std::deque<ComputeOp>> weights; // deferred, oldest first
  std::vector<double> freeAt;
  std::vector<int64_t> live;
  std::vector<double> liveBytes;
  std::vector<int64_t> left; // F and I/B ops still to place
  std::vector<std::vector<Step>> out;
  struct StageTimes {
    double f, back, w, bytes; // back: I or B as the policy splits
  };
  std::vector<StageTimes> times;
  std::vector<int64_t> ranksOf;        // by dir * stages + stage
  std::vector<double> actHop, gradHop; // by dir * stages + stage
  /// consumers[r]: the ranks whose candidates read r's ops or free time.
  std::vector<std::vector<int64_t>> consumers;
  std::vector<double> soonestOf; // of a rank that found nothing to run
  /// Whether that rank waits on a placed producer (a time that will come).
  std::vector<char> exactWait;
  std::set<std::pair<double, int64_t>> clock; // ranks with work, by freeAt
};

} // namespace

std::optional<ListResult> listSchedule(const Placement &placement,
                                       const CostModel &cost,
                                       const ListPolicy &policy) {
  if (!placement.checkSizes().empty())
    return std::nullopt;
  return ListScheduler(placement, cost, policy).run();
}

} // namespace dualpipe::detail
