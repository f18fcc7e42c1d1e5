//===- TraceJson.h - Timelines between processes ----------------*- C++ -*-===//
#ifndef DUALPIPE_RUNTIME_SRC_TRACEJSON_H
#define DUALPIPE_RUNTIME_SRC_TRACEJSON_H

#include "dualpipe/Schedule/Timeline.h"

#include <nlohmann/json.hpp>

namespace dualpipe::runtime {

/// Lossless JSON form of a timeline, to move it between processes.
nlohmann::json timelineToJson(const RankTimeline &timeline);
RankTimeline timelineFromJson(const nlohmann::json &json);

} // namespace dualpipe::runtime

#endif // DUALPIPE_RUNTIME_SRC_TRACEJSON_H
