//===- VerifyCompute.cpp - Level-2 checks: completeness, order, cycles ----===//
//
// Works on the compute ops alone, so it serves both levels: verifyProgram
// runs it on the compute skeleton of a program. Every (stage, mb) gets a dense
// slot (the sizes are bounded like the generators'), which keeps every check
// linear in the number of ops plus stages x micro-batches.
//
//===----------------------------------------------------------------------===//

#include "dualpipe/Schedule/Dependencies.h"
#include "dualpipe/Schedule/Generate.h"
#include "dualpipe/Schedule/Verify.h"

#include <array>
#include <unordered_map>

namespace dualpipe {

namespace {

/// One compute op of the schedule with its position.
struct Entry {
  ComputeOp op;
  int64_t rank = 0;
  int64_t step = 0;
  int64_t slotInStep = 0; // 0 for a plain step or the F of a pair, 1 else
  bool overlap = false;
  int64_t origin = -1;
  bool valid = true; // stage and mb in range

  InstrRef where() const {
    if (overlap)
      return InstrRef{rank, {step, slotInStep}};
    return InstrRef{rank, {step}};
  }
};

constexpr int kOpKinds = 4;
int kindIndex(OpKind kind) { return static_cast<int>(kind); }

/// Occurrences of the four ops of one (stage, mb).
struct Slot {
  std::array<int32_t, kOpKinds> first = {-1, -1, -1, -1};
  std::array<int32_t, kOpKinds> count = {0, 0, 0, 0};

  int32_t firstOf(OpKind kind) const { return first[kindIndex(kind)]; }
  int32_t countOf(OpKind kind) const { return count[kindIndex(kind)]; }
  /// The op that produced the input gradient: B, else I.
  int32_t inputGradProducer() const {
    return firstOf(OpKind::B) >= 0 ? firstOf(OpKind::B) : firstOf(OpKind::I);
  }
};

/// Which value of a slot a waiting op needs (executability simulation).
enum class Produced : uint8_t {
  Forward = 1,
  InputGrad = 2,
  InputGradOnlyI = 4
};

class ComputeChecker {
public:
  ComputeChecker(const Schedule &schedule, const VerifyOptions &options)
      : schedule(schedule), placement(schedule.placement), options(options) {}

  std::vector<Finding> run() {
    if (!checkSizes())
      return std::move(findings);
    collectEntries();
    indexSlots();
    checkCompleteness();
    checkLocalOrder();
    if (options.executability)
      checkExecutability();
    return std::move(findings);
  }

private:
  bool full() const { return findings.size() >= options.maxFindings; }

  void report(std::string message, InstrRef where, int64_t origin,
              std::vector<Finding::Note> notes = {}) {
    if (full())
      return;
    findings.push_back(Finding{std::move(message), std::move(where), origin,
                               std::move(notes)});
  }
  void report(std::string message, const Entry &at,
              std::vector<Finding::Note> notes = {}) {
    report(rankPrefix(at.rank) + message, at.where(), at.origin,
           std::move(notes));
  }
  Finding::Note noteAt(const Entry &entry, std::string message) const {
    return Finding::Note{std::move(message), entry.where(), entry.origin};
  }

  //===--------------------------------------------------------------------===//
  // Sizes
  //===--------------------------------------------------------------------===//

  bool checkSizes() {
    std::string invalid = placement.checkSizes();
    if (!invalid.empty()) {
      report("invalid placement: " + invalid, InstrRef{}, -1);
      return false;
    }
    if (static_cast<int64_t>(schedule.ranks.size()) != placement.ranks) {
      report("schedule has " + std::to_string(schedule.ranks.size()) +
                 " rank programs but the placement has " +
                 std::to_string(placement.ranks) + " ranks",
             InstrRef{}, -1);
      return false;
    }
    if (schedule.kind && !allowsPlacement(*schedule.kind, placement.kind))
      report("schedule kind " + std::string(toString(*schedule.kind)) +
                 " needs a " +
                 std::string(toString(placementFor(*schedule.kind))) +
                 " placement, got " + std::string(toString(placement.kind)),
             InstrRef{}, -1);
    return true;
  }

  //===--------------------------------------------------------------------===//
  // Per-op checks: range, overlap shape, placement
  //===--------------------------------------------------------------------===//

  void collectEntries() {
    for (int64_t rank = 0; rank < placement.ranks; ++rank) {
      const std::vector<Step> &steps = schedule.ranks[rank];
      for (int64_t index = 0; index < static_cast<int64_t>(steps.size());
           ++index) {
        const Step &step = steps[index];
        addEntry(step.first, rank, index, 0, step);
        if (step.second)
          addEntry(*step.second, rank, index, 1, step);
      }
    }
  }

  void addEntry(const ComputeOp &op, int64_t rank, int64_t step,
                int64_t slotInStep, const Step &from) {
    Entry entry{op, rank, step, slotInStep, from.isOverlap(), from.origin};
    entry.valid = inRange(placement, op);
    entries.push_back(entry);
    checkOp(entries.back());
  }

  /// A dual placement holds every stage on two ranks; which one runs the op
  /// depends on its micro-batch's direction, so the message names it.
  std::string directionNote(const ComputeOp &op) const {
    if (placement.kind != PlacementKind::Dual)
      return "";
    return " (direction " + std::to_string(placement.direction(op.mb)) + ")";
  }

  void checkOp(const Entry &entry) {
    if (!entry.valid) {
      report(describe(entry.op) + " is out of range (" +
                 std::to_string(placement.stages) + " stages, " +
                 std::to_string(placement.microbatches) + " microbatches)",
             entry);
      return;
    }
    if (entry.overlap)
      checkOverlapShape(entry);
    int64_t expected = placement.rankOf(entry.op.stage, entry.op.mb);
    if (expected != entry.rank)
      report(describe(entry.op) + " belongs on rank " +
                 std::to_string(expected) + directionNote(entry.op),
             entry);
  }

  void checkOverlapShape(const Entry &entry) {
    if (entry.slotInStep == 0 && entry.op.kind != OpKind::F)
      report("overlap must start with a forward, got " + describe(entry.op),
             entry);
    if (entry.slotInStep > 0 && entry.op.kind == OpKind::F)
      report("overlap must pair its forward with a backward (B, I or W), "
             "got " +
                 describe(entry.op),
             entry);
  }

  //===--------------------------------------------------------------------===//
  // Completeness
  //===--------------------------------------------------------------------===//

  size_t slotIndex(int64_t stage, int64_t mb) const {
    return static_cast<size_t>(stage * placement.microbatches + mb);
  }
  const Slot &slotOf(int64_t stage, int64_t mb) const {
    return slots[slotIndex(stage, mb)];
  }

  void indexSlots() {
    slots.assign(static_cast<size_t>(placement.stages * placement.microbatches),
                 Slot{});
    for (size_t id = 0; id < entries.size(); ++id) {
      const Entry &entry = entries[id];
      if (!entry.valid)
        continue;
      hasBackward |= entry.op.kind != OpKind::F;
      Slot &slot = slots[slotIndex(entry.op.stage, entry.op.mb)];
      int kind = kindIndex(entry.op.kind);
      if (slot.count[kind]++ == 0) {
        slot.first[kind] = static_cast<int32_t>(id);
        continue;
      }
      const Entry &first = entries[slot.first[kind]];
      report("duplicate " + describe(entry.op), entry,
             {noteAt(first, "first " + describe(entry.op) + " is here")});
    }
  }

  void reportMissing(const ComputeOp &op) {
    int64_t rank = placement.rankOf(op.stage, op.mb);
    report(rankPrefix(rank) + describe(op) + " is missing", InstrRef{rank, {}},
           -1);
  }

  void checkCompleteness() {
    for (int64_t stage = 0; stage < placement.stages && !full(); ++stage)
      for (int64_t mb = 0; mb < placement.microbatches && !full(); ++mb)
        checkSlot(stage, mb);
  }

  void checkSlot(int64_t stage, int64_t mb) {
    const Slot &slot = slotOf(stage, mb);
    auto op = [&](OpKind kind) { return ComputeOp{kind, stage, mb}; };
    if (slot.countOf(OpKind::F) == 0)
      reportMissing(op(OpKind::F));
    // An inference schedule has no backward at all; a training schedule
    // needs one per (stage, mb).
    if (!hasBackward)
      return;
    bool b = slot.countOf(OpKind::B) > 0, i = slot.countOf(OpKind::I) > 0,
         w = slot.countOf(OpKind::W) > 0;
    if (b && (i || w)) {
      OpKind split = i ? OpKind::I : OpKind::W;
      const Entry &other = entries[slot.firstOf(split)];
      report(describe(op(OpKind::B)) + " together with " + describe(op(split)),
             entries[slot.firstOf(OpKind::B)],
             {noteAt(other, describe(op(split)) + " is here")});
    } else if (!b && !i && !w) {
      reportMissing(op(OpKind::B));
    } else if (i && !w) {
      report(describe(op(OpKind::I)) + " has no " + describe(op(OpKind::W)),
             entries[slot.firstOf(OpKind::I)]);
    } else if (w && !i) {
      report(describe(op(OpKind::W)) + " without " + describe(op(OpKind::I)),
             entries[slot.firstOf(OpKind::W)]);
    }
  }

  //===--------------------------------------------------------------------===//
  // Local order
  //===--------------------------------------------------------------------===//

  /// First occurrences of the ops `entry` needs (-1 where absent).
  std::array<int32_t, 2> producersOf(const Entry &entry) const {
    std::array<int32_t, 2> producers = {-1, -1};
    if (std::optional<ComputeOp> local = localPrerequisite(entry.op))
      producers[0] = slotOf(local->stage, local->mb).firstOf(local->kind);
    if (std::optional<MsgKey> key = consumedValue(entry.op, placement.stages)) {
      const Slot &slot = slotOf(key->stage, key->mb);
      producers[1] = key->kind == MsgKind::Activation
                         ? slot.firstOf(OpKind::F)
                         : slot.inputGradProducer();
    }
    return producers;
  }

  void checkLocalOrder() {
    for (const Entry &entry : entries) {
      if (full())
        return;
      if (!entry.valid)
        continue;
      for (int32_t producerId : producersOf(entry)) {
        if (producerId < 0)
          continue;
        const Entry &producer = entries[producerId];
        if (producer.rank != entry.rank || producer.step < entry.step)
          continue;
        std::string relation = producer.step == entry.step
                                   ? " runs in the same overlap as "
                                   : " runs before ";
        report(describe(entry.op) + relation + describe(producer.op), entry,
               {noteAt(producer, describe(producer.op) + " is here")});
      }
    }
  }

  //===--------------------------------------------------------------------===//
  // Executability: run every rank as far as its cross-rank inputs allow
  //===--------------------------------------------------------------------===//

  struct Need {
    int32_t producer = -1; // entry id of the op to wait for
    size_t slot = 0;
    Produced value = Produced::Forward;
  };

  /// The cross-rank inputs of `entry`. Same-rank inputs are the local order
  /// check's business and absent producers completeness's; neither blocks.
  std::vector<Need> crossRankNeeds(const Entry &entry) const {
    std::vector<Need> needs;
    auto add = [&](int32_t producer, size_t slot, Produced value) {
      if (producer >= 0 && entries[producer].rank != entry.rank)
        needs.push_back(Need{producer, slot, value});
    };
    if (std::optional<ComputeOp> local = localPrerequisite(entry.op)) {
      size_t slot = slotIndex(local->stage, local->mb);
      bool forward = local->kind == OpKind::F;
      add(slots[slot].firstOf(local->kind), slot,
          forward ? Produced::Forward : Produced::InputGradOnlyI);
    }
    if (std::optional<MsgKey> key = consumedValue(entry.op, placement.stages)) {
      size_t slot = slotIndex(key->stage, key->mb);
      if (key->kind == MsgKind::Activation)
        add(slots[slot].firstOf(OpKind::F), slot, Produced::Forward);
      else
        add(slots[slot].inputGradProducer(), slot, Produced::InputGrad);
    }
    return needs;
  }

  static uint64_t conditionKey(size_t slot, Produced value) {
    return static_cast<uint64_t>(slot) * 8 + static_cast<uint64_t>(value);
  }

  bool isDone(const Need &need) const {
    return done[need.slot] & static_cast<uint8_t>(need.value);
  }

  void markDone(const Entry &entry) {
    size_t slot = slotIndex(entry.op.stage, entry.op.mb);
    auto produce = [&](Produced value) {
      done[slot] |= static_cast<uint8_t>(value);
      auto it = waiters.find(conditionKey(slot, value));
      if (it == waiters.end())
        return;
      for (int64_t rank : it->second)
        ready.push_back(rank);
      waiters.erase(it);
    };
    if (entry.op.kind == OpKind::F)
      produce(Produced::Forward);
    if (isInputGradOp(entry.op.kind))
      produce(Produced::InputGrad);
    if (entry.op.kind == OpKind::I)
      produce(Produced::InputGradOnlyI);
  }

  /// Runs `rank` until it finishes or a step needs something not yet done.
  void advance(int64_t rank) {
    const std::vector<int32_t> &ops = rankEntries[rank];
    size_t &next = cursor[rank];
    while (next < ops.size()) {
      size_t end = next;
      while (end < ops.size() &&
             entries[ops[end]].step == entries[ops[next]].step)
        ++end;
      for (size_t k = next; k < end; ++k)
        for (const Need &need : crossRankNeeds(entries[ops[k]]))
          if (!isDone(need)) {
            blockedAt[rank] = ops[k];
            blockedOn[rank] = need.producer;
            waiters[conditionKey(need.slot, need.value)].push_back(rank);
            return;
          }
      for (size_t k = next; k < end; ++k)
        markDone(entries[ops[k]]);
      next = end;
    }
  }

  void checkExecutability() {
    if (full())
      return;
    rankEntries.assign(placement.ranks, {});
    for (size_t id = 0; id < entries.size(); ++id)
      if (entries[id].valid)
        rankEntries[entries[id].rank].push_back(static_cast<int32_t>(id));
    cursor.assign(placement.ranks, 0);
    blockedAt.assign(placement.ranks, -1);
    blockedOn.assign(placement.ranks, -1);
    done.assign(slots.size(), 0);
    for (int64_t rank = placement.ranks - 1; rank >= 0; --rank)
      ready.push_back(rank);
    while (!ready.empty()) {
      int64_t rank = ready.back();
      ready.pop_back();
      advance(rank);
    }
    for (int64_t rank = 0; rank < placement.ranks; ++rank)
      if (cursor[rank] < rankEntries[rank].size()) {
        reportCycle(rank);
        return;
      }
  }

  /// Every blocked rank waits on an op of a rank that has not reached it, so
  /// following the waits from any blocked rank ends in a cycle.
  void reportCycle(int64_t start) {
    std::vector<int64_t> cycle =
        waitCycle(start, placement.ranks,
                  [&](int64_t rank) { return entries[blockedOn[rank]].rank; });
    std::string message = "deadlock: ";
    std::vector<Finding::Note> notes;
    for (size_t k = 0; k < cycle.size(); ++k) {
      const Entry &at = entries[blockedAt[cycle[k]]];
      const Entry &on = entries[blockedOn[cycle[k]]];
      message += (k ? ", rank " : "rank ") + std::to_string(at.rank) +
                 " waits at " + describe(at.op) + " for " + describe(on.op) +
                 " on rank " + std::to_string(on.rank);
      notes.push_back(
          noteAt(at, "rank " + std::to_string(at.rank) + " is blocked here"));
    }
    const Entry &first = entries[blockedAt[cycle.front()]];
    report(std::move(message), first.where(), first.origin, std::move(notes));
  }

  const Schedule &schedule;
  const Placement &placement;
  const VerifyOptions &options;
  std::vector<Finding> findings;
  std::vector<Entry> entries;
  std::vector<Slot> slots;
  bool hasBackward = false;

  // Executability simulation state.
  std::vector<std::vector<int32_t>> rankEntries;
  std::vector<size_t> cursor;
  std::vector<int32_t> blockedAt, blockedOn;
  std::vector<uint8_t> done;
  std::unordered_map<uint64_t, std::vector<int64_t>> waiters;
  std::vector<int64_t> ready;
};

} // namespace

std::vector<Finding> verifySchedule(const Schedule &schedule,
                                    const VerifyOptions &options) {
  return ComputeChecker(schedule, options).run();
}

std::vector<Finding> verifySchedule(const Schedule &schedule) {
  return verifySchedule(schedule, VerifyOptions{});
}

} // namespace dualpipe
