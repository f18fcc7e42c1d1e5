//===- Generate.h - Level-2 schedule generation for every kind --*- C++ -*-===//
//
// Turns (kind, ranks, micro-batches) into per-rank compute programs. Each kind
// follows a published reference order exactly (see docs/schedules.md):
// DualPipe/DualPipeV the deepseek-ai/DualPipe `step` methods, 1F1B Megatron's
// PipeDream-flush, interleaved 1F1B / ZB-H1 / ZB-V PyTorch's pipelining
// schedules, GPipe fill-drain.
//
//===----------------------------------------------------------------------===//
#ifndef DUALPIPE_SCHEDULE_GENERATE_H
#define DUALPIPE_SCHEDULE_GENERATE_H

#include "dualpipe/Schedule/Limits.h"
#include "dualpipe/Schedule/Schedule.h"

#include <cstdint>
#include <optional>
#include <string>

namespace dualpipe {

struct GenerateOptions {
  ScheduleKind kind = ScheduleKind::DualPipe;
  int64_t ranks = 0;
  int64_t microbatches = 0;
  int64_t virtualStages = 2; // interleaved-1f1b only (stages = ranks * v)
  bool overlap = true;       // dualpipe/dualpipev: false => F then B
  bool forwardOnly = false;  // inference: only forwards, same relative order
};

/// Number of stages the kind needs for `ranks` (ranks, 2*ranks, ranks*v).
/// Saturates at INT64_MAX instead of overflowing.
int64_t stagesFor(ScheduleKind kind, int64_t ranks, int64_t virtualStages);

/// Empty string if valid, else the violated constraint, e.g.
/// "dualpipe requires an even number of ranks, got 3".
std::string checkGenerateOptions(const GenerateOptions &options);

/// Generates the level-2 schedule (kind, placement and per-rank Steps set;
/// origin = -1). On invalid options returns std::nullopt and sets `error` to
/// checkGenerateOptions' text.
std::optional<Schedule> generateSchedule(const GenerateOptions &options,
                                         std::string &error);

} // namespace dualpipe

#endif // DUALPIPE_SCHEDULE_GENERATE_H
