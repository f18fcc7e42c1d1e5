//===- AttrJson.h - AttrMap <-> JSON, inside the core library ---*- C++ -*-===//
//
// Private to lib/Schedule (built with exceptions): the program file's writer
// and reader convert a model's config and attributes here, so that no public
// header names the JSON library.
//
//===----------------------------------------------------------------------===//
#ifndef DUALPIPE_LIB_SCHEDULE_ATTRJSON_H
#define DUALPIPE_LIB_SCHEDULE_ATTRJSON_H

#include "dualpipe/Schedule/AttrMap.h"

#include <nlohmann/json.hpp>

namespace dualpipe {

nlohmann::json toJson(const AttrValue &value);
nlohmann::json toJson(const AttrMap &map);

/// Any JSON value; an unsigned integer above INT64_MAX becomes a number.
AttrValue attrValueFromJson(const nlohmann::json &json);
/// The entries of a JSON object (an empty map for anything else: the reader
/// checks the type first).
AttrMap attrMapFromJson(const nlohmann::json &json);

} // namespace dualpipe

#endif // DUALPIPE_LIB_SCHEDULE_ATTRJSON_H
