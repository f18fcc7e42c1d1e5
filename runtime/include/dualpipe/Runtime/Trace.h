//===- Trace.h - Measured timelines as Chrome traces ------------*- C++ -*-===//
//
// The executor records what it ran in the simulator's own structures
// (RankTimeline), so a measured trace is rendered by the same code as a
// simulated one (renderChromeTrace) and both open side by side.
//
//===----------------------------------------------------------------------===//
#ifndef DUALPIPE_RUNTIME_TRACE_H
#define DUALPIPE_RUNTIME_TRACE_H

#include "dualpipe/Schedule/Timeline.h"

#include <string>
#include <vector>

namespace dualpipe::runtime {

/// Chrome trace of measured timelines (one per rank, times in microseconds
/// of one clock): shifted so that the earliest event starts at 0, in the
/// layout of renderChromeTrace, with otherData.source naming the runtime.
std::string measuredChromeTrace(const Program &program,
                                std::vector<RankTimeline> timelines);

} // namespace dualpipe::runtime

#endif // DUALPIPE_RUNTIME_TRACE_H
