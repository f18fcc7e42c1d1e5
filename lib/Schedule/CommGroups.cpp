//===- CommGroups.cpp - Post groups under in-order channel semantics ------===//

#include "dualpipe/Schedule/CommGroups.h"

namespace dualpipe {

namespace {
bool isMessage(const FlatInstr &flat) {
  return flat.instr->kind == InstrKind::Send ||
         flat.instr->kind == InstrKind::Recv;
}
} // namespace

std::vector<CommGroup> commGroups(const std::vector<FlatInstr> &flat) {
  std::vector<CommGroup> groups;
  const int64_t size = static_cast<int64_t>(flat.size());
  for (int64_t i = 0; i < size;) {
    if (!isMessage(flat[i])) {
      ++i;
      continue;
    }
    CommGroup group{i, i};
    while (group.end < size && isMessage(flat[group.end]))
      ++group.end;
    groups.push_back(group);
    i = group.end;
  }
  return groups;
}

} // namespace dualpipe
