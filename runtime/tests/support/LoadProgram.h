//===- LoadProgram.h - Test programs for the benchmarks ---------*- C++ -*-===//
//
// The benchmarks' way to a runtime-loaded program built through the core:
// like loadTestProgram (RuntimeTestUtil.h) but without GoogleTest, throwing
// where a test would fail.
//
//===----------------------------------------------------------------------===//
#ifndef DUALPIPE_RUNTIME_TESTS_LOADPROGRAM_H
#define DUALPIPE_RUNTIME_TESTS_LOADPROGRAM_H

#include "TestPrograms.h"

#include "dualpipe/Runtime/Program.h"

#include <stdexcept>
#include <string>

namespace dualpipe::testing {

/// Throws std::runtime_error naming the step that failed.
inline runtime::LoadedProgram loadProgramOrThrow(const TestSchedule &schedule,
                                                 const TestModel &model) {
  std::string error;
  auto json = buildProgramJson(schedule, model, error);
  if (!json)
    throw std::runtime_error("building the program: " + error);
  auto loaded = runtime::loadProgramText(json->dump(), ".", error);
  if (!loaded)
    throw std::runtime_error("loading the program: " + error);
  return std::move(*loaded);
}

} // namespace dualpipe::testing

#endif // DUALPIPE_RUNTIME_TESTS_LOADPROGRAM_H
