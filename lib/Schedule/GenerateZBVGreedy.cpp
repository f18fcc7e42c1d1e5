//===- GenerateZBVGreedy.cpp - The zero-bubble authors' ZB-V greedy -------===//
//
// The construction of sail-sg/zero-bubble-pipeline-parallelism's zbv.py
// (try_v_schedule), restated over this repository's cost model: a warmup
// that fills the V with forwards, then 2N rounds of one backward and one
// forward per rank, where a deferred W runs first when the wait for the
// next input is at least a W long, or longer than the rank's share of the
// largest bubble. A second pass (and further ones while they help) replays
// with the bubbles of the previous one as the ranks' allowances.
//
// Chunks as the authors number them: forwards run chunk 0 = stage r, chunk 1
// = stage 2P-1-r; backwards and weights run chunk 0 = stage 2P-1-r (first
// on the way back), chunk 1 = stage r.
//
//===----------------------------------------------------------------------===//

#include "SearchSchedule.h"

#include <algorithm>
#include <deque>

namespace dualpipe::detail {

namespace {

enum Cat { kF = 0, kI = 1, kW = 2 };

class ZBVGreedy {
public:
  ZBVGreedy(const Placement &placement, const CostModel &cost, bool fillF,
            bool fillB, std::vector<double> approved)
      : placement(placement), cost(cost), p(placement.ranks),
        n(placement.microbatches), fillF(fillF), fillB(fillB),
        approved(std::move(approved)), end(3 * 2 * p * n, -1),
        count(p, std::vector<int64_t>(6, 0)), cur(p, 0), mem(p, 0),
        bubble(p, 0), pendingW(p), out(p) {
    maxApproved = -1;
    for (double a : this->approved)
      maxApproved = std::max(maxApproved, a);
  }

  /// False if the construction would break a dependency (then no order).
  bool run() {
    for (int64_t i = 0; i < p; ++i)
      if (!put(kF, 0, i))
        return false;
    if (!warmup())
      return false;
    for (int64_t round = 0; round < 2 * n; ++round)
      if (!backwards() || !forwards())
        return false;
    for (int64_t i = 0; i < p; ++i)
      while (!pendingW[i].empty())
        if (!putW(i))
          return false;
    return true;
  }

  double maxBubble(int64_t rank = -1) const {
    double result = 0;
    for (double b : bubble)
      result = std::max(result, b);
    if (rank >= 0 && !approved.empty())
      result = std::max(result, maxApproved - approved[rank]);
    return result;
  }
  const std::vector<double> &bubbles() const { return bubble; }
  std::vector<std::vector<Step>> takeOrder() { return std::move(out); }

private:
  int64_t stageOf(int cat, int chunk, int64_t rank) const {
    bool lower = cat == kF ? chunk == 0 : chunk == 1;
    return lower ? rank : 2 * p - 1 - rank;
  }
  ComputeOp opOf(int cat, int chunk, int64_t rank, int64_t mb) const {
    OpKind kind = cat == kF ? OpKind::F : cat == kI ? OpKind::I : OpKind::W;
    return {kind, stageOf(cat, chunk, rank), mb};
  }
  double &endOf(int cat, int chunk, int64_t rank, int64_t mb) {
    return end[((cat * 2 + chunk) * p + rank) * n + mb];
  }
  double duration(int cat, int chunk, int64_t rank, int64_t mb) const {
    return cost.computeTime(opOf(cat, chunk, rank, mb));
  }
  double hop(int cat, int64_t src, int64_t dst, int64_t stage, int64_t mb) {
    MsgKey key{cat == kF ? MsgKind::Activation : MsgKind::Gradient, stage, mb};
    return cost.linkTime(src, dst, cost.messageBytes(key));
  }

  /// The neighbour rank an F or I of `chunk` waits on, or -1: forwards of
  /// chunk 0 and backwards of chunk 0 come from rank i-1, the others from
  /// rank i+1 (the turn of the V is on one rank).
  int64_t feeder(int cat, int chunk, int64_t i) const {
    bool fromBelow = chunk == 0;
    if (cat == kW)
      return -1;
    int64_t j = fromBelow ? i - 1 : i + 1;
    return j >= 0 && j < p ? j : -1;
  }

  /// End (plus link) of the input from the feeder; -1 if none is needed, -2
  /// if it is needed but not placed yet.
  double arrival(int cat, int chunk, int64_t i, int64_t mb) {
    int64_t j = feeder(cat, chunk, i);
    if (j < 0)
      return -1;
    double e = endOf(cat, chunk, j, mb);
    if (e < 0)
      return -2;
    return e + hop(cat, j, i, stageOf(cat, chunk, j), mb);
  }

  bool put(int cat, int chunk, int64_t i) {
    int64_t mb = count[i][cat * 2 + chunk];
    if (mb >= n)
      return false;
    double noBubble = cur[i] + duration(cat, chunk, i, mb);
    double t = noBubble;
    if (cat != kW) {
      double in = arrival(cat, chunk, i, mb);
      if (in == -2)
        return false;
      if (in >= 0)
        t = std::max(t, in + duration(cat, chunk, i, mb));
    }
    if (count[i][0] > 0)
      bubble[i] += t - noBubble;
    endOf(cat, chunk, i, mb) = t;
    cur[i] = t;
    mem[i] += cat == kF ? 1 : cat == kI ? -1 : 0;
    out[i].push_back(Step{opOf(cat, chunk, i, mb), std::nullopt, -1});
    if (cat == kI)
      pendingW[i].push_back(chunk);
    ++count[i][cat * 2 + chunk];
    return true;
  }

  bool putW(int64_t i) {
    int chunk = pendingW[i].front();
    pendingW[i].pop_front();
    return put(kW, chunk, i);
  }

  bool warmup() {
    int64_t limit = 2 * p;
    for (int64_t i = p - 1; i >= 0; --i) {
      if (i == p - 1) {
        if (!put(kF, 1, i))
          return false;
        continue;
      }
      double first = endOf(kF, 1, i + 1, 0);
      if (first < 0)
        return false;
      double ready = first + hop(kF, i + 1, i, stageOf(kF, 1, i + 1), 0);
      while (mem[i] + (2 + 2 * i) <= limit &&
             cur[i] + duration(kF, 0, i, count[i][0]) <= ready &&
             count[i][0] < n)
        for (int64_t j = 0; j <= i; ++j)
          if (count[j][0] < n && !put(kF, 0, j))
            return false;
      if (!put(kF, 1, i))
        return false;
    }
    int chunk = 0;
    for (int64_t i = 1; i < p; ++i) {
      int64_t idle = 0; // rounds in a row that placed nothing
      while (count[i][0] + count[i][1] < count[i - 1][0] + count[i - 1][1] ||
             (count[i][1] <= count[i - 1][1] && count[i - 1][1] < n)) {
        bool placed = false;
        for (int64_t j = p - 1; j >= i; --j) {
          if (count[j][chunk] >= n)
            continue;
          if (!put(kF, chunk, j))
            return false;
          placed = true;
        }
        idle = placed ? 0 : idle + 1;
        if (idle > 2)
          return false;
        chunk = 1 - chunk;
      }
    }
    return true;
  }

  /// Runs deferred Ws before an op of rank i whose input arrives at `in`
  /// (-1: none): every W that fits the wait, then one more if the wait
  /// exceeds the rank's share of the largest bubble and `fill` allows.
  bool fillWeights(int64_t i, double in, bool fill) {
    while (!pendingW[i].empty() && in >= 0 &&
           in >= cur[i] + cost.computeTime(
                              opOf(kW, pendingW[i].front(), i,
                                   count[i][4 + pendingW[i].front()]))) {
      if (!putW(i))
        return false;
    }
    double gap = (in >= 0 ? in : -1) - cur[i];
    if (!pendingW[i].empty() && fill && gap > maxBubble(i) - bubble[i])
      return putW(i);
    return true;
  }

  bool backwards() {
    std::vector<int64_t> down, up; // chunk 0 ranks, chunk 1 ranks
    for (int64_t i = 0; i < p; ++i) {
      if (count[i][3] >= count[i][2])
        down.push_back(i);
      else if (i == p - 1 || endOf(kI, 1, i + 1, count[i][3]) >= 0 ||
               count[i][2] >= n)
        up.push_back(i);
      else
        down.push_back(i);
    }
    std::vector<std::pair<int64_t, int>> order;
    for (auto it = up.rbegin(); it != up.rend(); ++it)
      order.push_back({*it, 1});
    for (int64_t i : down)
      order.push_back({i, 0});
    for (auto [i, chunk] : order) {
      int64_t mb = count[i][2 + chunk];
      if (mb >= n)
        return false;
      double in = arrival(kI, chunk, i, mb);
      if (in == -2)
        return false;
      if (!fillWeights(i, in, chunk == 1 || fillB) || !put(kI, chunk, i))
        return false;
    }
    return true;
  }

  bool forwards() {
    for (int64_t i = 0; i < p; ++i) {
      if (count[i][1] >= n)
        continue;
      int chunk = -1;
      if (count[i][1] >= count[i][0])
        chunk = 0;
      else if (i == p - 1 || endOf(kF, 1, i + 1, count[i][1]) >= 0)
        chunk = 1;
      else if (count[i][0] < n &&
               (i == 0 || endOf(kF, 0, i - 1, count[i][0]) >= 0))
        chunk = 0;
      // An activation stays until its I here, so a W frees nothing: a full
      // rank skips its forward this round.
      if (chunk < 0 || mem[i] + 1 > 2 * p)
        continue;
      double in = arrival(kF, chunk, i, count[i][chunk]);
      if (in == -2)
        return false;
      if (!fillWeights(i, in, fillF) || !put(kF, chunk, i))
        return false;
    }
    return true;
  }

  const Placement &placement;
  const CostModel &cost;
  int64_t p, n;
  bool fillF, fillB;
  std::vector<double> approved;
  double maxApproved;
  std::vector<double> end;
  std::vector<std::vector<int64_t>> count; // per rank: F0 F1 I0 I1 W0 W1
  std::vector<double> cur;
  std::vector<int64_t> mem;
  std::vector<double> bubble;
  std::vector<std::deque<int>> pendingW;
  std::vector<std::vector<Step>> out;
};

} // namespace

std::vector<RankOrders> authorsZBVOrders(const Placement &placement,
                                         const CostModel &cost) {
  std::vector<RankOrders> orders;
  for (bool fillB : {true, false})
    for (bool fillF : {true, false}) {
      std::vector<double> approved;
      double previous = -1;
      // Each pass allows every rank the bubbles of the previous one; stop
      // when the largest bubble no longer shrinks.
      for (int pass = 0; pass < 16; ++pass) {
        ZBVGreedy greedy(placement, cost, fillF, fillB, approved);
        if (!greedy.run())
          break;
        double largest = greedy.maxBubble();
        if (previous >= 0 && largest >= previous)
          break;
        previous = largest;
        approved = greedy.bubbles();
        orders.push_back(greedy.takeOrder());
      }
    }
  return orders;
}

} // namespace dualpipe::detail
