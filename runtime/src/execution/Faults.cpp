//===- Faults.cpp - Injected faults (--inject-fault) ----------------------===//

#include "dualpipe/Runtime/Faults.h"
#include "dualpipe/Schedule/Dependencies.h"

#include <map>
#include <sstream>
#include <stdexcept>

namespace dualpipe::runtime {

std::optional<FaultSpec> parseFaultSpec(const std::string &text,
                                        std::string &error) {
  FaultSpec fault;
  std::istringstream in(text);
  std::string rank, index, kind = "throw";
  if (!std::getline(in, rank, ':') || !std::getline(in, index, ':') ||
      (std::getline(in, kind, ':') && !in.eof())) {
    error = "--inject-fault expects RANK:INDEX[:KIND], got '" + text + "'";
    return std::nullopt;
  }
  try {
    size_t used = 0;
    fault.rank = std::stoll(rank, &used);
    if (used != rank.size())
      throw std::invalid_argument(rank);
    fault.index = std::stoll(index, &used);
    if (used != index.size())
      throw std::invalid_argument(index);
  } catch (const std::exception &) {
    error = "--inject-fault expects integers RANK:INDEX, got '" + text + "'";
    return std::nullopt;
  }
  static const std::map<std::string, FaultSpec::Kind> kinds = {
      {"throw", FaultSpec::Kind::Throw},
      {"shape", FaultSpec::Kind::Shape},
      {"drop", FaultSpec::Kind::Drop},
      {"exit", FaultSpec::Kind::Exit}};
  auto it = kinds.find(kind);
  if (it == kinds.end()) {
    error = "--inject-fault kind must be throw, shape, drop or exit, got '" +
            kind + "'";
    return std::nullopt;
  }
  fault.kind = it->second;
  return fault;
}

const Instr *faultCompute(const Instr &instr) {
  if (instr.kind == InstrKind::Compute)
    return &instr;
  if (instr.kind == InstrKind::Overlap)
    for (const Instr &inner : instr.body)
      if (inner.kind == InstrKind::Compute)
        return &inner;
  return nullptr;
}

std::string checkFaultSpec(const FaultSpec &fault, const Program &program) {
  if (fault.rank < 0 || fault.rank >= program.placement.ranks)
    return "--inject-fault: rank " + std::to_string(fault.rank) +
           " out of range";
  const auto &list = program.ranks[fault.rank];
  if (fault.index < 0 || fault.index >= static_cast<int64_t>(list.size()))
    return "--inject-fault: rank " + std::to_string(fault.rank) + " has " +
           std::to_string(list.size()) + " instructions, no index " +
           std::to_string(fault.index);
  const Instr &instr = list[fault.index];
  const Instr *compute = faultCompute(instr);
  switch (fault.kind) {
  case FaultSpec::Kind::Drop:
    if (instr.kind != InstrKind::Send)
      return "--inject-fault drop needs a send instruction";
    break;
  case FaultSpec::Kind::Shape:
    if (!compute || !producedValue(compute->op, program.placement.stages))
      return "--inject-fault shape needs a compute whose output is a "
             "message (F before the last stage, B/I after the first)";
    break;
  case FaultSpec::Kind::Throw:
  case FaultSpec::Kind::Exit:
    break;
  }
  return "";
}

} // namespace dualpipe::runtime
