//===- VerifyTestSupport.h - Small programs built by hand -------*- C++ -*-===//
//
// Builders for the schedules and programs of the verifier tests, so that a
// test reads as the program it checks.
//
//===----------------------------------------------------------------------===//
#ifndef DUALPIPE_UNITTESTS_SCHEDULE_VERIFYTESTSUPPORT_H
#define DUALPIPE_UNITTESTS_SCHEDULE_VERIFYTESTSUPPORT_H

#include "dualpipe/Schedule/Schedule.h"

#include <optional>
#include <vector>

namespace dualpipe::test {

inline ComputeOp F(int64_t stage, int64_t mb) { return {OpKind::F, stage, mb}; }
inline ComputeOp B(int64_t stage, int64_t mb) { return {OpKind::B, stage, mb}; }
inline ComputeOp I(int64_t stage, int64_t mb) { return {OpKind::I, stage, mb}; }
inline ComputeOp W(int64_t stage, int64_t mb) { return {OpKind::W, stage, mb}; }

inline Step step(ComputeOp op) { return Step{op, std::nullopt, -1}; }
inline Step pair(ComputeOp forward, ComputeOp backward) {
  return Step{forward, backward, -1};
}

inline Placement placement(PlacementKind kind, int64_t ranks, int64_t stages,
                           int64_t microbatches) {
  return Placement{kind, ranks, stages, microbatches};
}

inline Schedule schedule(Placement where,
                         std::vector<std::vector<Step>> ranks) {
  return Schedule{std::nullopt, where, std::move(ranks)};
}

inline Instr compute(ComputeOp op) {
  Instr instr;
  instr.op = op;
  return instr;
}
inline Instr message(InstrKind kind, MsgKind what, int64_t stage, int64_t mb,
                     int64_t peer, int64_t token) {
  Instr instr;
  instr.kind = kind;
  instr.key = MsgKey{what, stage, mb};
  instr.peer = peer;
  instr.token = token;
  return instr;
}
inline Instr sendAct(int64_t stage, int64_t mb, int64_t peer,
                     int64_t token = -1) {
  return message(InstrKind::Send, MsgKind::Activation, stage, mb, peer, token);
}
inline Instr sendGrad(int64_t stage, int64_t mb, int64_t peer,
                      int64_t token = -1) {
  return message(InstrKind::Send, MsgKind::Gradient, stage, mb, peer, token);
}
inline Instr recvAct(int64_t stage, int64_t mb, int64_t peer, int64_t token) {
  return message(InstrKind::Recv, MsgKind::Activation, stage, mb, peer, token);
}
inline Instr recvGrad(int64_t stage, int64_t mb, int64_t peer, int64_t token) {
  return message(InstrKind::Recv, MsgKind::Gradient, stage, mb, peer, token);
}
inline Instr wait(int64_t token) {
  Instr instr;
  instr.kind = InstrKind::Wait;
  instr.token = token;
  return instr;
}
inline Instr overlap(std::vector<Instr> body) {
  Instr instr;
  instr.kind = InstrKind::Overlap;
  instr.body = std::move(body);
  return instr;
}

inline Program program(Placement where, std::vector<std::vector<Instr>> ranks) {
  return Program{std::nullopt, where, std::move(ranks)};
}

} // namespace dualpipe::test

#endif // DUALPIPE_UNITTESTS_SCHEDULE_VERIFYTESTSUPPORT_H
