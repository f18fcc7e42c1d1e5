//===- Dependencies.h - Producer/consumer rules of compute ops --*- C++ -*-===//
//
// The single statement of which compute op needs which, shared by the
// lowering, the verifier, the simulator and the runtime, so that they cannot
// disagree on what a message carries or who sends it:
//
//   F(s,m)    needs the activation of F(s-1,m)                   (s > 0)
//   B/I(s,m)  needs F(s,m) on its own rank, and the input gradient of
//             B(s+1,m) or I(s+1,m)                     (s < stages-1)
//   W(s,m)    needs I(s,m) on its own rank
//
// Data between stages travels as a message keyed by its producer: activation
// (s,m) from F(s,m) to F(s+1,m), gradient (s,m) from B/I(s,m) to B/I(s-1,m).
// A message exists only when producer and consumer are on different ranks.
//
//===----------------------------------------------------------------------===//
#ifndef DUALPIPE_SCHEDULE_DEPENDENCIES_H
#define DUALPIPE_SCHEDULE_DEPENDENCIES_H

#include "dualpipe/Schedule/Schedule.h"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace dualpipe {

/// True for B and I: the ops that produce an input gradient.
bool isInputGradOp(OpKind kind);

/// The inter-stage value `op` consumes, if any: activation (s-1,m) for F(s,m),
/// gradient (s+1,m) for B/I(s,m) below the last stage. None for W and for the
/// ends of the pipeline (first-stage F, last-stage B/I).
std::optional<MsgKey> consumedValue(const ComputeOp &op, int64_t stages);

/// The inter-stage value `op` produces, if some stage consumes it: activation
/// (s,m) for F(s,m) below the last stage, gradient (s,m) for B/I(s,m) above
/// stage 0.
std::optional<MsgKey> producedValue(const ComputeOp &op, int64_t stages);

/// True if `op` computes the loss: the forward of the last stage, whose
/// backward starts from it on the same rank instead of a received gradient.
bool computesLoss(const ComputeOp &op, int64_t stages);

/// True if `op` produces `key` (F for activations, B or I for gradients).
bool producesValue(const ComputeOp &op, const MsgKey &key);
/// True if `op` consumes `key` (F for activations, B or I for gradients).
bool consumesValue(const ComputeOp &op, const MsgKey &key);

/// Stage of the consumer of `key`: stage+1 for an activation, stage-1 for a
/// gradient. May be out of range (no consumer).
int64_t consumerStage(const MsgKey &key);

/// The producer to name in messages: F for activations, B for gradients.
ComputeOp nominalProducer(const MsgKey &key);
/// The consumer to name in messages: F for activations, B for gradients.
ComputeOp nominalConsumer(const MsgKey &key);

/// The same-rank op that must run before `op`: F(s,m) for B/I(s,m), I(s,m)
/// for W(s,m); none for F.
std::optional<ComputeOp> localPrerequisite(const ComputeOp &op);

/// Where the two ends of a message live. Both are -1 when the key is out of
/// range for the placement or has no consumer stage.
struct MessageEnds {
  int64_t producerRank = -1;
  int64_t consumerRank = -1;
  bool valid() const { return producerRank >= 0 && consumerRank >= 0; }
  /// True if the value crosses ranks, i.e. travels as a message.
  bool crossesRanks() const { return valid() && producerRank != consumerRank; }
};
MessageEnds messageEnds(const Placement &placement, const MsgKey &key);

/// True if stage and micro-batch are in range for the placement.
bool inRange(const Placement &placement, const ComputeOp &op);
bool inRange(const Placement &placement, const MsgKey &key);

/// Spellings used in findings: "F(stage 3, mb 5)", "activation(stage 0, mb 1)",
/// "grad(stage 1, mb 0)", and the "rank 2: " that starts a per-rank message.
std::string describe(const ComputeOp &op);
std::string describe(const MsgKey &key);
/// A Send or Recv: "send activation(stage 0, mb 1) to rank 1",
/// "recv grad(stage 1, mb 0) from rank 0".
std::string describeMessage(const Instr &instr);
/// Any instruction: describe(op) for a compute, describeMessage for a send
/// or recv, "wait on token 3", "overlap (F(stage 0, mb 2) & B(stage 3, mb 0))".
std::string describeInstr(const Instr &instr);
std::string rankPrefix(int64_t rank);

/// For hash maps keyed by message.
struct MsgKeyHash {
  size_t operator()(const MsgKey &key) const;
};

} // namespace dualpipe

#endif // DUALPIPE_SCHEDULE_DEPENDENCIES_H
