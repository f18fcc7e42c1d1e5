//===- ProgramTree.h - Loading a parsed program file ------------*- C++ -*-===//
//
// Program.h's loader on a tree that is already parsed, for the runtime's own
// code and its tests, which edit trees to build bad files.
//
//===----------------------------------------------------------------------===//
#ifndef DUALPIPE_RUNTIME_SRC_PROGRAMTREE_H
#define DUALPIPE_RUNTIME_SRC_PROGRAMTREE_H

#include "dualpipe/Runtime/Program.h"

#include <nlohmann/json.hpp>

namespace dualpipe::runtime {

/// loadProgramText on a parsed tree: programFromJson, then the layers
/// against the runtime's kernels.
std::optional<LoadedProgram> loadProgramJson(const nlohmann::json &json,
                                             const std::string &baseDir,
                                             std::string &error);

} // namespace dualpipe::runtime

#endif // DUALPIPE_RUNTIME_SRC_PROGRAMTREE_H
