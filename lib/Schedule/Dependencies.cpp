//===- Dependencies.cpp - Producer/consumer rules of compute ops ----------===//

#include "dualpipe/Schedule/Dependencies.h"

namespace dualpipe {

bool isInputGradOp(OpKind kind) {
  return kind == OpKind::B || kind == OpKind::I;
}

std::optional<MsgKey> consumedValue(const ComputeOp &op, int64_t stages) {
  if (op.kind == OpKind::F && op.stage > 0)
    return MsgKey{MsgKind::Activation, op.stage - 1, op.mb};
  // The last stage starts its backward from the loss it computed itself.
  if (isInputGradOp(op.kind) && op.stage + 1 < stages)
    return MsgKey{MsgKind::Gradient, op.stage + 1, op.mb};
  return std::nullopt;
}

std::optional<MsgKey> producedValue(const ComputeOp &op, int64_t stages) {
  if (op.kind == OpKind::F && op.stage + 1 < stages)
    return MsgKey{MsgKind::Activation, op.stage, op.mb};
  if (isInputGradOp(op.kind) && op.stage > 0)
    return MsgKey{MsgKind::Gradient, op.stage, op.mb};
  return std::nullopt;
}

bool computesLoss(const ComputeOp &op, int64_t stages) {
  return op.kind == OpKind::F && op.stage + 1 == stages;
}

bool producesValue(const ComputeOp &op, const MsgKey &key) {
  if (op.stage != key.stage || op.mb != key.mb)
    return false;
  return key.kind == MsgKind::Activation ? op.kind == OpKind::F
                                         : isInputGradOp(op.kind);
}

bool consumesValue(const ComputeOp &op, const MsgKey &key) {
  if (op.stage != consumerStage(key) || op.mb != key.mb)
    return false;
  return key.kind == MsgKind::Activation ? op.kind == OpKind::F
                                         : isInputGradOp(op.kind);
}

int64_t consumerStage(const MsgKey &key) {
  return key.kind == MsgKind::Activation ? key.stage + 1 : key.stage - 1;
}

ComputeOp nominalProducer(const MsgKey &key) {
  OpKind kind = key.kind == MsgKind::Activation ? OpKind::F : OpKind::B;
  return ComputeOp{kind, key.stage, key.mb};
}

ComputeOp nominalConsumer(const MsgKey &key) {
  OpKind kind = key.kind == MsgKind::Activation ? OpKind::F : OpKind::B;
  return ComputeOp{kind, consumerStage(key), key.mb};
}

std::optional<ComputeOp> localPrerequisite(const ComputeOp &op) {
  switch (op.kind) {
  case OpKind::F:
    return std::nullopt;
  case OpKind::B:
  case OpKind::I:
    return ComputeOp{OpKind::F, op.stage, op.mb};
  case OpKind::W:
    return ComputeOp{OpKind::I, op.stage, op.mb};
  }
  return std::nullopt;
}

bool inRange(const Placement &placement, const ComputeOp &op) {
  return op.stage >= 0 && op.stage < placement.stages && op.mb >= 0 &&
         op.mb < placement.microbatches;
}

bool inRange(const Placement &placement, const MsgKey &key) {
  return key.stage >= 0 && key.stage < placement.stages && key.mb >= 0 &&
         key.mb < placement.microbatches;
}

MessageEnds messageEnds(const Placement &placement, const MsgKey &key) {
  int64_t consumer = consumerStage(key);
  if (!inRange(placement, key) || consumer < 0 || consumer >= placement.stages)
    return {};
  MessageEnds ends{placement.rankOf(key.stage, key.mb),
                   placement.rankOf(consumer, key.mb)};
  if (!ends.valid())
    return {};
  return ends;
}

std::string describe(const ComputeOp &op) {
  return std::string(1, toChar(op.kind)) + "(stage " +
         std::to_string(op.stage) + ", mb " + std::to_string(op.mb) + ")";
}

std::string describe(const MsgKey &key) {
  return std::string(toString(key.kind)) + "(stage " +
         std::to_string(key.stage) + ", mb " + std::to_string(key.mb) + ")";
}

std::string describeMessage(const Instr &instr) {
  bool send = instr.kind == InstrKind::Send;
  return std::string(send ? "send " : "recv ") + describe(instr.key) +
         (send ? " to rank " : " from rank ") + std::to_string(instr.peer);
}

std::string describeInstr(const Instr &instr) {
  switch (instr.kind) {
  case InstrKind::Compute:
    return describe(instr.op);
  case InstrKind::Send:
  case InstrKind::Recv:
    return describeMessage(instr);
  case InstrKind::Wait:
    return "wait on token " + std::to_string(instr.token);
  case InstrKind::Overlap: {
    std::string ops;
    for (const Instr &inner : instr.body)
      if (inner.kind == InstrKind::Compute)
        ops += (ops.empty() ? "" : " & ") + describe(inner.op);
    return "overlap (" + ops + ")";
  }
  }
  return "instruction";
}

std::string rankPrefix(int64_t rank) {
  return "rank " + std::to_string(rank) + ": ";
}

size_t MsgKeyHash::operator()(const MsgKey &key) const {
  uint64_t h = static_cast<uint64_t>(key.stage) * 0x9E3779B97F4A7C15ull;
  h ^= static_cast<uint64_t>(key.mb) + 0x632BE59BD9B4E019ull + (h << 6) +
       (h >> 2);
  return static_cast<size_t>(h * 2 + static_cast<uint64_t>(key.kind));
}

} // namespace dualpipe
