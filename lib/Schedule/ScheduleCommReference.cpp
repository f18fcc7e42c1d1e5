//===- ScheduleCommReference.cpp - The reference (DualPipe step()) policy ===//
//
// The reference policy replays the calls of deepseek-ai/DualPipe's step()
// (dualpipe.py and dualpipev.py share them): which receives and sends each
// chunk appends and where _commit_and_wait_comm() batches them. The rank's
// compute steps must follow that order, which is how the policy knows it
// applies.
//
//===----------------------------------------------------------------------===//

#include "ScheduleCommParts.h"

#include "dualpipe/Schedule/Dependencies.h"

#include <algorithm>
#include <array>
#include <functional>
#include <limits>
#include <unordered_map>

namespace dualpipe::detail {

namespace {

/// Phase 0 is the rank's own direction (DualPipe) or chunk 0 (DualPipeV).
enum class Call {
  RecvForward,     // _recv_forward(phase)
  RecvBackward,    // _recv_backward(phase)
  SendForward,     // _send_forward(phase)
  SendBackward,    // _send_backward(phase)
  Commit,          // _commit_and_wait_comm()
  Forward,         // _forward_compute_chunk(phase)
  Backward,        // _backward_compute_chunk(phase), B or I
  ForwardBackward, // _forward_backward_compute_chunk(phase, other)
  Weight,          // WeightGradStore.pop()
};

struct CallEntry {
  Call call;
  int phase = 0;
  int other = 0; // backward phase of ForwardBackward
};

/// The shape of one rank's step(): H half ranks, h its half rank, n chunks
/// per direction (DualPipeV: H = ranks, h = rank, n = chunks).
struct ReferenceShape {
  int64_t H = 0, h = 0, n = 0;
  bool middle = false;
  bool forwardOnly = false;
};

/// Steps 1-8 of step(), with the recv/send flags of the reference, fed one
/// call at a time to a sink that may stop the walk: a program far shorter
/// than its sizes claim is rejected after as many calls as it has steps.
class ReferenceScript {
public:
  using Sink = std::function<bool(const CallEntry &)>;
  ReferenceScript(const ReferenceShape &shape, Sink sink)
      : shape(shape), sink(std::move(sink)) {}

  /// False as soon as the sink refuses a call.
  bool run() {
    int64_t H = shape.H, h = shape.h;
    for (int64_t i = 0; ok && i < 2 * (H - h - 1); ++i)
      forwardChunk(0);
    push(Call::RecvForward, 0);
    for (int64_t i = 0; ok && i < h + 1; ++i) {
      forwardChunk(0, /*recv=*/false, /*send=*/shape.middle);
      push(Call::RecvForward, 0);
      forwardChunk(1, /*recv=*/true, /*send=*/!shape.middle || i < h);
      if (!shape.middle)
        push(Call::SendForward, 0);
    }
    for (int64_t i = 0; ok && i < H - h - 1; ++i) {
      backwardChunk(1);
      push(Call::RecvForward, 1);
      weightChunk();
      forwardChunk(1, /*recv=*/false);
    }
    for (int64_t i = 0; ok && i < shape.n - 2 * H + h + 1; ++i) {
      if (i == 0 && shape.middle) {
        // The reference does not overlap this pair, to shrink the bubble.
        forwardChunk(0, /*recv=*/false, /*send=*/false);
        push(Call::SendForward, 1);
        backwardChunk(1, /*recv=*/true, /*send=*/false);
        push(Call::SendForward, 0);
        pushBackward(Call::SendBackward, 1);
      } else {
        forwardBackwardChunk(0, 1, /*recvForward=*/i > 0);
      }
      forwardBackwardChunk(1, 0);
    }
    for (int64_t i = 0; ok && i < H - h - 1; ++i) {
      backwardChunk(1);
      forwardBackwardChunk(1, 0);
    }
    for (int64_t i = 0; ok && i < h + 1; ++i) {
      backwardChunk(1);
      backwardChunk(0);
    }
    for (int64_t i = 0; ok && i < H - h - 1; ++i) {
      weightChunk();
      backwardChunk(0);
    }
    for (int64_t i = 0; ok && i < h + 1; ++i)
      weightChunk();
    push(Call::Commit);
    return ok;
  }

private:
  void push(Call call, int phase = 0, int other = 0) {
    if (ok)
      ok = sink(CallEntry{call, phase, other});
  }
  /// Backward comm and compute vanish in an inference step.
  void pushBackward(Call call, int phase) {
    if (!shape.forwardOnly)
      push(call, phase);
  }

  void forwardChunk(int phase, bool recv = true, bool send = true) {
    if (recv)
      push(Call::RecvForward, phase);
    push(Call::Commit);
    push(Call::Forward, phase);
    if (send)
      push(Call::SendForward, phase);
  }

  void backwardChunk(int phase, bool recv = true, bool send = true) {
    if (recv)
      pushBackward(Call::RecvBackward, phase);
    push(Call::Commit);
    pushBackward(Call::Backward, phase);
    if (send)
      pushBackward(Call::SendBackward, phase);
  }

  void forwardBackwardChunk(int forward, int backward,
                            bool recvForward = true) {
    if (recvForward)
      push(Call::RecvForward, forward);
    pushBackward(Call::RecvBackward, backward);
    push(Call::Commit);
    if (shape.forwardOnly)
      push(Call::Forward, forward);
    else
      push(Call::ForwardBackward, forward, backward);
    push(Call::SendForward, forward);
    pushBackward(Call::SendBackward, backward);
  }

  void weightChunk() {
    if (shape.forwardOnly)
      return;
    push(Call::Commit);
    push(Call::Weight);
  }

  const ReferenceShape &shape;
  Sink sink;
  bool ok = true;
};

/// Turns one rank's call sequence into instructions: appended receives and
/// sends become asynchronous posts, each commit waits for everything posted
/// before it, right before the next compute step.
class ReferencePlacer {
public:
  ReferencePlacer(int64_t rank, RankParts &parts, const Placement &placement,
                  std::function<int(const ComputeOp &)> phaseOf,
                  int64_t &nextToken, Finding &error)
      : rank(rank), parts(parts), placement(placement),
        phaseOf(std::move(phaseOf)), nextToken(nextToken), error(error) {}

  std::optional<std::vector<Instr>> place(const ReferenceShape &shape) {
    indexPhases();
    indexComm();
    ReferenceScript script(
        shape, [this](const CallEntry &entry) { return apply(entry); });
    if (!script.run())
      return std::nullopt;
    if (nextStep != parts.steps.size()) {
      fail(parts.steps[nextStep], "step " + std::to_string(nextStep) + " (" +
                                      describeStep(parts.steps[nextStep]) +
                                      ") is beyond the dualpipe order");
      return std::nullopt;
    }
    if (!allCommPlaced())
      return std::nullopt;
    return std::move(out);
  }

private:
  bool fail(const Instr &at, std::string message) {
    error = findingAt(rank, at, "reference policy: " + std::move(message));
    return false;
  }

  static std::string describeStep(const Instr &step) {
    if (step.kind == InstrKind::Compute)
      return describe(step.op);
    std::string text = "overlap";
    for (const Instr &inner : step.body)
      text += " " + describe(inner.op);
    return text;
  }

  std::vector<ComputeOp> opsOf(const Instr &step) const {
    if (step.kind == InstrKind::Compute)
      return {step.op};
    std::vector<ComputeOp> ops;
    for (const Instr &inner : step.body)
      ops.push_back(inner.op);
    return ops;
  }

  /// Steps holding the forwards / backwards of each phase, in program order:
  /// the reference's per-phase chunk counters index these.
  void indexPhases() {
    for (size_t step = 0; step < parts.steps.size(); ++step)
      for (const ComputeOp &op : opsOf(parts.steps[step])) {
        if (op.kind == OpKind::W)
          continue;
        auto &list = op.kind == OpKind::F ? forwards : backwards;
        list[phaseOf(op)].push_back(Chunk{op, static_cast<int64_t>(step)});
      }
  }

  void indexComm() {
    for (size_t i = 0; i < parts.recvs.size(); ++i)
      recvsByKey[parts.recvs[i].recv.key].push_back(i);
    for (size_t i = 0; i < parts.sends.size(); ++i)
      sendsByKey[parts.sends[i].send.key].push_back(i);
  }

  struct Chunk {
    ComputeOp op;
    int64_t step = -1;
  };

  /// The next chunk of a phase for one of the four comm counters.
  const Chunk *nextChunk(bool forward, int phase, size_t &counter) {
    const std::vector<Chunk> &list = (forward ? forwards : backwards)[phase];
    return counter < list.size() ? &list[counter++] : nullptr;
  }

  bool apply(const CallEntry &entry) {
    switch (entry.call) {
    case Call::RecvForward:
      return receive(nextChunk(true, entry.phase, recvForward[entry.phase]));
    case Call::RecvBackward:
      return receive(nextChunk(false, entry.phase, recvBackward[entry.phase]));
    case Call::SendForward:
      return send(nextChunk(true, entry.phase, sendForward[entry.phase]));
    case Call::SendBackward:
      return send(nextChunk(false, entry.phase, sendBackward[entry.phase]));
    case Call::Commit:
      return commit();
    case Call::Forward:
    case Call::Backward:
    case Call::ForwardBackward:
    case Call::Weight:
      return compute(entry);
    }
    return true;
  }

  /// Takes the pooled comm of `chunk`'s value; none if it stays on the rank.
  static std::vector<size_t>
  takeComm(std::unordered_map<MsgKey, std::vector<size_t>, MsgKeyHash> &byKey,
           const std::optional<MsgKey> &key) {
    if (!key)
      return {};
    auto it = byKey.find(*key);
    if (it == byKey.end())
      return {};
    std::vector<size_t> taken = std::move(it->second);
    byKey.erase(it);
    return taken;
  }

  bool receive(const Chunk *chunk) {
    if (!chunk)
      return true;
    for (size_t i :
         takeComm(recvsByKey, consumedValue(chunk->op, placement.stages))) {
      PooledRecv &pooled = parts.recvs[i];
      pooled.recv.token = pooled.wait.token = nextToken++;
      pendingRecvs.push_back(i);
      unwaited.push_back(pooled.wait);
      placedRecvs++;
    }
    return true;
  }

  bool send(const Chunk *chunk) {
    if (!chunk)
      return true;
    for (size_t i :
         takeComm(sendsByKey, producedValue(chunk->op, placement.stages))) {
      Instr send = parts.sends[i].send;
      send.token = nextToken++;
      Instr wait;
      wait.kind = InstrKind::Wait;
      wait.token = send.token;
      unwaited.push_back(wait);
      placedSends++;
      // Issued right after the step that produced it, and after an overlap
      // region rather than inside it: its token is waited before the next
      // compute, outside the region, and a token cannot leave the region
      // that defines it.
      out.push_back(std::move(send));
    }
    return true;
  }

  bool commit() {
    if (commitPending)
      flushAtTopLevel();
    commitPending = true;
    committed = unwaited.size();
    return true;
  }

  /// A commit not followed by a compute (the final one, or an inference
  /// backward chunk) posts and waits where it stands.
  void flushAtTopLevel() {
    for (size_t i : pendingRecvs)
      out.push_back(parts.recvs[i].recv);
    pendingRecvs.clear();
    out.insert(out.end(), unwaited.begin(), unwaited.begin() + committed);
    unwaited.erase(unwaited.begin(), unwaited.begin() + committed);
    committed = 0;
    commitPending = false;
  }

  bool matches(const CallEntry &entry, const Instr &step) const {
    std::vector<ComputeOp> ops = opsOf(step);
    bool overlap = step.kind == InstrKind::Overlap;
    switch (entry.call) {
    case Call::Forward:
      return !overlap && ops[0].kind == OpKind::F &&
             phaseOf(ops[0]) == entry.phase;
    case Call::Backward:
      return !overlap && isInputGradOp(ops[0].kind) &&
             phaseOf(ops[0]) == entry.phase;
    case Call::ForwardBackward:
      return overlap && ops.size() == 2 && ops[0].kind == OpKind::F &&
             phaseOf(ops[0]) == entry.phase && isInputGradOp(ops[1].kind) &&
             phaseOf(ops[1]) == entry.other;
    case Call::Weight:
      return !overlap && ops[0].kind == OpKind::W;
    default:
      return false;
    }
  }

  static std::string expected(const CallEntry &entry) {
    std::string phase = " of phase " + std::to_string(entry.phase);
    switch (entry.call) {
    case Call::Forward:
      return "a forward" + phase;
    case Call::Backward:
      return "a backward" + phase;
    case Call::ForwardBackward:
      return "an overlapped forward" + phase + " and backward of phase " +
             std::to_string(entry.other);
    default:
      return "a weight gradient";
    }
  }

  /// Without overlapped modules the reference runs a pair as F then B under
  /// one commit; a non-overlapped schedule has them as two plain steps.
  bool isSplitPair(const CallEntry &entry) const {
    if (entry.call != Call::ForwardBackward ||
        nextStep + 1 >= parts.steps.size())
      return false;
    return matches(CallEntry{Call::Forward, entry.phase, 0},
                   parts.steps[nextStep]) &&
           matches(CallEntry{Call::Backward, entry.other, 0},
                   parts.steps[nextStep + 1]);
  }

  bool compute(const CallEntry &entry) {
    if (nextStep >= parts.steps.size())
      return fail(parts.steps.empty() ? Instr() : parts.steps.back(),
                  "the dualpipe order expects " + expected(entry) +
                      " after the last step");
    size_t count = isSplitPair(entry) ? 2 : 1;
    if (count == 1 && !matches(entry, parts.steps[nextStep]))
      return fail(parts.steps[nextStep],
                  "step " + std::to_string(nextStep) + " is " +
                      describeStep(parts.steps[nextStep]) +
                      ", the dualpipe order expects " + expected(entry));
    emitStep(parts.steps[nextStep], static_cast<int64_t>(nextStep));
    if (count == 2)
      emitStep(parts.steps[nextStep + 1], static_cast<int64_t>(nextStep + 1));
    nextStep += count;
    return true;
  }

  /// Pending posts go right before the step (its own inside an overlap),
  /// then the waits of the last commit.
  void emitStep(Instr step, int64_t index) {
    bool overlap = step.kind == InstrKind::Overlap;
    std::vector<Instr> before;
    for (size_t i : pendingRecvs) {
      bool own = overlap && parts.recvs[i].consumer == index;
      (own ? before : out).push_back(parts.recvs[i].recv);
    }
    pendingRecvs.clear();
    if (commitPending) {
      before.insert(before.end(), unwaited.begin(),
                    unwaited.begin() + committed);
      unwaited.erase(unwaited.begin(), unwaited.begin() + committed);
      committed = 0;
      commitPending = false;
    }
    if (overlap) {
      before.insert(before.end(), step.body.begin(), step.body.end());
      step.body = std::move(before);
    } else {
      out.insert(out.end(), before.begin(), before.end());
    }
    out.push_back(std::move(step));
  }

  /// The first pooled comm that no chunk took.
  static size_t firstLeft(const std::unordered_map<MsgKey, std::vector<size_t>,
                                                   MsgKeyHash> &byKey) {
    size_t first = std::numeric_limits<size_t>::max();
    for (const auto &entry : byKey)
      for (size_t i : entry.second)
        first = std::min(first, i);
    return first;
  }

  bool allCommPlaced() {
    if (commitPending || !unwaited.empty() || !pendingRecvs.empty()) {
      committed = unwaited.size();
      commitPending = true;
      flushAtTopLevel();
    }
    if (placedRecvs != parts.recvs.size())
      return fail(parts.recvs[firstLeft(recvsByKey)].recv,
                  "a recv does not belong to any chunk of the dualpipe order");
    if (placedSends != parts.sends.size())
      return fail(parts.sends[firstLeft(sendsByKey)].send,
                  "a send does not belong to any chunk of the dualpipe order");
    return true;
  }

  int64_t rank;
  RankParts &parts;
  const Placement &placement;
  std::function<int(const ComputeOp &)> phaseOf;
  int64_t &nextToken;
  Finding &error;

  std::array<std::vector<Chunk>, 2> forwards, backwards;
  std::array<size_t, 2> recvForward{}, recvBackward{}, sendForward{},
      sendBackward{};
  std::unordered_map<MsgKey, std::vector<size_t>, MsgKeyHash> recvsByKey,
      sendsByKey;

  std::vector<Instr> out;
  size_t nextStep = 0;
  std::vector<size_t> pendingRecvs;
  std::vector<Instr> unwaited; // waits for posted tokens, in post order
  size_t committed = 0;        // how many of `unwaited` the last commit took
  bool commitPending = false;
  size_t placedRecvs = 0, placedSends = 0;
};

bool hasBackward(const std::vector<RankParts> &ranks) {
  for (const RankParts &parts : ranks)
    for (const Instr &step : parts.steps) {
      if (step.kind == InstrKind::Compute && step.op.kind != OpKind::F)
        return true;
      for (const Instr &inner : step.body)
        if (inner.op.kind != OpKind::F)
          return true;
    }
  return false;
}

/// Sizes the reference's step() asserts, as an error message.
std::string checkReferenceSizes(ScheduleKind kind, const Placement &placement) {
  int64_t ranks = placement.ranks, chunks = placement.microbatches;
  std::string name(toString(kind));
  if (kind == ScheduleKind::DualPipe && ranks % 2 != 0)
    return name + " needs an even number of ranks, got " +
           std::to_string(ranks);
  if (kind == ScheduleKind::DualPipe && chunks % 2 != 0)
    return name + " needs an even number of microbatches, got " +
           std::to_string(chunks);
  if (chunks < 2 * ranks)
    return name + " needs at least 2 x ranks (" + std::to_string(2 * ranks) +
           ") microbatches, got " + std::to_string(chunks);
  return "";
}

} // namespace

std::optional<std::vector<std::vector<Instr>>>
placeReference(const Program &program, std::vector<RankParts> &ranks,
               Finding &error) {
  if (!program.kind || (*program.kind != ScheduleKind::DualPipe &&
                        *program.kind != ScheduleKind::DualPipeV)) {
    error.message =
        "the reference policy applies to dualpipe and dualpipev only, got " +
        (program.kind ? std::string(toString(*program.kind))
                      : std::string("a schedule of unknown kind"));
    return std::nullopt;
  }
  ScheduleKind kind = *program.kind;
  const Placement &placement = program.placement;
  if (placement.kind != placementFor(kind) || !placement.checkSizes().empty() ||
      static_cast<int64_t>(ranks.size()) != placement.ranks) {
    error.message = "the reference policy needs a valid " +
                    std::string(toString(placementFor(kind))) +
                    " placement and one program per rank";
    return std::nullopt;
  }
  if (std::string sizes = checkReferenceSizes(kind, placement);
      !sizes.empty()) {
    error.message = "the reference policy: " + sizes;
    return std::nullopt;
  }
  bool dual = kind == ScheduleKind::DualPipe;
  bool forwardOnly = !hasBackward(ranks);
  int64_t P = placement.ranks;
  int64_t nextToken = 0;
  std::vector<std::vector<Instr>> placed;
  for (int64_t rank = 0; rank < P; ++rank) {
    ReferenceShape shape;
    shape.H = dual ? P / 2 : P;
    shape.h = dual ? std::min(rank, P - 1 - rank) : rank;
    shape.n = dual ? placement.microbatches / 2 : placement.microbatches;
    shape.middle = shape.h == shape.H - 1;
    shape.forwardOnly = forwardOnly;
    int64_t ownDirection = rank < P / 2 ? 0 : 1;
    auto phaseOf = [&placement, dual, ownDirection, P](const ComputeOp &op) {
      if (dual)
        return placement.direction(op.mb) == ownDirection ? 0 : 1;
      return op.stage < P ? 0 : 1;
    };
    ReferencePlacer placer(rank, ranks[rank], placement, phaseOf, nextToken,
                           error);
    std::optional<std::vector<Instr>> instrs = placer.place(shape);
    if (!instrs)
      return std::nullopt;
    placed.push_back(std::move(*instrs));
  }
  return placed;
}

} // namespace dualpipe::detail
