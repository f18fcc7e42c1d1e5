//===- Report.h - Text and JSON reports of a simulation ---------*- C++ -*-===//
//
// The numbers a user reads before spending GPU hours: makespan, bubble, per
// rank busy/idle/utilization, peak activations and parameter bytes. The JSON
// field names are documented in docs/cost-model.md and are a stable interface
// for scripts.
//
//===----------------------------------------------------------------------===//
#ifndef DUALPIPE_SCHEDULE_REPORT_H
#define DUALPIPE_SCHEDULE_REPORT_H

#include "dualpipe/Schedule/Simulate.h"

#include <string>
#include <vector>

namespace dualpipe {

struct ReportOptions {
  /// One table row per rank; off prints only the summary.
  bool perRank = true;
};

/// A summary line and a per-rank table, ending with a newline.
std::string renderReportText(const SimResult &result,
                             const ReportOptions &options = {});

/// {kind, placement, num_ranks, stages, microbatches, makespan, bubble_ratio,
///  max_bubble, total_busy, total_idle, peak_activations,
///  peak_activation_bytes, ranks: [{rank, busy, idle, utilization, finish,
///  compute_ops, peak_activations, peak_activation_bytes, param_bytes,
///  stages_held}]}; kind is null for schedules of unknown kind. As JSON text
/// on one line, or indented by `indent` spaces.
std::string renderReportJson(const SimResult &result, int indent = -1);

/// Formats a time or byte count: integers without a fraction, otherwise up
/// to 6 significant digits ("12", "0.5", "1.33333").
std::string formatQuantity(double value);

/// Formats a byte count for people: below 1 KiB as formatQuantity, else in
/// the largest binary unit that keeps it >= 1, to 4 significant digits
/// ("512", "1.5 KiB", "18 GiB").
std::string formatBytes(double bytes);

/// Aligns `rows` under `header`, two spaces apart, one line per row: the
/// columns listed in `leftAligned` to the left, the others (numbers) to the
/// right.
std::string renderTable(const std::vector<std::string> &header,
                        const std::vector<std::vector<std::string>> &rows,
                        const std::vector<size_t> &leftAligned = {0});

} // namespace dualpipe

#endif // DUALPIPE_SCHEDULE_REPORT_H
