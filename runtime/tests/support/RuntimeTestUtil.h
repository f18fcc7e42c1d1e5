//===- RuntimeTestUtil.h - Loading test programs in the runtime -*- C++ -*-===//
#ifndef DUALPIPE_RUNTIME_TESTS_RUNTIMETESTUTIL_H
#define DUALPIPE_RUNTIME_TESTS_RUNTIMETESTUTIL_H

#include "TestPrograms.h"

#include "dualpipe/Runtime/Program.h"

#include <gtest/gtest.h>

namespace dualpipe::testing {

/// A runtime-loaded program built through the core; fails the test (and
/// returns an empty program) if any step fails.
inline runtime::LoadedProgram loadTestProgram(const TestSchedule &schedule,
                                              const TestModel &model = {}) {
  std::string error;
  auto json = buildProgramJson(schedule, model, error);
  EXPECT_TRUE(json) << error;
  if (!json)
    return {};
  auto loaded = runtime::loadProgramText(json->dump(), ".", error);
  EXPECT_TRUE(loaded) << error;
  return loaded ? std::move(*loaded) : runtime::LoadedProgram();
}

} // namespace dualpipe::testing

#endif // DUALPIPE_RUNTIME_TESTS_RUNTIMETESTUTIL_H
