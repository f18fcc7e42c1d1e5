//===- JsonText.h - Parsing JSON text within the bounds ---------*- C++ -*-===//
//
// Every JSON document the project reads from a file (program files, traces)
// is parsed here, so that the nesting bound of Limits.h is checked before
// nlohmann builds a tree whose recursive copy, dump or destruction could
// exhaust the stack. Private to the exception-enabled targets that link
// DualPipeScheduleJson (lib/Schedule/CMakeLists.txt).
//
//===----------------------------------------------------------------------===//
#ifndef DUALPIPE_LIB_SCHEDULE_JSON_JSONTEXT_H
#define DUALPIPE_LIB_SCHEDULE_JSON_JSONTEXT_H

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace dualpipe {

/// "" if no array or object in `text` is nested deeper than `maxDepth`
/// (kMaxJsonDepth by default), else "JSON nested deeper than <maxDepth>
/// levels at byte <offset>". Brackets inside strings do not count. One pass,
/// no allocation; it does not validate the rest of the syntax.
std::string checkJsonDepth(std::string_view text, int maxDepth);
std::string checkJsonDepth(std::string_view text);

/// checkJsonDepth, then nlohmann's parser: nullopt and `error` set to the
/// depth message or to "not valid JSON: <parser message>".
std::optional<nlohmann::json> parseJsonText(std::string_view text,
                                            std::string &error);

} // namespace dualpipe

#endif // DUALPIPE_LIB_SCHEDULE_JSON_JSONTEXT_H
