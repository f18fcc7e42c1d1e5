//===- Render.h - Timeline pictures of a simulation -------------*- C++ -*-===//
//
// Two views of a SimResult's timeline: an SVG in the style of the DualPipe
// README figure (one row per rank, time left to right) and a Chrome trace
// (https://ui.perfetto.dev, chrome://tracing). The runtime writes measured
// traces in the same layout so that both open side by side; the layout is
// documented in docs/cost-model.md.
//
//===----------------------------------------------------------------------===//
#ifndef DUALPIPE_SCHEDULE_RENDER_H
#define DUALPIPE_SCHEDULE_RENDER_H

#include "dualpipe/Schedule/Simulate.h"

#include <string>

namespace dualpipe {

struct SvgOptions {
  /// Width of the time area in pixels; 0 picks one from the shortest op
  /// (about 18 px per op), capped at maxWidth.
  double width = 0;
  double maxWidth = 4000;
  /// Height of a rank row in pixels; 0 picks one from the rank count.
  double rowHeight = 0;
  /// Micro-batch ids inside cells, at one size for the whole picture,
  /// when the shortest cell fits the widest id at >= 5 px.
  bool showIds = true;
  /// Title line; empty makes one from the kind, sizes and makespan.
  std::string title;
};

/// A standalone SVG document.
std::string renderSvg(const SimResult &result, const SvgOptions &options = {});

struct ChromeTraceOptions {
  /// Trace timestamps are microseconds; one cost unit lasts this long.
  double microsecondsPerUnit = 1000;
};

/// Chrome trace JSON: {"traceEvents": [...], "displayTimeUnit": "ms",
/// "otherData": {...}}. One process per rank (pid = rank), compute on thread
/// 0 and transfers on thread 1 (more threads, 2, 3, ..., only while
/// transfers overlap in time), "X" events named in the PyTorch action
/// notation ("3F5", "(0F7;7B13)OVERLAP_F_B", "3SEND_F5", "4RECV_B5").
std::string renderChromeTrace(const SimResult &result,
                              const ChromeTraceOptions &options = {});

} // namespace dualpipe

#endif // DUALPIPE_SCHEDULE_RENDER_H
