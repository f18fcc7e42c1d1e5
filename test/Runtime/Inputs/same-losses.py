"""Fails unless two dualpipe-run outputs print the same loss text for every
step in FIRST..LAST (both included): the "step K: loss L" lines.

    same-losses.py A.out B.out FIRST LAST
"""
import re
import sys
from typing import Dict


def losses(path: str) -> Dict[int, str]:
    """Step number -> loss text of a dualpipe-run output file."""
    found = {}
    with open(path) as out:
        for line in out:
            m = re.match(r"step (\d+): loss (\S+)", line)
            if m:
                found[int(m.group(1))] = m.group(2)
    return found


def main() -> None:
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    a, b = losses(sys.argv[1]), losses(sys.argv[2])
    first, last = int(sys.argv[3]), int(sys.argv[4])
    for step in range(first, last + 1):
        if step not in a or step not in b:
            sys.exit("step %d missing: %s has %s, %s has %s" % (
                step, sys.argv[1], sorted(a), sys.argv[2], sorted(b)))
        if a[step] != b[step]:
            sys.exit("step %d: loss %s in %s, %s in %s" % (
                step, a[step], sys.argv[1], b[step], sys.argv[2]))
    print("same losses for steps %d-%d" % (first, last))


if __name__ == "__main__":
    main()
