//===- ForwardOnly.cpp - Inference orders derived from training -----------===//

#include "dualpipe/Schedule/ForwardOnly.h"

#include <set>

namespace dualpipe {
namespace {

/// Appends the kept instructions of `instrs` to `out`, flattening overlaps.
/// `tokens` collects the tokens of kept messages, defined before any wait on
/// them in a valid program.
void keepForwards(const std::vector<Instr> &instrs, std::set<int64_t> &tokens,
                  std::vector<Instr> &out) {
  for (const Instr &instr : instrs) {
    switch (instr.kind) {
    case InstrKind::Compute:
      if (keptForwardOnly(instr.op))
        out.push_back(instr);
      break;
    case InstrKind::Send:
    case InstrKind::Recv:
      // Activations are what forwards consume; gradients feed backwards.
      if (instr.key.kind != MsgKind::Activation)
        break;
      if (instr.token >= 0)
        tokens.insert(instr.token);
      out.push_back(instr);
      break;
    case InstrKind::Wait:
      if (tokens.count(instr.token))
        out.push_back(instr);
      break;
    case InstrKind::Overlap:
      keepForwards(instr.body, tokens, out);
      break;
    }
  }
}

} // namespace

bool keptForwardOnly(const ComputeOp &op) { return op.kind == OpKind::F; }

std::vector<Step> forwardOnlySteps(const std::vector<Step> &training) {
  std::vector<Step> kept;
  for (const Step &step : training)
    for (const std::optional<ComputeOp> &op :
         {std::optional(step.first), step.second})
      if (op && keptForwardOnly(*op))
        kept.push_back(Step{*op, std::nullopt, step.origin});
  return kept;
}

Program forwardOnlyProgram(const Program &training) {
  Program derived;
  derived.kind = training.kind;
  derived.placement = training.placement;
  for (const std::vector<Instr> &instrs : training.ranks) {
    std::set<int64_t> tokens;
    derived.ranks.emplace_back();
    keepForwards(instrs, tokens, derived.ranks.back());
  }
  return derived;
}

} // namespace dualpipe
