//===- LowerTestSupport.h - Shared by the lowering sweeps -------*- C++ -*-===//
#ifndef DUALPIPE_UNITTESTS_SCHEDULE_LOWERTESTSUPPORT_H
#define DUALPIPE_UNITTESTS_SCHEDULE_LOWERTESTSUPPORT_H

#include "dualpipe/Schedule/Generate.h"
#include "dualpipe/Schedule/Schedule.h"

#include <string>
#include <vector>

namespace dualpipe::test {

/// "dualpipe 4x8", with " v3", " no-overlap", " forward-only" as they apply:
/// names a sweep case in a failure.
inline std::string label(const GenerateOptions &options) {
  return std::string(toString(options.kind)) + " " +
         std::to_string(options.ranks) + "x" +
         std::to_string(options.microbatches) +
         (options.kind == ScheduleKind::Interleaved1F1B
              ? " v" + std::to_string(options.virtualStages)
              : "") +
         (options.overlap ? "" : " no-overlap") +
         (options.forwardOnly ? " forward-only" : "");
}

/// The first finding's message, "" for none: a failing EXPECT_EQ against ""
/// then prints what was found.
inline std::string firstMessage(const std::vector<Finding> &findings) {
  return findings.empty() ? "" : findings.front().message;
}

/// A level-2 rank's compute ops in order, an overlapped pair as its forward
/// then its backward.
inline std::vector<ComputeOp> stepOrder(const std::vector<Step> &steps) {
  std::vector<ComputeOp> ops;
  for (const Step &step : steps) {
    ops.push_back(step.first);
    if (step.second)
      ops.push_back(*step.second);
  }
  return ops;
}

} // namespace dualpipe::test

#endif // DUALPIPE_UNITTESTS_SCHEDULE_LOWERTESTSUPPORT_H
