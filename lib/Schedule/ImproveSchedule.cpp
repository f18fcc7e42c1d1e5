//===- ImproveSchedule.cpp - Local improvement of a rank order ------------===//
//
// Moves are aimed at idle time, where a better order can gain: before a step
// that waits, pull the next W of that rank into the wait, push the last W
// before it past it, or swap the step with its predecessor. A move that
// breaks a dependency replays to infinity and is dropped like any other
// move that does not help.
//
//===----------------------------------------------------------------------===//

#include "ImproveSchedule.h"

#include <algorithm>

namespace dualpipe::detail {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kEps = 1e-9;

struct Replay {
  std::vector<std::vector<double>> start, end; // per rank, per step
  double makespan = kInf;
};

class Replayer {
public:
  Replayer(const Schedule &schedule, const CostModel &cost)
      : schedule(schedule), cost(cost), n(schedule.placement.microbatches),
        fEnd(schedule.placement.stages * n, -1),
        bEnd(schedule.placement.stages * n, -1) {}

  /// Each rank runs until it waits on an op not produced yet; producing an
  /// op wakes the rank of its cross-rank consumer, so every step is tried a
  /// bounded number of times (linear in the schedule, not ranks x steps).
  Replay run() {
    const Placement &p = schedule.placement;
    Replay replay;
    replay.start.resize(p.ranks);
    replay.end.resize(p.ranks);
    std::vector<size_t> next(p.ranks, 0);
    std::vector<double> freeAt(p.ranks, 0);
    std::vector<char> queued(p.ranks, 1);
    std::vector<int64_t> work;
    for (int64_t r = p.ranks - 1; r >= 0; --r) {
      work.push_back(r);
      replay.start[r].reserve(schedule.ranks[r].size());
      replay.end[r].reserve(schedule.ranks[r].size());
    }
    auto wake = [&](int64_t stage, int64_t mb) {
      if (stage < 0 || stage >= p.stages)
        return;
      int64_t r = p.rankOf(stage, mb);
      if (!queued[r]) {
        queued[r] = 1;
        work.push_back(r);
      }
    };
    auto produced = [&](const ComputeOp &op, double end) {
      record(op, end);
      if (op.kind == OpKind::F)
        wake(op.stage + 1, op.mb);
      else if (op.kind != OpKind::W)
        wake(op.stage - 1, op.mb);
    };
    while (!work.empty()) {
      int64_t r = work.back();
      work.pop_back();
      queued[r] = 0;
      const std::vector<Step> &steps = schedule.ranks[r];
      while (next[r] < steps.size()) {
        const Step &step = steps[next[r]];
        double ready = freeAt[r];
        if (!readyAt(step.first, r, ready) ||
            (step.second && !readyAt(*step.second, r, ready)))
          break;
        double end =
            ready + (step.second ? cost.pairTime(step.first, *step.second)
                                 : cost.computeTime(step.first));
        produced(step.first, end);
        if (step.second)
          produced(*step.second, end);
        replay.start[r].push_back(ready);
        replay.end[r].push_back(end);
        freeAt[r] = end;
        ++next[r];
      }
    }
    for (int64_t r = 0; r < p.ranks; ++r)
      if (next[r] < schedule.ranks[r].size())
        return replay; // a rank waits on a later op of its own order
    replay.makespan = 0;
    for (double t : freeAt)
      replay.makespan = std::max(replay.makespan, t);
    return replay;
  }

private:
  double hop(int64_t stage, int64_t mb, int64_t dst, MsgKey key) const {
    int64_t src = schedule.placement.rankOf(stage, mb);
    return src == dst ? 0 : cost.linkTime(src, dst, cost.messageBytes(key));
  }

  /// Raises `ready` to when `op`'s inputs are on rank r; false if one is
  /// not produced yet.
  bool readyAt(const ComputeOp &op, int64_t r, double &ready) const {
    int64_t s = op.stage, mb = op.mb, last = schedule.placement.stages - 1;
    auto need = [&](double end, double link) {
      if (end < 0)
        return false;
      ready = std::max(ready, end + link);
      return true;
    };
    switch (op.kind) {
    case OpKind::F:
      return s == 0 ||
             need(fEnd[(s - 1) * n + mb],
                  hop(s - 1, mb, r, {MsgKind::Activation, s - 1, mb}));
    case OpKind::B:
    case OpKind::I:
      return need(fEnd[s * n + mb], 0) &&
             (s == last ||
              need(bEnd[(s + 1) * n + mb],
                   hop(s + 1, mb, r, {MsgKind::Gradient, s + 1, mb})));
    case OpKind::W:
      return need(bEnd[s * n + mb], 0);
    }
    return false;
  }

  void record(const ComputeOp &op, double end) {
    if (op.kind == OpKind::F)
      fEnd[op.stage * n + op.mb] = end;
    else if (op.kind != OpKind::W)
      bEnd[op.stage * n + op.mb] = end;
  }

  const Schedule &schedule;
  const CostModel &cost;
  int64_t n;
  std::vector<double> fEnd, bEnd;
};

/// Peak live activations (count and bytes) of one rank's order, counted as
/// the simulator does: an F allocates, its I or B releases, a pair's F
/// allocates before its backward releases.
bool withinMemory(const std::vector<Step> &steps, const CostModel &cost,
                  const ImproveLimits &limits) {
  int64_t live = 0;
  double bytes = 0;
  auto apply = [&](const ComputeOp &op) {
    if (op.kind == OpKind::W)
      return true;
    int64_t sign = op.kind == OpKind::F ? 1 : -1;
    live += sign;
    bytes += static_cast<double>(sign) * cost.stage(op.stage).activationBytes;
    return live <= limits.maxActivations &&
           bytes <= limits.maxActivationBytes * (1 + kEps);
  };
  for (const Step &step : steps)
    if (!apply(step.first) || (step.second && !apply(*step.second)))
      return false;
  return true;
}

bool isWeight(const Step &step) {
  return !step.second && step.first.kind == OpKind::W;
}

} // namespace

double replayMakespan(const Schedule &schedule, const CostModel &cost) {
  return Replayer(schedule, cost).run().makespan;
}

int64_t improveSchedule(Schedule &schedule, const CostModel &cost,
                        const ImproveLimits &limits) {
  int64_t spent = 0;
  Replay best = Replayer(schedule, cost).run();
  ++spent;
  // Tries one rewritten order of rank r; keeps it if it is faster.
  auto attempt = [&](int64_t r, std::vector<Step> order) {
    if (spent >= limits.evaluations || !withinMemory(order, cost, limits))
      return false;
    std::swap(schedule.ranks[r], order);
    Replay replay = Replayer(schedule, cost).run();
    ++spent;
    if (replay.makespan < best.makespan - kEps) {
      best = std::move(replay);
      return true;
    }
    std::swap(schedule.ranks[r], order);
    return false;
  };
  bool improved = true;
  while (improved && spent < limits.evaluations) {
    improved = false;
    for (int64_t r = 0; r < schedule.placement.ranks; ++r) {
      const std::vector<Step> &steps = schedule.ranks[r];
      for (size_t k = 1; k < steps.size() && spent < limits.evaluations; ++k) {
        if (best.start[r][k] <= best.end[r][k - 1] + kEps)
          continue; // no wait before step k
        std::vector<Step> order = steps;
        auto later = std::find_if(order.begin() + k, order.end(), isWeight);
        if (later != order.end())
          std::rotate(order.begin() + k, later, later + 1);
        if (later != order.end() && attempt(r, order)) {
          improved = true;
          continue;
        }
        order = steps;
        auto earlier = std::find_if(order.rbegin() + (order.size() - k),
                                    order.rend(), isWeight);
        if (earlier != order.rend()) {
          auto it = earlier.base() - 1;
          std::rotate(it, it + 1, order.begin() + k + 1);
          if (attempt(r, order)) {
            improved = true;
            continue;
          }
        }
        order = steps;
        std::swap(order[k - 1], order[k]);
        if (attempt(r, order))
          improved = true;
      }
    }
  }
  return spent;
}

} // namespace dualpipe::detail
