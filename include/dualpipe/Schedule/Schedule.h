//===- Schedule.h - MLIR-free model of pipeline schedules -------*- C++ -*-===//
//
// The algorithms of dualpipe (generation, comm insertion, verification,
// simulation, interop) work on this plain C++ model so that they can be unit
// tested, benchmarked and reused without MLIR. The pipe dialect converts to and
// from it (lib/Dialect/Pipe/IR/ScheduleModel.cpp) and keeps a per-instruction
// `origin` so that every finding becomes a diagnostic at the right op.
//
//===----------------------------------------------------------------------===//
#ifndef DUALPIPE_SCHEDULE_SCHEDULE_H
#define DUALPIPE_SCHEDULE_SCHEDULE_H

#include "dualpipe/Schedule/Finding.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dualpipe {

/// Schedule families. Spelling in IR, options and docs: see toString().
enum class ScheduleKind {
  DualPipe,        // "dualpipe"
  DualPipeV,       // "dualpipev"
  OneFOneB,        // "1f1b"
  Interleaved1F1B, // "interleaved-1f1b"
  ZBH1,            // "zb-h1"
  ZBV,             // "zbv"
  GPipe,           // "gpipe"
  Auto,            // "auto": searched for the costs and the memory budget
};
std::string_view toString(ScheduleKind kind);
std::optional<ScheduleKind> parseScheduleKind(std::string_view text);
/// The fixed kinds, in declaration order (every kind but auto, which is
/// searched and may use any of several placements).
const std::vector<ScheduleKind> &allScheduleKinds();

/// Where stages live.
///  standard:    stage s on rank s                   (stages == ranks)
///  interleaved: stage s on rank s mod P             (stages == ranks * v)
///  v:           stage s on rank min(s, 2P-1-s)      (stages == 2 * ranks)
///  dual:        DualPipe; stage s on rank s for direction 0 (micro-batches
///               0..N/2-1) and on rank P-1-s for direction 1 (N/2..N-1); the
///               two copies are mirrors                (stages == ranks)
enum class PlacementKind { Standard, Interleaved, V, Dual };
std::string_view toString(PlacementKind kind);
std::optional<PlacementKind> parsePlacementKind(std::string_view text);
/// The placement a fixed kind uses; auto's stages are counted as standard
/// (one per rank) before the search picks its placement.
PlacementKind placementFor(ScheduleKind kind);
/// Whether a schedule of `kind` may use `placement`: the fixed kinds only
/// their own, auto any of them.
bool allowsPlacement(ScheduleKind kind, PlacementKind placement);

struct Placement {
  PlacementKind kind = PlacementKind::Standard;
  int64_t ranks = 0;
  int64_t stages = 0;
  int64_t microbatches = 0;

  /// The rank that executes (stage, mb). Requires both in range.
  int64_t rankOf(int64_t stage, int64_t mb) const;
  /// True if `rank` holds a copy of `stage` (for dual: either direction).
  bool holds(int64_t rank, int64_t stage) const;
  /// Stages held by `rank`, ascending.
  std::vector<int64_t> stagesOn(int64_t rank) const;
  /// DualPipe direction of a micro-batch (0 or 1); 0 for other placements.
  int64_t direction(int64_t mb) const;
  /// Empty if the sizes are consistent with the kind, else the reason.
  std::string checkSizes() const;
};

/// Compute operations. B is a full backward (input and weight gradient);
/// I is backward-for-input, W backward-for-weight (zero-bubble split).
enum class OpKind { F, B, I, W };
char toChar(OpKind kind); // 'F','B','I','W'

struct ComputeOp {
  OpKind kind = OpKind::F;
  int64_t stage = 0;
  int64_t mb = 0;
  friend bool operator==(const ComputeOp &a, const ComputeOp &b) {
    return a.kind == b.kind && a.stage == b.stage && a.mb == b.mb;
  }
  friend bool operator!=(const ComputeOp &a, const ComputeOp &b) {
    return !(a == b);
  }
};

/// One entry of a level-2 rank program: a single compute op, or an overlapped
/// pair (a forward and a backward-family op run concurrently).
struct Step {
  ComputeOp first;
  std::optional<ComputeOp> second; // set => overlapped pair (first is F)
  int64_t origin = -1;             // opaque back-reference (IR op index)
  bool isOverlap() const { return second.has_value(); }
};

/// Where a schedule's stage boundaries lie in the model, when not at even
/// shares of its rank-sized chunks (kind=auto on unequal chunks). The model
/// is a sequence of units, chunk c holding the next chunkUnits[c] (its
/// layers when the pipeline fixes a layout); stage s holds the next
/// stageUnits[s]. Both sum to the same total, every entry >= 1.
struct StageCut {
  std::vector<int64_t> chunkUnits;
  std::vector<int64_t> stageUnits;
  bool empty() const { return stageUnits.empty(); }
  /// Empty if the cut is consistent with `stages` stages and `chunks`
  /// chunks, else the reason.
  std::string check(int64_t chunks, int64_t stages) const;
};

/// Level 2: compute only, one program per rank.
struct Schedule {
  std::optional<ScheduleKind> kind; // unknown for imported schedules
  Placement placement;
  std::vector<std::vector<Step>> ranks; // ranks[r] = program of rank r
  /// Empty: every rank-sized chunk is cut into equal stages (splitStages).
  StageCut cut;
};

//===----------------------------------------------------------------------===//
// Level 3: explicit communication.
//===----------------------------------------------------------------------===//

/// Activation: output of F(stage, mb), consumed by F(stage+1, mb).
/// Gradient: input gradient produced by B/I(stage, mb), consumed by
/// B/I(stage-1, mb). `stage` is always the PRODUCER's stage, so a send and its
/// recv carry equal keys.
enum class MsgKind { Activation, Gradient };
std::string_view toString(MsgKind kind); // "activation", "grad"

struct MsgKey {
  MsgKind kind = MsgKind::Activation;
  int64_t stage = 0;
  int64_t mb = 0;
  friend bool operator==(const MsgKey &a, const MsgKey &b) {
    return a.kind == b.kind && a.stage == b.stage && a.mb == b.mb;
  }
  friend bool operator!=(const MsgKey &a, const MsgKey &b) { return !(a == b); }
  friend bool operator<(const MsgKey &a, const MsgKey &b) {
    if (a.kind != b.kind)
      return a.kind < b.kind;
    if (a.stage != b.stage)
      return a.stage < b.stage;
    return a.mb < b.mb;
  }
};

/// Semantics (shared by verifier, simulator and runtime):
///  Recv  posts a receive; never blocks; defines token `token`.
///  Send  without token (token < 0): blocks until the peer has POSTED the
///        matching Recv (rendezvous). With a token: posts an asynchronous
///        send that completes at that rendezvous; a Wait on it blocks until
///        then.
///  Wait  blocks until its token completes (recv: the matching send has been
///        issued; send: the matching recv has been posted).
///  Compute runs its op. Overlap runs its body as one unit: its comm in
///        order, and its two compute ops concurrently.
enum class InstrKind { Compute, Send, Recv, Wait, Overlap };

struct Instr {
  InstrKind kind = InstrKind::Compute;
  ComputeOp op;            // Compute
  MsgKey key;              // Send, Recv
  int64_t peer = -1;       // Send: destination rank; Recv: source rank
  int64_t token = -1;      // Recv/async Send: defined token; Wait: used
  std::vector<Instr> body; // Overlap
  int64_t origin = -1;     // opaque back-reference (IR op index)
};

/// Level 3: one instruction list per rank. Token ids are unique per program.
struct Program {
  std::optional<ScheduleKind> kind;
  Placement placement;
  std::vector<std::vector<Instr>> ranks;
};

} // namespace dualpipe

#endif // DUALPIPE_SCHEDULE_SCHEDULE_H
