//===- TestPrograms.h - Program files built through the core ----*- C++ -*-===//
//
// Test-only: the user-facing compile path is dualpipe-opt/dualpipe-translate
// (MLIR), which the runtime must not depend on. The tests build the same
// program files with the core library the passes call.
//
//===----------------------------------------------------------------------===//
#ifndef DUALPIPE_RUNTIME_TESTS_TESTPROGRAMS_H
#define DUALPIPE_RUNTIME_TESTS_TESTPROGRAMS_H

#include "dualpipe/Schedule/Lower.h"
#include "dualpipe/Schedule/Schedule.h"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>

namespace dualpipe::testing {

/// A small model: `layers` layers of `kernel` (0: `layersPerStage` per
/// stage of the schedule).
struct TestModel {
  std::string kernel = "mlp"; // mlp | transformer | identity
  int64_t hidden = 16;
  int64_t ffn = 32;
  int64_t heads = 2;
  int64_t seqLen = 0; // > 0: [rows, seq, hidden] activations
  int64_t rows = 4;
  int64_t layersPerStage = 1;
  int64_t layers = 0;
  std::string loss = "mse";
  int64_t classes = 0; // cross_entropy; 0 = hidden
  std::string optimizer = "sgd";
  double lr = 0.05;
  int64_t seed = 7;
  std::string dtype = "float32";
};

struct TestSchedule {
  ScheduleKind kind = ScheduleKind::OneFOneB;
  int64_t ranks = 2;
  int64_t microbatches = 4;
  int64_t virtualStages = 2;
  bool overlap = true;
  CommPolicy policy = CommPolicy::Eager;
};

inline TestSchedule schedule(ScheduleKind kind, int64_t ranks,
                             int64_t microbatches) {
  TestSchedule s;
  s.kind = kind;
  s.ranks = ranks;
  s.microbatches = microbatches;
  return s;
}

/// generateSchedule -> insertComm -> fuseOverlap -> scheduleComm ->
/// programToJson. Returns nullopt and sets `error` if a step fails.
std::optional<nlohmann::json> buildProgramJson(const TestSchedule &schedule,
                                               const TestModel &model,
                                               std::string &error);

} // namespace dualpipe::testing

#endif // DUALPIPE_RUNTIME_TESTS_TESTPROGRAMS_H
