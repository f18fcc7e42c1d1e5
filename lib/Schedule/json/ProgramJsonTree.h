//===- ProgramJsonTree.h - The program file as a parsed tree ----*- C++ -*-===//
//
// ProgramJson.h's writer and reader on an nlohmann tree, for the
// exception-enabled targets that link DualPipeScheduleJson: the runtime
// digests the tree it loads, and tests edit trees to build bad files.
//
//===----------------------------------------------------------------------===//
#ifndef DUALPIPE_LIB_SCHEDULE_JSON_PROGRAMJSONTREE_H
#define DUALPIPE_LIB_SCHEDULE_JSON_PROGRAMJSONTREE_H

#include "dualpipe/Schedule/ProgramJson.h"

#include <nlohmann/json.hpp>

namespace dualpipe {

/// The tree of programToText.
nlohmann::json programToJson(const Program &program, const ModelSpec &model,
                             const std::vector<StageSpec> &stages,
                             const TensorSpec &message);

/// programFromText on a tree that is already parsed.
std::optional<ProgramFile> programFromJson(const nlohmann::json &json,
                                           std::string &error);
std::optional<ProgramFile> programFromJson(const nlohmann::json &json,
                                           std::string &error,
                                           const VerifyOptions &verify);

} // namespace dualpipe

#endif // DUALPIPE_LIB_SCHEDULE_JSON_PROGRAMJSONTREE_H
