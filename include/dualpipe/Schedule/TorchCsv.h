//===- TorchCsv.h - PyTorch pipelining action CSV interop -------*- C++ -*-===//
//
// torch.distributed.pipelining writes a schedule as one CSV row of actions per
// rank: "0F3", "7B13", "0I6", "0W6", "(0F7;7B13)OVERLAP_F_B", and with
// communication "0SEND_F3", "1RECV_F3", "1SEND_B3", "0RECV_B3". Stage ids are
// model stage ids and micro-batch ids are global, as in the Schedule model.
//
//===----------------------------------------------------------------------===//
#ifndef DUALPIPE_SCHEDULE_TORCHCSV_H
#define DUALPIPE_SCHEDULE_TORCHCSV_H

#include "dualpipe/Schedule/Schedule.h"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dualpipe {

/// "{stage}{F|B|I|W}{mb}", e.g. "7B13".
std::string formatAction(const ComputeOp &op);
/// formatAction, or "({F};{B})OVERLAP_F_B" for an overlapped pair.
std::string formatStep(const Step &step);
/// Appending forms, for exporters that build one large string.
void appendAction(std::string &out, const ComputeOp &op);
void appendStep(std::string &out, const Step &step);

/// One row per rank, comma-separated, compute actions only; every row ends
/// with '\n' (as Python's csv.writer with lineterminator "\n").
std::string exportTorchCsv(const Schedule &schedule);

/// 1-based position of a cell in a CSV file. `column` counts characters (of
/// the cell's first non-blank one), as file:line:column diagnostics do, so
/// that an editor or a caret lands on the cell; `cell` counts cells.
struct CsvCell {
  int64_t row = 0, column = 0, cell = 0;
};

/// Parses a compute-only or compute+comms action CSV into a level-2 schedule:
/// ranks = rows, stages = max stage + 1, microbatches = max mb + 1, kind =
/// nullopt, placement = the placement consistent with the sizes under which
/// the most ops sit on rankOf(stage, mb) (ties: standard, v, interleaved,
/// dual). Step.origin = index of the cell over the whole file (row-major);
/// `cells` (if non-null) receives the (row, column) of every cell, indexed by
/// that origin. Empty cells (PyTorch's idle slots) and communication or FSDP
/// actions (SEND_F, RECV_F, SEND_B, RECV_B, UNSHARD, RESHARD, REDUCE_GRAD) are
/// parsed and skipped. Malformed input yields nullopt and appends one
/// finding at the cell (Finding::row and column as in CsvCell; origin = the
/// cell's index when it is a cell of the file) saying "<what is wrong>
/// ('<cell text>')"; findingText prints it as "row R, column C: ...".
std::optional<Schedule> importTorchCsv(std::string_view text,
                                       std::vector<Finding> &findings,
                                       std::vector<CsvCell> *cells = nullptr);

} // namespace dualpipe

#endif // DUALPIPE_SCHEDULE_TORCHCSV_H
