//===- ListSchedule.cpp - Greedy list scheduling of a placement -----------===//
//
// Time advances to the earliest free rank. An op is known ready once its
// producer has been placed (its end plus the link); an op whose producer is
// still unplaced cannot be ready before that producer's rank is free again
// plus the producer's own time, which bounds the wait a W may fill.
//
// Memory: a forward that brings a new micro-batch onto a rank (its first
// stage there) leaves one slot free per later stage of that micro-batch on the
// rank (the V's way back), so the oldest micro-batch can always continue and
// the greedy cannot paint itself into a corner on a V.
//
//===----------------------------------------------------------------------===//

#include "ListSchedule.h"

#include <algorithm>
#include <deque>

namespace dualpipe::detail {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

/// The ops one rank runs for one stage: micro-batches [first, last) in order.
struct Stream {
  int64_t stage = 0;
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
        left(placement.ranks, 0), out(placement.ranks) {
    for (int64_t r = 0; r < placement.ranks; ++r)
      buildStreams(r);
  }

  std::optional<ListResult> run() {
    // Each round either places an op or moves a waiting rank forward to the
    // next event; the bound only guards against a cost model with zero-time
    // ops that would let time stand still.
    int64_t rounds = 0, limit = 64 * (3 * stages * n + placement.ranks);
    while (true) {
      double t = kInf;
      for (int64_t r = 0; r < placement.ranks; ++r)
        if (hasWork(r))
          t = std::min(t, freeAt[r]);
      if (t == kInf)
        break;
      if (++rounds > limit)
        return std::nullopt;
      bool ran = false;
      double next = kInf;
      for (int64_t r = 0; r < placement.ranks && !ran; ++r)
        if (hasWork(r) && freeAt[r] == t)
          ran = tryRun(r, t, next);
      if (ran)
        continue;
      for (int64_t r = 0; r < placement.ranks; ++r)
        if (hasWork(r) && freeAt[r] > t)
          next = std::min(next, freeAt[r]);
      if (!(next > t) || next == kInf)
        return std::nullopt; // nothing can ever become ready
      for (int64_t r = 0; r < placement.ranks; ++r)
        if (hasWork(r) && freeAt[r] == t)
          freeAt[r] = next;
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
      streams[r].push_back(stream);
    }
  }

  bool hasWork(int64_t r) const { return left[r] > 0 || !weights[r].empty(); }

  double link(int64_t src, int64_t dst, MsgKey key) const {
    return src == dst ? 0 : cost.linkTime(src, dst, cost.messageBytes(key));
  }

  OpKind backwardKind() const {
    return policy.splitBackward ? OpKind::I : OpKind::B;
  }

  /// Ready time of an op whose cross-rank producer is `producer` (ending at
  /// `end`, -1 if unplaced) on rank `src`.
  void fromProducer(Candidate &c, int64_t r, const ComputeOp &producer,
                    double end, MsgKey key) const {
    int64_t src = placement.rankOf(producer.stage, producer.mb);
    double hop = link(src, r, key);
    double base = c.known ? c.ready : 0;
    c.known = end >= 0;
    c.ready = std::max(base, c.known ? end + hop
                                     : freeAt[src] +
                                           cost.computeTime(producer) + hop);
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
         liveBytes[r] + cost.stage(s).activationBytes + st.laterBytes >
             policy.maxActivationBytes))
      return c;
    c.stream = index;
    c.op = op;
    c.ready = 0;
    c.known = true;
    if (s > 0)
      fromProducer(c, r, {OpKind::F, s - 1, mb}, fEnd[(s - 1) * n + mb],
                   {MsgKind::Activation, s - 1, mb});
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
      fromProducer(c, r, {backwardKind(), s + 1, mb}, bEnd[(s + 1) * n + mb],
                   {MsgKind::Gradient, s + 1, mb});
    return c;
  }

  /// Whether a forward continues a micro-batch already on its rank (the
  /// V's way back): it holds no new slot and feeds the critical path.
  bool continues(const ComputeOp &op) const {
    return op.stage > 0 && placement.rankOf(op.stage - 1, op.mb) ==
                               placement.rankOf(op.stage, op.mb);
  }

  bool before(const Candidate &a, const Candidate &b, bool backwards) const {
    if (!b.valid())
      return true;
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
    for (int64_t i = 0; i < static_cast<int64_t>(streams[r].size()); ++i) {
      for (bool isBackward : {true, false}) {
        Candidate c = isBackward ? backward(r, i) : forward(r, i);
        if (!c.valid())
          continue;
        soonest = std::min(soonest, c.ready);
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
      double w = cost.computeTime(weights[r].front());
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
    double bytes = cost.stage(op.stage).activationBytes;
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
    double end = t + cost.computeTime(c.op);
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
};

} // namespace

std::optional<ListResult> listSchedule(const Placement &placement,
                                       const CostModel &cost,
                                       const ListPolicy &policy) {
  if (placement.kind == PlacementKind::Interleaved ||
      !placement.checkSizes().empty())
    return std::nullopt;
  return ListScheduler(placement, cost, policy).run();
}

} // namespace dualpipe::detail
