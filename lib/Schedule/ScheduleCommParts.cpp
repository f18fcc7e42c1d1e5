//===- ScheduleCommParts.cpp - Taking a rank program apart
//-----------------===//
//
// Tying comm to steps by value rather than by position makes scheduleComm
// re-runnable: any policy can re-place the output of any other.
//
//===----------------------------------------------------------------------===//

#include "ScheduleCommParts.h"

#include "dualpipe/Schedule/Dependencies.h"

#include <unordered_map>
#include <unordered_set>

namespace dualpipe::detail {

namespace {

class RankDecomposer {
public:
  RankDecomposer(int64_t rank, int64_t stages, Finding &error)
      : rank(rank), stages(stages), error(error) {}

  std::optional<RankParts> decompose(const std::vector<Instr> &instrs) {
    for (const Instr &instr : instrs)
      if (!take(instr, /*inBody=*/false))
        return std::nullopt;
    for (size_t step = 0; step < parts.steps.size(); ++step)
      indexStep(static_cast<int64_t>(step));
    if (!tieRecvs() || !tieSends() || !tieWaits())
      return std::nullopt;
    return std::move(parts);
  }

private:
  bool fail(const Instr &at, std::string message) {
    error = findingAt(rank, at, std::move(message));
    return false;
  }

  bool take(const Instr &instr, bool inBody) {
    switch (instr.kind) {
    case InstrKind::Compute:
      if (inBody)
        parts.steps.back().body.push_back(instr);
      else
        parts.steps.push_back(instr);
      return true;
    case InstrKind::Overlap: {
      if (inBody)
        return fail(instr, "overlap nested inside an overlap");
      Instr shell;
      shell.kind = InstrKind::Overlap;
      shell.origin = instr.origin;
      parts.steps.push_back(std::move(shell));
      for (const Instr &inner : instr.body)
        if (!take(inner, /*inBody=*/true))
          return false;
      return true;
    }
    case InstrKind::Recv:
      parts.recvs.push_back(PooledRecv{instr, Instr{}, -1});
      return true;
    case InstrKind::Send:
      parts.sends.push_back(PooledSend{instr, -1});
      return true;
    case InstrKind::Wait:
      waits.push_back(instr);
      return true;
    }
    return true;
  }

  void indexStep(int64_t step) {
    const Instr &instr = parts.steps[step];
    auto index = [&](const ComputeOp &op) {
      if (std::optional<MsgKey> key = consumedValue(op, stages))
        consumerOf.emplace(*key, step);
      if (std::optional<MsgKey> key = producedValue(op, stages))
        producerOf.emplace(*key, step);
    };
    if (instr.kind == InstrKind::Compute)
      index(instr.op);
    for (const Instr &inner : instr.body)
      index(inner.op);
  }

  bool tieRecvs() {
    for (PooledRecv &pooled : parts.recvs) {
      auto it = consumerOf.find(pooled.recv.key);
      if (it == consumerOf.end())
        return fail(pooled.recv, "recv " + describe(pooled.recv.key) +
                                     " has no consumer on this rank");
      pooled.consumer = it->second;
      pooled.wait.kind = InstrKind::Wait;
      pooled.wait.token = pooled.recv.token;
      recvByToken.emplace(pooled.recv.token, &pooled);
    }
    return true;
  }

  bool tieSends() {
    for (PooledSend &pooled : parts.sends) {
      auto it = producerOf.find(pooled.send.key);
      if (it == producerOf.end())
        return fail(pooled.send, "send " + describe(pooled.send.key) +
                                     " has no producer on this rank");
      pooled.producer = it->second;
      if (pooled.send.token >= 0)
        sendTokens.insert(pooled.send.token);
    }
    return true;
  }

  /// Waits are re-created by the policy; only a recv's first wait is kept,
  /// for its origin. Waits on send tokens belong to the old policy.
  bool tieWaits() {
    for (const Instr &wait : waits) {
      auto it = recvByToken.find(wait.token);
      if (it != recvByToken.end()) {
        if (it->second->wait.origin < 0)
          it->second->wait = wait;
        continue;
      }
      if (!sendTokens.count(wait.token))
        return fail(wait,
                    "wait on unknown token " + std::to_string(wait.token));
    }
    return true;
  }

  int64_t rank;
  int64_t stages;
  Finding &error;
  RankParts parts;
  std::vector<Instr> waits;
  std::unordered_map<MsgKey, int64_t, MsgKeyHash> consumerOf, producerOf;
  std::unordered_map<int64_t, PooledRecv *> recvByToken;
  std::unordered_set<int64_t> sendTokens;
};

} // namespace

Finding findingAt(int64_t rank, const Instr &instr, std::string message) {
  Finding finding;
  finding.message = rankPrefix(rank) + std::move(message);
  finding.where.rank = rank;
  finding.origin = instr.origin;
  return finding;
}

std::optional<RankParts> decomposeRank(int64_t rank, int64_t stages,
                                       const std::vector<Instr> &instrs,
                                       Finding &error) {
  return RankDecomposer(rank, stages, error).decompose(instrs);
}

Instr blockingSend(Instr send) {
  send.token = -1;
  return send;
}

void renumberTokens(Program &program) {
  int64_t next = 0;
  for (std::vector<Instr> &instrs : program.ranks) {
    std::unordered_map<int64_t, int64_t> renamed;
    auto visit = [&](Instr &instr) {
      bool defines =
          (instr.kind == InstrKind::Recv || instr.kind == InstrKind::Send) &&
          instr.token >= 0;
      if (defines) {
        renamed[instr.token] = next;
        instr.token = next++;
      } else if (instr.kind == InstrKind::Wait) {
        auto it = renamed.find(instr.token);
        instr.token = it == renamed.end() ? -1 : it->second;
      }
    };
    for (Instr &instr : instrs) {
      visit(instr);
      for (Instr &inner : instr.body)
        visit(inner);
    }
  }
}

} // namespace dualpipe::detail
