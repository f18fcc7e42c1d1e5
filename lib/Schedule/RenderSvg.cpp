//===- RenderSvg.cpp - SVG timeline in the style of the DualPipe README ---===//
//
// Cells of one colour in one row are drawn as a single <path> of relative
// moves, outlined by the path's own stroke, so that a 64 rank x 256
// micro-batch schedule (about 50,000 cells) stays a file of about a
// megabyte; outlines and ids are only drawn where they are legible, and style
// lives in one <style> block.
//
//===----------------------------------------------------------------------===//

#include "dualpipe/Schedule/Render.h"
#include "dualpipe/Schedule/Report.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>

namespace dualpipe {

namespace {

constexpr double kMarginLeft = 64;
constexpr double kMarginRight = 16;
constexpr double kTitleHeight = 30;
constexpr double kAxisHeight = 30;
constexpr double kLegendHeight = 34;
constexpr double kTargetOpWidth = 18; // px for the shortest op
constexpr double kMinPlotWidth = 400;
constexpr double kMinFont = 5;         // smaller text is omitted
constexpr double kMinOutlineWidth = 3; // thinner cells: no outlines

constexpr std::array<OpKind, 4> kKinds = {OpKind::F, OpKind::B, OpKind::I,
                                          OpKind::W};

const char *kStyle =
    "text{font-family:Helvetica,Arial,sans-serif;fill:#111}"
    ".t{font-size:15px;font-weight:bold}"
    ".r{text-anchor:end;dominant-baseline:central}"
    ".c{text-anchor:middle;dominant-baseline:central}"
    ".x{text-anchor:middle;font-size:11px}"
    ".l{font-size:12px;dominant-baseline:central}"
    ".F{fill:#f5b041}.B{fill:#6ccf4c}.I{fill:#b8e6a3}.W{fill:#5dade2}"
    ".o,.k .F,.k .B,.k .I,.k .W{stroke:#333;stroke-width:0.6}.o{fill:none}"
    ".p{fill:none;stroke:#000;stroke-width:1.6}"
    ".a{stroke:#555;stroke-width:1;fill:none}";

/// Up to two decimals, no trailing zeros: keeps big files small.
std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.2f", v);
  std::string s = buf;
  if (s.find('.') != std::string::npos) {
    while (s.back() == '0')
      s.pop_back();
    if (s.back() == '.')
      s.pop_back();
  }
  return s == "-0" ? "0" : s;
}

std::string escapeXml(const std::string &text) {
  std::string out;
  for (char c : text) {
    switch (c) {
    case '<':
      out += "&lt;";
      break;
    case '>':
      out += "&gt;";
      break;
    case '&':
      out += "&amp;";
      break;
    case '"':
      out += "&quot;";
      break;
    default:
      out += c;
    }
  }
  return out;
}

size_t kindIndex(OpKind k) {
  return static_cast<size_t>(std::find(kKinds.begin(), kKinds.end(), k) -
                             kKinds.begin());
}

struct Layout {
  double plotLeft = kMarginLeft;
  double plotTop = kTitleHeight;
  double plotWidth = 0;
  double rowHeight = 0;
  double boxHeight = 0;  // rowHeight minus the gap between rows
  double scale = 0;      // px per time unit
  double font = 0;       // rank-label font size
  double idFont = 0;     // micro-batch id font size; 0 hides the ids
  bool outlines = false; // cell borders
  size_t numRanks = 0;

  double x(double t) const { return plotLeft + t * scale; }
  double rowTop(size_t r) const { return plotTop + r * rowHeight; }
  double plotBottom() const { return plotTop + numRanks * rowHeight; }
  double totalWidth() const { return plotLeft + plotWidth + kMarginRight; }
  double totalHeight() const {
    return plotBottom() + kAxisHeight + kLegendHeight;
  }
};

size_t widestId(const SimResult &result) {
  int64_t largest = 0;
  for (const RankTimeline &tl : result.timeline)
    for (const ComputeInterval &iv : tl.compute)
      largest = std::max({largest, iv.op.mb, iv.paired ? iv.paired->mb : 0});
  return std::to_string(largest).size();
}

double shortestOp(const SimResult &result) {
  double shortest = 0;
  for (const RankTimeline &tl : result.timeline)
    for (const ComputeInterval &iv : tl.compute) {
      double d = iv.end - iv.start;
      if (iv.paired)
        d *= std::min(iv.firstShare, 1 - iv.firstShare);
      if (d > 0 && (shortest == 0 || d < shortest))
        shortest = d;
    }
  return shortest;
}

Layout makeLayout(const SimResult &result, const SvgOptions &options) {
  Layout l;
  l.numRanks = result.timeline.size();
  double shortest = shortestOp(result);
  if (options.width > 0) {
    l.plotWidth = options.width;
  } else {
    double natural = shortest > 0 ? result.makespan / shortest * kTargetOpWidth
                                  : kMinPlotWidth;
    l.plotWidth = std::clamp(natural, kMinPlotWidth,
                             std::max(kMinPlotWidth, options.maxWidth));
  }
  l.scale = result.makespan > 0 ? l.plotWidth / result.makespan : 0;
  l.rowHeight =
      options.rowHeight > 0
          ? options.rowHeight
          : std::clamp(800.0 / std::max<size_t>(l.numRanks, 1), 4.0, 24.0);
  double gap = l.rowHeight >= 12 ? 2 : 0;
  l.boxHeight = l.rowHeight - gap;
  l.font = std::min(12.0, l.boxHeight * 0.62);
  // One id size for the whole picture, from its shortest cell: ids either
  // all fit or are all left out, rather than only the short ones showing.
  double fit = (shortest * l.scale - 2) / (0.62 * widestId(result));
  l.idFont = std::min(l.font, fit);
  l.outlines = shortest * l.scale >= kMinOutlineWidth;
  if (!options.showIds || l.idFont < kMinFont)
    l.idFont = 0;
  return l;
}

/// Boxes of one row as one path: an absolute move to the first, then moves
/// relative to the previous box's corner (where "z" leaves the pen). The
/// offsets are differences of positions rounded to 0.01 px, so they add up
/// without drift.
class BoxPath {
public:
  void add(double x0, double x1, double top, double height) {
    int64_t start = hundredths(x0), width = hundredths(x1) - start;
    if (d.empty())
      d = "M" + fromHundredths(start) + " " + num(top);
    else
      d += "m" + fromHundredths(start - last) + " 0";
    d += "h" + fromHundredths(width) + "v" + num(height) + "h" +
         fromHundredths(-width) + "z";
    last = start;
  }

  void write(const std::string &cls, std::string &out) const {
    if (!d.empty())
      out += "<path class=\"" + cls + "\" d=\"" + d + "\"/>\n";
  }

private:
  static int64_t hundredths(double x) { return std::llround(x * 100); }
  static std::string fromHundredths(int64_t v) {
    return num(static_cast<double>(v) / 100);
  }

  std::string d;
  int64_t last = 0;
};

/// Cell geometry and fill paths of one rank row, plus its text.
class RowPainter {
public:
  RowPainter(const Layout &l, size_t rank) : l(l), top(l.rowTop(rank)) {}

  void add(const ComputeInterval &iv) {
    double x0 = l.x(iv.start), x1 = l.x(iv.end);
    if (!iv.paired) {
      box(iv.op, x0, x1);
      return;
    }
    double split = x0 + (x1 - x0) * iv.firstShare;
    box(iv.op, x0, split);
    box(*iv.paired, split, x1);
    if (l.outlines)
      pairOutline.add(x0, x1, top, l.boxHeight);
  }

  void write(std::string &out) const {
    for (size_t k = 0; k < kKinds.size(); ++k)
      fills[k].write(std::string(1, toChar(kKinds[k])), out);
    pairOutline.write("p", out);
    out += text;
  }

private:
  void box(const ComputeOp &op, double x0, double x1) {
    fills[kindIndex(op.kind)].add(x0, x1, top, l.boxHeight);
    if (l.idFont > 0)
      label(std::to_string(op.mb), x0, x1);
  }

  /// Zero-length cells (e.g. W = 0) get no id.
  void label(const std::string &id, double x0, double x1) {
    if (x1 - x0 - 2 < 0.62 * l.idFont * static_cast<double>(id.size()))
      return;
    text += "<text class=\"c\" x=\"" + num((x0 + x1) / 2) + "\" y=\"" +
            num(top + l.boxHeight / 2) + "\">" + id + "</text>";
  }

  const Layout &l;
  double top;
  std::array<BoxPath, kKinds.size()> fills;
  BoxPath pairOutline;
  std::string text;
};

std::string defaultTitle(const SimResult &result) {
  std::string kind =
      result.kind ? std::string(toString(*result.kind)) : "schedule";
  char ratio[32];
  std::snprintf(ratio, sizeof(ratio), "%.1f%%", result.bubbleRatio * 100);
  return kind + ": " + std::to_string(result.timeline.size()) + " ranks, " +
         std::to_string(result.placement.stages) + " stages, " +
         std::to_string(result.placement.microbatches) +
         " micro-batches; makespan " + formatQuantity(result.makespan) +
         ", bubble " + ratio;
}

void writeRankLabels(const Layout &l, std::string &out) {
  // Very thin rows label every k-th rank at a legible size.
  double font = std::max(l.font, 7.0);
  size_t every = std::max<size_t>(
      1, static_cast<size_t>(std::ceil(font / std::max(l.rowHeight, 1.0))));
  out += "<g class=\"r\" font-size=\"" + num(font) + "\">";
  for (size_t r = 0; r < l.numRanks; r += every)
    out += "<text x=\"" + num(l.plotLeft - 6) + "\" y=\"" +
           num(l.rowTop(r) + l.boxHeight / 2) + "\">rank " + std::to_string(r) +
           "</text>";
  out += "</g>\n";
}

/// 1, 2 or 5 times a power of ten, giving ticks about 80 px apart.
double tickStep(const Layout &l, double makespan) {
  double raw = makespan / std::max(1.0, l.plotWidth / 80);
  if (raw <= 0)
    return 1;
  double pow10 = std::pow(10, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 5.0, 10.0})
    if (m * pow10 >= raw)
      return m * pow10;
  return 10 * pow10;
}

void writeAxis(const Layout &l, double makespan, std::string &out) {
  double y = l.plotBottom() + 4;
  out += "<path class=\"a\" d=\"M" + num(l.plotLeft) + " " + num(y) + "H" +
         num(l.plotLeft + l.plotWidth);
  double step = tickStep(l, makespan);
  std::string labels;
  // Integer tick indices: no drift from adding `step` repeatedly.
  for (int64_t i = 0; i * step <= makespan + step * 1e-9; ++i) {
    double t = static_cast<double>(i) * step;
    out += "M" + num(l.x(t)) + " " + num(y) + "v5";
    labels += "<text x=\"" + num(l.x(t)) + "\" y=\"" + num(y + 17) + "\">" +
              formatQuantity(t) + "</text>";
  }
  out += "\"/>\n<g class=\"x\">" + labels + "<text x=\"" +
         num(l.plotLeft - 30) + "\" y=\"" + num(y + 17) +
         "\">time</text></g>\n";
}

void writeLegend(const Layout &l, std::string &out) {
  double y = l.plotBottom() + kAxisHeight + 8, x = l.plotLeft;
  const double w = 22, h = 14;
  auto swatch = [&](const char *cls, double x0, double width) {
    out += "<rect class=\"" + std::string(cls) + "\" x=\"" + num(x0) +
           "\" y=\"" + num(y) + "\" width=\"" + num(width) + "\" height=\"" +
           num(h) + "\"/>";
  };
  auto caption = [&](const char *text) {
    out += "<text class=\"l\" x=\"" + num(x + w + 6) + "\" y=\"" +
           num(y + h / 2) + "\">" + escapeXml(text) + "</text>";
    x += w + 6 + 7.2 * std::char_traits<char>::length(text) + 18;
  };
  const std::pair<const char *, const char *> items[] = {
      {"F", "forward"},
      {"B", "backward"},
      {"I", "backward for input"},
      {"W", "backward for weights"}};
  for (const auto &[cls, text] : items) {
    swatch(cls, x, w);
    swatch("o", x, w);
    caption(text);
  }
  swatch("F", x, w / 2);
  swatch("B", x + w / 2, w / 2);
  swatch("p", x, w);
  caption("overlapped forward & backward");
  out += "\n";
}

} // namespace

std::string renderSvg(const SimResult &result, const SvgOptions &options) {
  Layout l = makeLayout(result, options);
  double width = std::max(l.totalWidth(), 1100.0);
  std::string out = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" +
                    num(width) + "\" height=\"" + num(l.totalHeight()) +
                    "\" viewBox=\"0 0 " + num(width) + " " +
                    num(l.totalHeight()) + "\">\n<style>" + kStyle +
                    "</style>\n<rect width=\"100%\" height=\"100%\" "
                    "fill=\"#fff\"/>\n";
  std::string title =
      options.title.empty() ? defaultTitle(result) : options.title;
  out += "<text class=\"t\" x=\"" + num(l.plotLeft) + "\" y=\"20\">" +
         escapeXml(title) + "</text>\n";
  writeRankLabels(l, out);
  out += std::string("<g") + (l.outlines ? " class=\"k\"" : "") +
         " font-size=\"" + num(l.idFont) + "\">\n";
  for (size_t r = 0; r < l.numRanks; ++r) {
    RowPainter row(l, r);
    for (const ComputeInterval &iv : result.timeline[r].compute)
      row.add(iv);
    row.write(out);
  }
  out += "</g>\n";
  writeAxis(l, result.makespan, out);
  writeLegend(l, out);
  out += "</svg>\n";
  return out;
}

} // namespace dualpipe
