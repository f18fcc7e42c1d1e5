//===- InsertComm.cpp - pipe-insert-comm ----------------------------------===//
//
// The plainest correct placement: data is received just before it is used and
// sent as soon as it exists. Whether that deadlocks under rendezvous sends is
// scheduleComm's concern; this step only makes every message explicit.
//
//===----------------------------------------------------------------------===//

#include "dualpipe/Schedule/Dependencies.h"
#include "dualpipe/Schedule/Lower.h"

namespace dualpipe {

namespace {

class CommInserter {
public:
  explicit CommInserter(const Placement &placement)
      : placement(placement), placementValid(placement.checkSizes().empty()) {}

  std::vector<Instr> lowerRank(int64_t rank, const std::vector<Step> &steps) {
    std::vector<Instr> instrs;
    instrs.reserve(steps.size() * 3);
    for (const Step &step : steps) {
      appendReceives(rank, step.first, instrs);
      if (step.second)
        appendReceives(rank, *step.second, instrs);
      instrs.push_back(lowerStep(step));
      appendSend(rank, step.first, instrs);
      if (step.second)
        appendSend(rank, *step.second, instrs);
    }
    return instrs;
  }

private:
  static Instr compute(const ComputeOp &op, int64_t origin) {
    Instr instr;
    instr.kind = InstrKind::Compute;
    instr.op = op;
    instr.origin = origin;
    return instr;
  }

  static Instr lowerStep(const Step &step) {
    if (!step.second)
      return compute(step.first, step.origin);
    Instr overlap;
    overlap.kind = InstrKind::Overlap;
    overlap.origin = step.origin;
    overlap.body = {compute(step.first, step.origin),
                    compute(*step.second, step.origin)};
    return overlap;
  }

  /// The message carrying `key` if it must cross ranks; ops out of range are
  /// left without comm for the verifier to report.
  std::optional<MessageEnds> crossRankEnds(const ComputeOp &op,
                                           const std::optional<MsgKey> &key) {
    if (!placementValid || !key || !inRange(placement, op))
      return std::nullopt;
    MessageEnds ends = messageEnds(placement, *key);
    if (!ends.crossesRanks())
      return std::nullopt;
    return ends;
  }

  void appendReceives(int64_t rank, const ComputeOp &op,
                      std::vector<Instr> &instrs) {
    std::optional<MsgKey> key = consumedValue(op, placement.stages);
    std::optional<MessageEnds> ends = crossRankEnds(op, key);
    if (!ends || ends->producerRank == rank)
      return;
    Instr recv;
    recv.kind = InstrKind::Recv;
    recv.key = *key;
    recv.peer = ends->producerRank;
    recv.token = nextToken++;
    Instr wait;
    wait.kind = InstrKind::Wait;
    wait.token = recv.token;
    instrs.push_back(recv);
    instrs.push_back(wait);
  }

  void appendSend(int64_t rank, const ComputeOp &op,
                  std::vector<Instr> &instrs) {
    std::optional<MsgKey> key = producedValue(op, placement.stages);
    std::optional<MessageEnds> ends = crossRankEnds(op, key);
    if (!ends || ends->consumerRank == rank)
      return;
    Instr send;
    send.kind = InstrKind::Send;
    send.key = *key;
    send.peer = ends->consumerRank;
    instrs.push_back(send);
  }

  const Placement &placement;
  bool placementValid;
  int64_t nextToken = 0;
};

} // namespace

Program insertComm(const Schedule &schedule) {
  Program program;
  program.kind = schedule.kind;
  program.placement = schedule.placement;
  program.ranks.reserve(schedule.ranks.size());
  CommInserter inserter(schedule.placement);
  for (size_t rank = 0; rank < schedule.ranks.size(); ++rank)
    program.ranks.push_back(
        inserter.lowerRank(static_cast<int64_t>(rank), schedule.ranks[rank]));
  return program;
}

} // namespace dualpipe
