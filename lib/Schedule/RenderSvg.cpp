//===- RenderSvg.cpp - SVG timeline in the style of the DualPipe README ---===//
//
// Cells of one colour in one row are drawn as a single <path> so that a 64
// rank x 256 micro-batch schedule (tens of thousands of cells) stays a file
// of about a megabyte; outlines and ids are only drawn where they are
// legible, and style lives in one <style> block.
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
constexpr double kMinFont = 5;        // smaller text is omitted
constexpr double kMinOutlineWidth = 3; // thinner cells get no outline

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
    ".o{fill:none;stroke:#333;stroke-width:0.6}"
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
  double boxHeight = 0; // rowHeight minus the gap between rows
  double scale = 0;     // px per time unit
  double font = 0;      // id and rank-label font size
  size_t numRanks = 0;

  double x(double t) const { return plotLeft + t * scale; }
  double rowTop(size_t r) const { return plotTop + r * rowHeight; }
  double plotBottom() const { return plotTop + numRanks * rowHeight; }
  double totalWidth() const { return plotLeft + plotWidth + kMarginRight; }
  double totalHeight() const {
    return plotBottom() + kAxisHeight + kLegendHeight;
  }
};

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
  if (options.width > 0) {
    l.plotWidth = options.width;
  } else {
    double shortest = shortestOp(result);
    double natural = shortest > 0
                         ? result.makespan / shortest * kTargetOpWidth
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
  return l;
}

/// Cell geometry and fill paths of one rank row, plus its text.
class RowPainter {
public:
  RowPainter(const Layout &l, size_t rank, bool showIds)
      : l(l), top(l.rowTop(rank)), showIds(showIds) {}

  void add(const ComputeInterval &iv) {
    double x0 = l.x(iv.start), x1 = l.x(iv.end);
    if (!iv.paired) {
      box(iv.op, x0, x1);
      return;
    }
    double split = x0 + (x1 - x0) * iv.firstShare;
    box(iv.op, x0, split);
    box(*iv.paired, split, x1);
    if (x1 - x0 >= kMinOutlineWidth)
      rect(pairOutline, x0, x1);
  }

  void write(std::string &out) const {
    for (size_t k = 0; k < kKinds.size(); ++k)
      if (!fills[k].empty())
        out += "<path class=\"" + std::string(1, toChar(kKinds[k])) +
               "\" d=\"" + fills[k] + "\"/>\n";
    if (!outline.empty())
      out += "<path class=\"o\" d=\"" + outline + "\"/>\n";
    if (!pairOutline.empty())
      out += "<path class=\"p\" d=\"" + pairOutline + "\"/>\n";
    out += text;
  }

private:
  void rect(std::string &path, double x0, double x1) const {
    path += "M" + num(x0) + " " + num(top) + "h" + num(x1 - x0) + "v" +
            num(l.boxHeight) + "h" + num(x0 - x1) + "z";
  }

  void box(const ComputeOp &op, double x0, double x1) {
    rect(fills[kindIndex(op.kind)], x0, x1);
    if (x1 - x0 >= kMinOutlineWidth)
      rect(outline, x0, x1);
    if (showIds)
      label(std::to_string(op.mb), x0, x1);
  }

  /// The id at the largest size up to the row font that fits the cell.
  void label(const std::string &id, double x0, double x1) {
    double fit = (x1 - x0 - 2) / (0.62 * static_cast<double>(id.size()));
    double size = std::min(l.font, fit);
    if (size < kMinFont)
      return;
    text += "<text class=\"c\" x=\"" + num((x0 + x1) / 2) + "\" y=\"" +
            num(top + l.boxHeight / 2) + "\"";
    if (size < l.font)
      text += " font-size=\"" + num(size) + "\"";
    text += ">" + id + "</text>";
  }

  const Layout &l;
  double top;
  bool showIds;
  std::array<std::string, kKinds.size()> fills;
  std::string outline, pairOutline, text;
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
           num(l.rowTop(r) + l.boxHeight / 2) + "\">rank " +
           std::to_string(r) + "</text>";
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
           num(y + h / 2) + "\">" + text + "</text>";
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
  std::string title = options.title.empty() ? defaultTitle(result)
                                            : options.title;
  out += "<text class=\"t\" x=\"" + num(l.plotLeft) + "\" y=\"20\">" +
         escapeXml(title) + "</text>\n";
  writeRankLabels(l, out);
  out += "<g font-size=\"" + num(l.font) + "\">\n";
  for (size_t r = 0; r < l.numRanks; ++r) {
    RowPainter row(l, r, options.showIds);
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
