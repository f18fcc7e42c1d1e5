//===- Faults.h - Injected faults (--inject-fault) --------------*- C++ -*-===//
//
// The test hook that makes one instruction of the first step fail, so that
// the tests can show that every way a rank can fail stops every rank within
// the timeout, with the rank, the instruction and the cause.
//
//===----------------------------------------------------------------------===//
#ifndef DUALPIPE_RUNTIME_FAULTS_H
#define DUALPIPE_RUNTIME_FAULTS_H

#include "dualpipe/Schedule/Schedule.h"

#include <cstdint>
#include <optional>
#include <string>

namespace dualpipe::runtime {

/// Test hook: makes one instruction of the first step fail.
///  throw: the compute (the overlap's forward) raises, as a broken stage would
///  shape: the compute's output gets one row too many (F with a successor
///         stage, or B/I with a predecessor)
///  drop:  the send is skipped, so its receive never arrives
///  exit:  the rank dies there without a word (a crashed process)
struct FaultSpec {
  enum class Kind { Throw, Shape, Drop, Exit };
  int64_t rank = 0;
  int64_t index = 0; // top-level instruction index on `rank`
  Kind kind = Kind::Throw;
};
/// Parses "RANK:INDEX[:KIND]" (KIND defaults to throw).
std::optional<FaultSpec> parseFaultSpec(const std::string &text,
                                        std::string &error);
/// Empty if the fault can be injected into `program`, else why not.
std::string checkFaultSpec(const FaultSpec &fault, const Program &program);

/// The compute an injected throw/shape fault applies to: the instruction
/// itself, or an overlap's first compute; null for comm instructions.
const Instr *faultCompute(const Instr &instr);

} // namespace dualpipe::runtime

#endif // DUALPIPE_RUNTIME_FAULTS_H
