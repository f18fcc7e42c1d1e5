#!/usr/bin/python3
"""Builds a byte-level corpus from the Python standard library's sources.

Writes OUT/train.bin and OUT/val.bin (raw bytes, ``--data-format bytes``):
the files of /usr/lib/python3.11/*.py in name order, concatenated; the last
10% of the bytes are the validation split. Prints the sizes and the unigram
entropy of the training split in bits per byte, the loss a model that
ignores context cannot beat.
"""

from __future__ import annotations

import argparse
import glob
import math
import os
import sys
from collections import Counter

VAL_FRACTION = 0.1


def unigram_entropy(data: bytes) -> float:
    """Entropy in bits per byte of the byte frequencies of ``data``."""
    if not data:
        raise ValueError("data: empty corpus has no entropy")
    total = len(data)
    return -sum(n / total * math.log2(n / total) for n in Counter(data).values())


def build(source_glob: str) -> bytes:
    """The files matching ``source_glob``, in name order, concatenated."""
    files = sorted(glob.glob(source_glob))
    if not files:
        raise ValueError(f"source: no files match {source_glob}")
    parts = []
    for name in files:
        with open(name, "rb") as handle:
            parts.append(handle.read())
    return b"".join(parts)


def main() -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", help="output directory")
    parser.add_argument("--source", default="/usr/lib/python3.11/*.py",
                        help="glob of the text files (default: %(default)s)")
    args = parser.parse_args()
    data = build(args.source)
    split = len(data) - int(len(data) * VAL_FRACTION)
    train, val = data[:split], data[split:]
    os.makedirs(args.out, exist_ok=True)
    for name, part in (("train.bin", train), ("val.bin", val)):
        with open(os.path.join(args.out, name), "wb") as handle:
            handle.write(part)
    print(f"train.bin {len(train)} bytes, val.bin {len(val)} bytes")
    print(f"unigram entropy: {unigram_entropy(train):.4f} bits/byte")
    return 0


if __name__ == "__main__":
    sys.exit(main())
