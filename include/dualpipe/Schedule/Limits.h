//===- Limits.h - Every size bound of the compiler, in one place -*- C++
//-*-===//
//
// Inputs are rejected before any allocation or work that grows with them, so
// each bound below is checked where the input is read (spec verifiers, tool
// options, program files, CSV files). docs/limits.md lists them with the
// measured worst case inside each; keep the two in step.
//
//===----------------------------------------------------------------------===//
#ifndef DUALPIPE_SCHEDULE_LIMITS_H
#define DUALPIPE_SCHEDULE_LIMITS_H

#include <cstdint>
#include <optional>
#include <string>

namespace dualpipe {

inline constexpr int64_t kMaxRanks = 4096;
inline constexpr int64_t kMaxMicrobatches = int64_t(1) << 20;
inline constexpr int64_t kMaxVirtualStages = 64;
inline constexpr int64_t kMaxStages = kMaxRanks * kMaxVirtualStages;
/// stages x micro-batches: every (stage, mb) pair costs two or three compute
/// ops plus their messages in lowering, verification, simulation and
/// planning, so this bounds the work of all of them.
inline constexpr int64_t kMaxStageMicrobatches = int64_t(1) << 18;
/// Layers once repeats are expanded (one LayerSpec copy each).
inline constexpr int64_t kMaxLayers = int64_t(1) << 18;
/// layers x stages for the balancing partitioner (one 4-byte split index per
/// cell); an explicit layout needs no table and is bounded by kMaxLayers.
inline constexpr int64_t kMaxLayerStages = int64_t(1) << 24;
/// Elements of one activation/gradient message.
inline constexpr int64_t kMaxMessageElements = int64_t(1) << 31;
/// Every cost, and every sum of a model's costs: far below DBL_MAX, so sums
/// over a whole schedule (and the partitioner's squares) stay finite.
inline constexpr double kMaxCost = 1e100;
/// Nesting depth of a JSON document (program files, layer attributes).
inline constexpr int kMaxJsonDepth = 64;

/// Overflow-safe arithmetic: nullopt where the exact result does not fit.
std::optional<int64_t> checkedAdd(int64_t a, int64_t b);
std::optional<int64_t> checkedMul(int64_t a, int64_t b);
/// a * b clamped to [INT64_MIN, INT64_MAX].
int64_t saturatingMul(int64_t a, int64_t b);

/// "", or "<what> must be at most <bound>, got <value>" (and the same for
/// values below 1). One message per bound, shared by every reader.
std::string checkPositiveAtMost(const std::string &what, int64_t value,
                                int64_t bound);
/// "" if a * b <= bound, else "<what> must be at most <bound>, got <a*b>"
/// (saturated, so an overflowing product is reported, not wrapped).
std::string checkProductAtMost(const std::string &what, int64_t a, int64_t b,
                               int64_t bound);

/// Bounds of a placement (ranks, stages, micro-batches, their product), for
/// every reader of a schedule: "" or the first violated bound.
std::string checkPlacementBounds(int64_t ranks, int64_t stages,
                                 int64_t microbatches);

/// "" if 0 <= value <= kMaxCost, else "<what> must be finite, >= 0 and
/// <= 1e+100, got <value>". Costs use it everywhere (spec, options, files).
std::string checkCost(const std::string &what, double value);

} // namespace dualpipe

#endif // DUALPIPE_SCHEDULE_LIMITS_H
