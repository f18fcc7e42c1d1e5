//===- Report.cpp - Text and JSON reports of a simulation -----------------===//

#include "dualpipe/Schedule/Report.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace dualpipe {

namespace {

std::string formatPercent(double ratio) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.2f%%", ratio * 100);
  return buf;
}

std::string kindName(const SimResult &r) {
  return r.kind ? std::string(toString(*r.kind)) : "schedule";
}

int64_t maxPeakActivations(const SimResult &r) {
  int64_t peak = 0;
  for (const RankStats &s : r.ranks)
    peak = std::max(peak, s.peakActivations);
  return peak;
}

double maxPeakActivationBytes(const SimResult &r) {
  double peak = 0;
  for (const RankStats &s : r.ranks)
    peak = std::max(peak, s.peakActivationBytes);
  return peak;
}

} // namespace

std::string formatQuantity(double value) {
  if (std::isinf(value))
    return value > 0 ? "inf" : "-inf";
  char buf[64];
  if (value == std::floor(value) && std::fabs(value) < 1e15)
    std::snprintf(buf, sizeof(buf), "%.0f", value);
  else
    std::snprintf(buf, sizeof(buf), "%.6g", value);
  return buf;
}

std::string formatBytes(double bytes) {
  static constexpr const char *kUnits[] = {"KiB", "MiB", "GiB", "TiB", "PiB"};
  if (!(std::fabs(bytes) >= 1024) || std::isinf(bytes))
    return formatQuantity(bytes);
  double scaled = bytes;
  size_t unit = 0;
  for (scaled /= 1024; std::fabs(scaled) >= 1024 && unit + 1 < 5; ++unit)
    scaled /= 1024;
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.4g %s", scaled, kUnits[unit]);
  return buf;
}

namespace {
/// formatBytes with the unit spelled out below 1 KiB, where it has none.
std::string bytesPhrase(double bytes) {
  std::string text = formatBytes(bytes);
  return text.find(' ') == std::string::npos ? text + " bytes" : text;
}
} // namespace

std::string renderTable(const std::vector<std::string> &header,
                        const std::vector<std::vector<std::string>> &rows,
                        const std::vector<size_t> &leftAligned) {
  std::vector<size_t> width(header.size(), 0);
  auto measure = [&](const std::vector<std::string> &row) {
    for (size_t c = 0; c < row.size() && c < width.size(); ++c)
      width[c] = std::max(width[c], row[c].size());
  };
  measure(header);
  for (const auto &row : rows)
    measure(row);
  std::string out;
  auto emit = [&](const std::vector<std::string> &row) {
    std::string line;
    for (size_t c = 0; c < width.size(); ++c) {
      const std::string cell = c < row.size() ? row[c] : "";
      std::string pad(width[c] - cell.size(), ' ');
      if (c > 0)
        line += "  ";
      bool left = std::find(leftAligned.begin(), leftAligned.end(), c) !=
                  leftAligned.end();
      line += left ? cell + pad : pad + cell;
    }
    while (!line.empty() && line.back() == ' ')
      line.pop_back();
    out += line + '\n';
  };
  emit(header);
  for (const auto &row : rows)
    emit(row);
  return out;
}

std::string renderReportText(const SimResult &result,
                             const ReportOptions &options) {
  const Placement &p = result.placement;
  std::string out = kindName(result) + ": " +
                    std::to_string(result.ranks.size()) + " ranks, " +
                    std::to_string(p.stages) + " stages, " +
                    std::to_string(p.microbatches) + " micro-batches (" +
                    std::string(toString(p.kind)) + " placement)\n";
  out += "makespan " + formatQuantity(result.makespan) + ", bubble ratio " +
         formatPercent(result.bubbleRatio) + ", max bubble " +
         formatQuantity(result.maxBubble) + ", peak activations " +
         std::to_string(maxPeakActivations(result)) + " (" +
         bytesPhrase(maxPeakActivationBytes(result)) + ")\n";
  if (!options.perRank)
    return out;
  std::vector<std::vector<std::string>> rows;
  for (const RankStats &s : result.ranks)
    rows.push_back(
        {std::to_string(s.rank), formatQuantity(s.busy), formatQuantity(s.idle),
         formatPercent(s.utilization), std::to_string(s.peakActivations),
         formatBytes(s.peakActivationBytes), formatBytes(s.paramBytes)});
  out += renderTable({"rank", "busy", "idle", "util", "peak act",
                      "peak act bytes", "param bytes"},
                     rows);
  return out;
}

static nlohmann::json reportJson(const SimResult &result) {
  nlohmann::json j;
  j["kind"] = result.kind ? nlohmann::json(std::string(toString(*result.kind)))
                          : nlohmann::json(nullptr);
  j["placement"] = std::string(toString(result.placement.kind));
  j["num_ranks"] = result.ranks.size();
  j["stages"] = result.placement.stages;
  j["microbatches"] = result.placement.microbatches;
  j["makespan"] = result.makespan;
  j["bubble_ratio"] = result.bubbleRatio;
  j["max_bubble"] = result.maxBubble;
  double busy = 0, idle = 0;
  nlohmann::json ranks = nlohmann::json::array();
  for (const RankStats &s : result.ranks) {
    busy += s.busy;
    idle += s.idle;
    ranks.push_back({{"rank", s.rank},
                     {"busy", s.busy},
                     {"idle", s.idle},
                     {"utilization", s.utilization},
                     {"finish", s.finish},
                     {"compute_ops", s.computeOps},
                     {"peak_activations", s.peakActivations},
                     {"peak_activation_bytes", s.peakActivationBytes},
                     {"param_bytes", s.paramBytes},
                     {"stages_held", s.stagesHeld}});
  }
  j["total_busy"] = busy;
  j["total_idle"] = idle;
  j["peak_activations"] = maxPeakActivations(result);
  j["peak_activation_bytes"] = maxPeakActivationBytes(result);
  j["ranks"] = std::move(ranks);
  return j;
}

std::string renderReportJson(const SimResult &result, int indent) {
  return reportJson(result).dump(indent);
}

} // namespace dualpipe
