//===- Cost.cpp - Per-stage compute, memory and link costs ----------------===//

#include "dualpipe/Schedule/Cost.h"
#include "dualpipe/Schedule/Generate.h"
#include "dualpipe/Schedule/Limits.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <sstream>

namespace dualpipe {

namespace {

std::string formatNumber(double v) {
  std::ostringstream os;
  os.precision(12);
  os << v;
  return os.str();
}

/// Time hidden by overlapping a stage's F and B, and the shorter of the two:
/// their ratio is the fraction of the shorter op that overlapping hides.
struct Overlap {
  double saving;
  double shorter;
};

Overlap overlapOf(const StageCost &c) {
  return {c.f + c.b - c.overlapped(), std::min(c.f, c.b)};
}

/// Whether stage `a` hides no larger a fraction than stage `b`; compares
/// saving_a / shorter_a with saving_b / shorter_b without dividing.
bool hidesLess(const Overlap &a, const Overlap &b) {
  return a.saving * b.shorter <= b.saving * a.shorter;
}

/// Every time and size goes through the one cost bound (Limits.h), so a
/// `--cost` override is held to what spec and program-file costs are.
std::string checkStage(const StageCost &c) {
  for (auto [name, value] : {std::pair<const char *, double>{"f", c.f},
                             {"b", c.b},
                             {"w", c.w},
                             {"act", c.activationBytes},
                             {"param", c.paramBytes},
                             {"msg", c.messageBytes}})
    if (std::string bad = checkCost(name, value); !bad.empty())
      return bad;
  if (c.w > c.b)
    return "w = " + formatNumber(c.w) + " exceeds b = " + formatNumber(c.b) +
           " (i = b - w would be negative)";
  if (c.fb) {
    double lo = std::max(c.f, c.b), hi = c.f + c.b;
    if (!std::isfinite(*c.fb) || *c.fb < lo || *c.fb > hi)
      return "fb = " + formatNumber(*c.fb) +
             " is outside [max(f, b), f + b] = [" + formatNumber(lo) + ", " +
             formatNumber(hi) + "]";
  }
  return {};
}

std::string checkLink(const LinkCost &l) {
  if (std::string bad = checkCost("latency", l.latency); !bad.empty())
    return bad;
  if (std::isnan(l.bandwidth) || l.bandwidth <= 0)
    return "bandwidth = " + formatNumber(l.bandwidth) + " must be > 0";
  return {};
}

//===----------------------------------------------------------------------===//
// Override parsing
//===----------------------------------------------------------------------===//

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front())))
    s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())))
    s.remove_suffix(1);
  return s;
}

/// Parses a whole decimal number; `allowInf` accepts "inf".
std::optional<double> parsePlainNumber(std::string_view text, bool allowInf) {
  if (allowInf && (text == "inf" || text == "infinity"))
    return std::numeric_limits<double>::infinity();
  double v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() ||
      !std::isfinite(v))
    return std::nullopt;
  return v;
}

/// Splits a trailing size suffix (K, Mi, GB, KiB, ...) off `text`.
double takeByteSuffix(std::string_view &text) {
  if (!text.empty() && (text.back() == 'B' || text.back() == 'b'))
    text.remove_suffix(1);
  bool binary = !text.empty() && text.back() == 'i';
  if (binary)
    text.remove_suffix(1);
  if (text.empty())
    return 1;
  static constexpr std::string_view kPrefixes = "KMGT";
  size_t pos = kPrefixes.find(static_cast<char>(std::toupper(text.back())));
  if (pos == std::string_view::npos)
    return binary ? 0 : 1; // a lone 'i' is not a suffix: reject below
  text.remove_suffix(1);
  return std::pow(binary ? 1024.0 : 1000.0, static_cast<double>(pos + 1));
}

std::optional<double> parseBytes(std::string_view text, bool allowInf) {
  std::string_view digits = text;
  double scale = takeByteSuffix(digits);
  if (scale == 0)
    return std::nullopt;
  std::optional<double> v = parsePlainNumber(digits, allowInf);
  if (!v)
    return std::nullopt;
  return *v * scale;
}

enum class Field { F, B, W, FB, Act, Param, Msg };

std::optional<Field> stageField(std::string_view key) {
  if (key == "f")
    return Field::F;
  if (key == "b")
    return Field::B;
  if (key == "w")
    return Field::W;
  if (key == "fb")
    return Field::FB;
  if (key == "act")
    return Field::Act;
  if (key == "param")
    return Field::Param;
  if (key == "msg")
    return Field::Msg;
  return std::nullopt;
}

bool isByteField(Field f) {
  return f == Field::Act || f == Field::Param || f == Field::Msg;
}

void setField(StageCost &c, Field field, double v) {
  switch (field) {
  case Field::F:
    c.f = v;
    return;
  case Field::B:
    c.b = v;
    return;
  case Field::W:
    c.w = v;
    return;
  case Field::FB:
    c.fb = v;
    return;
  case Field::Act:
    c.activationBytes = v;
    return;
  case Field::Param:
    c.paramBytes = v;
    return;
  case Field::Msg:
    c.messageBytes = v;
    return;
  }
}

/// Largest stage index a `key@S` override may name (the generators' bound);
/// guards the per-stage vector against absurd allocations from a typo.
constexpr int64_t kMaxStageIndex = kMaxStages - 1;

std::string applyStageOverride(CostModel &model, std::string_view key,
                               std::string_view value) {
  std::optional<int64_t> stage;
  if (size_t at = key.find('@'); at != std::string_view::npos) {
    std::string_view index = key.substr(at + 1);
    key = key.substr(0, at);
    int64_t s = -1;
    auto [end, ec] =
        std::from_chars(index.data(), index.data() + index.size(), s);
    if (ec != std::errc() || end != index.data() + index.size() || s < 0 ||
        s > kMaxStageIndex)
      return "bad stage index '" + std::string(index) + "' in '" +
             std::string(key) + "@" + std::string(index) + "'";
    stage = s;
  }
  std::optional<Field> field = stageField(key);
  if (!field)
    return "unknown cost key '" + std::string(key) + "'";
  std::optional<double> v = isByteField(*field)
                                ? parseBytes(value, /*allowInf=*/false)
                                : parsePlainNumber(value, /*allowInf=*/false);
  if (!v)
    return "bad number '" + std::string(value) + "' for '" + std::string(key) +
           "'";
  if (!stage) {
    setField(model.uniform, *field, *v);
    for (StageCost &c : model.stages)
      setField(c, *field, *v);
    return {};
  }
  if (static_cast<size_t>(*stage) >= model.stages.size())
    model.stages.resize(*stage + 1, model.uniform);
  setField(model.stages[*stage], *field, *v);
  return {};
}

std::string applyLinkOverride(CostModel &model, std::string_view key,
                              std::string_view value, bool &handled) {
  handled = true;
  if (key == "ranks-per-node") {
    int64_t n = 0;
    auto [end, ec] =
        std::from_chars(value.data(), value.data() + value.size(), n);
    if (ec != std::errc() || end != value.data() + value.size() || n < 0)
      return "bad ranks-per-node '" + std::string(value) +
             "' (want an integer >= 0)";
    model.ranksPerNode = n;
    return {};
  }
  bool inter = key.substr(0, 6) == "inter-";
  std::string_view base = inter ? key.substr(6) : key;
  LinkCost &link = inter ? model.interNode : model.intraNode;
  if (base == "latency") {
    std::optional<double> v = parsePlainNumber(value, /*allowInf=*/false);
    if (!v)
      return "bad number '" + std::string(value) + "' for '" +
             std::string(key) + "'";
    link.latency = *v;
    return {};
  }
  if (base == "bandwidth") {
    std::optional<double> v = parseBytes(value, /*allowInf=*/true);
    if (!v)
      return "bad number '" + std::string(value) + "' for '" +
             std::string(key) + "'";
    link.bandwidth = *v;
    return {};
  }
  handled = false;
  return {};
}

} // namespace

double LinkCost::transferTime(double bytes) const {
  if (bytes == 0 || std::isinf(bandwidth))
    return latency;
  return latency + bytes / bandwidth;
}

const StageCost &CostModel::stage(int64_t s) const {
  if (s >= 0 && static_cast<size_t>(s) < stages.size())
    return stages[s];
  return uniform;
}

double CostModel::computeTime(const ComputeOp &op) const {
  const StageCost &c = stage(op.stage);
  switch (op.kind) {
  case OpKind::F:
    return c.f;
  case OpKind::B:
    return c.b;
  case OpKind::I:
    return c.i();
  case OpKind::W:
    return c.w;
  }
  return 0;
}

double CostModel::pairTime(const ComputeOp &fwd, const ComputeOp &bwd) const {
  const StageCost &cf = stage(fwd.stage), &cb = stage(bwd.stage);
  if (fwd.stage == bwd.stage && fwd.kind == OpKind::F && bwd.kind == OpKind::B)
    return cf.overlapped();
  // The stage that overlaps worse bounds the pair: it hides the same fraction
  // of the pair's shorter op as it hides of its own shorter op.
  Overlap of = overlapOf(cf), ob = overlapOf(cb);
  const Overlap &worse = hidesLess(of, ob) ? of : ob;
  double tf = computeTime(fwd), tb = computeTime(bwd);
  if (worse.shorter == 0)
    return tf + tb;
  // Multiply before dividing so that integer-valued costs stay exact.
  return tf + tb - worse.saving * std::min(tf, tb) / worse.shorter;
}

double CostModel::linkTime(int64_t src, int64_t dst, double bytes) const {
  bool sameNode = ranksPerNode <= 0 || src / ranksPerNode == dst / ranksPerNode;
  return (sameNode ? intraNode : interNode).transferTime(bytes);
}

double CostModel::messageBytes(const MsgKey &key) const {
  return stage(key.stage).messageBytes;
}

std::string CostModel::validate() const {
  if (std::string err = checkStage(uniform); !err.empty())
    return err;
  for (size_t s = 0; s < stages.size(); ++s)
    if (std::string err = checkStage(stages[s]); !err.empty())
      return "stage " + std::to_string(s) + ": " + err;
  if (std::string err = checkLink(intraNode); !err.empty())
    return "intra-node " + err;
  if (std::string err = checkLink(interNode); !err.empty())
    return "inter-node " + err;
  if (ranksPerNode < 0)
    return "ranks-per-node = " + std::to_string(ranksPerNode) + " must be >= 0";
  return {};
}

std::string applyCostOverrides(CostModel &model, std::string_view spec) {
  while (!spec.empty()) {
    size_t comma = spec.find(',');
    std::string_view item = trim(spec.substr(0, comma));
    spec = comma == std::string_view::npos ? std::string_view()
                                           : spec.substr(comma + 1);
    if (item.empty())
      continue;
    size_t eq = item.find('=');
    if (eq == std::string_view::npos)
      return "cost override '" + std::string(item) + "' is not key=value";
    std::string_view key = trim(item.substr(0, eq));
    std::string_view value = trim(item.substr(eq + 1));
    bool handled = false;
    std::string err = applyLinkOverride(model, key, value, handled);
    if (!handled)
      err = applyStageOverride(model, key, value);
    if (!err.empty())
      return err;
  }
  return model.validate();
}

std::optional<double> parseByteSize(std::string_view text) {
  std::optional<double> v = parseBytes(trim(text), /*allowInf=*/false);
  if (!v || *v < 0)
    return std::nullopt;
  return v;
}

namespace {

/// `c` scaled by units / total: its compute time and memory, not its
/// message (a stage boundary carries the same activation). Multiplying
/// before dividing keeps equal shares exact (halves, thirds of integers).
StageCost scaledStage(const StageCost &c, double units, double total) {
  auto scale = [&](double v) { return v * units / total; };
  StageCost s = c;
  s.f = scale(c.f);
  s.b = scale(c.b);
  s.w = scale(c.w);
  if (c.fb)
    s.fb = scale(*c.fb);
  s.activationBytes = scale(c.activationBytes);
  s.paramBytes = scale(c.paramBytes);
  return s;
}

} // namespace

CostModel splitStages(const CostModel &model, int64_t chunks, int64_t stages) {
  CostModel out = model;
  if (chunks <= 0 || stages <= chunks || stages % chunks != 0)
    return out;
  double k = static_cast<double>(stages / chunks);
  out.uniform = scaledStage(model.uniform, 1, k);
  out.stages.clear();
  if (model.stages.empty())
    return out;
  out.stages.reserve(stages);
  for (int64_t s = 0; s < stages; ++s)
    out.stages.push_back(scaledStage(model.stage(s * chunks / stages), 1, k));
  return out;
}

CostModel cutStages(const CostModel &model, const StageCut &cut) {
  CostModel out = model;
  out.stages.clear();
  out.stages.reserve(cut.stageUnits.size());
  size_t chunk = 0;
  int64_t usedOfChunk = 0; // units of `chunk` taken by earlier stages
  for (int64_t units : cut.stageUnits) {
    StageCost stage;
    bool first = true, paired = false;
    double pairTime = 0;
    for (int64_t left = units; left > 0 && chunk < cut.chunkUnits.size();) {
      int64_t total = cut.chunkUnits[chunk];
      int64_t taken = std::min(left, total - usedOfChunk);
      StageCost part =
          scaledStage(model.stage(static_cast<int64_t>(chunk)),
                      static_cast<double>(taken), static_cast<double>(total));
      paired |= part.fb.has_value();
      pairTime += part.overlapped();
      if (first) {
        stage = part;
        first = false;
      } else {
        stage.f += part.f;
        stage.b += part.b;
        stage.w += part.w;
        stage.activationBytes += part.activationBytes;
        stage.paramBytes += part.paramBytes;
        stage.messageBytes = part.messageBytes;
      }
      left -= taken;
      usedOfChunk += taken;
      if (usedOfChunk == total) {
        ++chunk;
        usedOfChunk = 0;
      }
    }
    // A pair of a stage is the pairs of its parts in turn.
    if (paired)
      stage.fb = pairTime;
    out.stages.push_back(stage);
  }
  return out;
}

CostModel scheduleCosts(const CostModel &model, const Schedule &schedule) {
  const Placement &p = schedule.placement;
  if (!schedule.cut.empty())
    return cutStages(model, schedule.cut);
  return splitStages(model, p.ranks, p.stages);
}

} // namespace dualpipe
