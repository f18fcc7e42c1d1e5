//===- SimulateSteps.h - A rank program as units of the replay --*- C++ -*-===//
//
// The replay's view of a rank program: the verifier's flattening
// (flattenRank), with each overlap reordered into the comm that must precede
// its pair, the pair, and the comm that follows it, and every token mapped to
// a dense slot. Internal to Simulate.cpp.
//
//===----------------------------------------------------------------------===//
#ifndef DUALPIPE_LIB_SCHEDULE_SIMULATESTEPS_H
#define DUALPIPE_LIB_SCHEDULE_SIMULATESTEPS_H

#include "dualpipe/Schedule/Schedule.h"
#include "dualpipe/Schedule/Verify.h"

#include <cstdint>
#include <string>
#include <vector>

namespace dualpipe::replay {

/// One unit of work of the replay.
struct FlatStep {
  enum class Kind { Comm, Compute, Pair };
  Kind kind = Kind::Compute;
  FlatInstr at;                  // Comm, Compute, or the first op of a Pair
  const Instr *second = nullptr; // Pair: the second op
  const Instr *anchor = nullptr; // the top-level instruction (for origin)
  int64_t slot = -1; // dense per-rank index of the token defined or waited

  InstrRef ref(int64_t rank) const { return at.where(rank); }
};

/// A finding at `step` of `rank`: "rank r: <message>".
Finding makeFinding(int64_t rank, const FlatStep &step, std::string message);

struct RankSteps {
  std::vector<FlatStep> steps;
  int64_t slots = 0;       // distinct tokens: slots are 0..slots-1
  int64_t numMessages = 0; // sends and recvs
};

/// Flattens rank `rank` of `numRanks` and appends a finding for what can be
/// checked statically: peers in range, tokens defined once and before use,
/// overlaps of at most two computations, not nested.
RankSteps flattenForReplay(int64_t rank, int64_t numRanks,
                           const std::vector<Instr> &program,
                           std::vector<Finding> &findings);

} // namespace dualpipe::replay

#endif // DUALPIPE_LIB_SCHEDULE_SIMULATESTEPS_H
