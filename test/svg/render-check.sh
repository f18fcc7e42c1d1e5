#!/usr/bin/env bash
# Renders an SVG timeline with headless chromium and checks the screenshot:
# the expected size, not blank, and the forward (#f5b041) and backward
# (#6ccf4c) cell colours of RenderSvg.cpp present.
#
# usage: render-check.sh FILE.svg [OUT.png]
# The window size is the SVG's width/height attributes (capped at 8000x4000).
# Exit status: 0 pass, 1 fail, 2 usage, 77 skipped (no chromium).
set -euo pipefail

if [[ $# -lt 1 || $# -gt 2 ]]; then
  echo "usage: $0 FILE.svg [OUT.png]" >&2
  exit 2
fi
svg=$(realpath "$1")
if [[ ! -f "$svg" ]]; then
  echo "render-check: no such file: $1" >&2
  exit 2
fi

chrome=""
for c in chromium chromium-browser google-chrome; do
  if command -v "$c" >/dev/null 2>&1; then
    chrome=$(command -v "$c")
    break
  fi
done
if [[ -z "$chrome" ]]; then
  echo "skipped: no chromium"
  exit 77
fi

read -r width height < <(/usr/bin/python3 - "$svg" <<'EOF'
import re, sys
head = open(sys.argv[1], encoding="utf-8").read(4096)
m = re.search(r'<svg[^>]*\bwidth="([\d.]+)"[^>]*\bheight="([\d.]+)"', head)
if not m:
    sys.exit("render-check: no width/height on the <svg> element")
w, h = (min(int(float(v) + 0.999), cap) for v, cap in zip(m.groups(), (8000, 4000)))
print(w, h)
EOF
)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
png=${2:-$work/out.png}
# The chromium log goes to a file: it is noisy even when all is well.
if ! timeout 120 "$chrome" --headless --no-sandbox --disable-gpu --disable-quic \
    --no-first-run --disable-background-networking --disable-component-update \
    --disable-sync --hide-scrollbars --user-data-dir="$work/profile" \
    --screenshot="$png" --window-size="$width,$height" "file://$svg" \
    >"$work/chromium.log" 2>&1; then
  echo "render-check: chromium failed:" >&2
  tail -n 20 "$work/chromium.log" >&2
  exit 1
fi

/usr/bin/python3 - "$png" "$width" "$height" <<'EOF'
import struct, sys, zlib

path, want_w, want_h = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
data = open(path, "rb").read()
if data[:8] != b"\x89PNG\r\n\x1a\n":
    sys.exit(f"render-check: {path} is not a PNG")

chunks, pos = {}, 8
while pos < len(data):
    length, kind = struct.unpack(">I4s", data[pos:pos + 8])
    chunks.setdefault(kind, []).append(data[pos + 8:pos + 8 + length])
    pos += 12 + length
w, h, depth, ctype = struct.unpack(">IIBB", chunks[b"IHDR"][0][:10])
if (w, h) != (want_w, want_h):
    sys.exit(f"render-check: screenshot is {w}x{h}, want {want_w}x{want_h}")
channels = {2: 3, 6: 4}.get(ctype)
if depth != 8 or channels is None:
    sys.exit(f"render-check: unsupported PNG (depth {depth}, colour type {ctype})")

raw = zlib.decompress(b"".join(chunks[b"IDAT"]))
stride = w * channels
rows, prev = [], bytearray(stride)
for y in range(h):
    filt = raw[y * (stride + 1)]
    line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
    for i in range(stride):
        a = line[i - channels] if i >= channels else 0
        b = prev[i]
        c = prev[i - channels] if i >= channels else 0
        if filt == 1:
            line[i] = (line[i] + a) & 255
        elif filt == 2:
            line[i] = (line[i] + b) & 255
        elif filt == 3:
            line[i] = (line[i] + (a + b) // 2) & 255
        elif filt == 4:
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    rows.append(line)
    prev = line

counts = {}
for line in rows:
    for x in range(0, stride, channels):
        px = bytes(line[x:x + 3])
        counts[px] = counts.get(px, 0) + 1
white = counts.get(b"\xff\xff\xff", 0)
inked = w * h - white
forward = counts.get(bytes.fromhex("f5b041"), 0)
backward = counts.get(bytes.fromhex("6ccf4c"), 0)
print(f"render-check: {w}x{h}, {len(counts)} colours, {inked} non-white pixels, "
      f"{forward} forward and {backward} backward pixels")
if len(counts) < 4 or inked < w * h // 100:
    sys.exit("render-check: the screenshot is blank")
if forward == 0 or backward == 0:
    sys.exit("render-check: no forward/backward cells in the screenshot")
EOF
