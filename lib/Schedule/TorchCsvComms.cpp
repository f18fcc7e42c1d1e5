//===- TorchCsvComms.cpp - PyTorch compute_comms export -------------------===//
#include "dualpipe/Schedule/TorchCsvComms.h"

#include "dualpipe/Schedule/TorchCsv.h"

using namespace dualpipe;

namespace {
/// The stage PyTorch names in a comm action: the sender's for SEND, the
/// receiver's for RECV.
int64_t torchStage(const Instr &instr) {
  if (instr.kind == InstrKind::Send)
    return instr.key.stage;
  return instr.key.kind == MsgKind::Activation ? instr.key.stage + 1
                                               : instr.key.stage - 1;
}

void appendComm(std::string &row, const Instr &instr) {
  row += std::to_string(torchStage(instr));
  row += instr.kind == InstrKind::Send ? "SEND_" : "RECV_";
  row += instr.key.kind == MsgKind::Activation ? 'F' : 'B';
  row += std::to_string(instr.key.mb);
}

template <typename AppendFn>
void appendCell(std::string &row, bool &first, AppendFn &&append) {
  if (!first)
    row += ',';
  first = false;
  append();
}

void appendInstrs(std::string &row, bool &first,
                  const std::vector<Instr> &instrs) {
  for (const Instr &instr : instrs) {
    switch (instr.kind) {
    case InstrKind::Compute:
      appendCell(row, first, [&] { appendAction(row, instr.op); });
      break;
    case InstrKind::Send:
    case InstrKind::Recv:
      appendCell(row, first, [&] { appendComm(row, instr); });
      break;
    case InstrKind::Wait:
      break;
    case InstrKind::Overlap: {
      Step pair;
      bool hasForward = false;
      for (const Instr &inner : instr.body) {
        if (inner.kind != InstrKind::Compute)
          continue;
        if (inner.op.kind == OpKind::F && !hasForward) {
          pair.first = inner.op;
          hasForward = true;
        } else {
          pair.second = inner.op;
        }
      }
      for (const Instr &inner : instr.body)
        if (inner.kind == InstrKind::Recv)
          appendCell(row, first, [&] { appendComm(row, inner); });
      appendCell(row, first, [&] { appendStep(row, pair); });
      for (const Instr &inner : instr.body)
        if (inner.kind == InstrKind::Send)
          appendCell(row, first, [&] { appendComm(row, inner); });
      break;
    }
    }
  }
}
} // namespace

std::string dualpipe::exportTorchCsvComms(const Program &program) {
  std::string out;
  for (const std::vector<Instr> &instrs : program.ranks) {
    bool first = true;
    appendInstrs(out, first, instrs);
    out += '\n';
  }
  return out;
}
