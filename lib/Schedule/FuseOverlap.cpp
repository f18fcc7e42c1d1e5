//===- FuseOverlap.cpp - pipe-fuse-overlap --------------------------------===//
//
// An overlapped pair is one unit for the runtime: it posts and waits the
// pair's inputs, runs both computations concurrently, then sends their
// outputs. Moving only the comm that directly surrounds an overlap keeps the
// flattened execution order intact, so fusing can neither create nor remove a
// deadlock, and a second run finds nothing left to move.
//
//===----------------------------------------------------------------------===//

#include "dualpipe/Schedule/Dependencies.h"
#include "dualpipe/Schedule/Lower.h"

#include <algorithm>
#include <iterator>
#include <unordered_map>

namespace dualpipe {

namespace {

/// Keys a Recv defines per token, over the whole rank (bodies included), so a
/// Wait can be traced to the value it waits for.
std::unordered_map<int64_t, MsgKey>
recvKeysByToken(const std::vector<Instr> &instrs) {
  std::unordered_map<int64_t, MsgKey> keys;
  auto record = [&](const Instr &instr) {
    if (instr.kind == InstrKind::Recv && instr.token >= 0)
      keys.emplace(instr.token, instr.key);
  };
  for (const Instr &instr : instrs) {
    record(instr);
    for (const Instr &inner : instr.body)
      record(inner);
  }
  return keys;
}

struct OverlapValues {
  std::vector<MsgKey> consumed;
  std::vector<MsgKey> produced;

  bool consumes(const MsgKey &key) const {
    return std::find(consumed.begin(), consumed.end(), key) != consumed.end();
  }
  bool produces(const MsgKey &key) const {
    return std::find(produced.begin(), produced.end(), key) != produced.end();
  }
};

OverlapValues valuesOf(const Instr &overlap, int64_t stages) {
  OverlapValues values;
  for (const Instr &inner : overlap.body) {
    if (inner.kind != InstrKind::Compute)
      continue;
    if (std::optional<MsgKey> key = consumedValue(inner.op, stages))
      values.consumed.push_back(*key);
    if (std::optional<MsgKey> key = producedValue(inner.op, stages))
      values.produced.push_back(*key);
  }
  return values;
}

class OverlapFuser {
public:
  OverlapFuser(const std::vector<Instr> &instrs, int64_t stages)
      : recvKeys(recvKeysByToken(instrs)), stages(stages) {}

  std::vector<Instr> fuse(std::vector<Instr> instrs) {
    std::vector<Instr> out;
    out.reserve(instrs.size());
    // Index in `out` of the overlap whose trailing sends are being absorbed.
    std::optional<size_t> open;
    OverlapValues openValues;
    for (Instr &instr : instrs) {
      if (open && instr.kind == InstrKind::Send &&
          openValues.produces(instr.key)) {
        out[*open].body.push_back(std::move(instr));
        continue;
      }
      open.reset();
      if (instr.kind != InstrKind::Overlap) {
        out.push_back(std::move(instr));
        continue;
      }
      openValues = valuesOf(instr, stages);
      absorbPrecedingInputs(out, instr, openValues);
      out.push_back(std::move(instr));
      open = out.size() - 1;
    }
    return out;
  }

private:
  bool feeds(const Instr &instr, const OverlapValues &values) const {
    if (instr.kind == InstrKind::Recv)
      return values.consumes(instr.key);
    if (instr.kind != InstrKind::Wait)
      return false;
    auto it = recvKeys.find(instr.token);
    return it != recvKeys.end() && values.consumes(it->second);
  }

  /// Moves the run of posts and waits for the overlap's inputs that ends
  /// right before it to the front of its body, in order.
  void absorbPrecedingInputs(std::vector<Instr> &out, Instr &overlap,
                             const OverlapValues &values) const {
    size_t begin = out.size();
    while (begin > 0 && feeds(out[begin - 1], values))
      --begin;
    if (begin == out.size())
      return;
    overlap.body.insert(overlap.body.begin(),
                        std::make_move_iterator(out.begin() + begin),
                        std::make_move_iterator(out.end()));
    out.erase(out.begin() + begin, out.end());
  }

  std::unordered_map<int64_t, MsgKey> recvKeys;
  int64_t stages;
};

} // namespace

void fuseOverlap(Program &program) {
  for (std::vector<Instr> &instrs : program.ranks) {
    OverlapFuser fuser(instrs, program.placement.stages);
    instrs = fuser.fuse(std::move(instrs));
  }
}

} // namespace dualpipe
