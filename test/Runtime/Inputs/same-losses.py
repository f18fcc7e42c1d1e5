"""Fails unless two dualpipe-run --losses-json files hold bitwise the same
loss, and the same micro-batch losses, for every step in FIRST..LAST (both
included, counted over the whole run as the "step K" lines count them), and
the same validation loss for every evaluation in that range that both ran.

    same-losses.py A.json B.json FIRST LAST [--evals-only]

Evaluation K follows step K (0: before the first step); --evals-only
compares only the evaluations, for a resumed run that lacks the steps.

The files' numbers are shortest round-trip decimals, so equal floats here
are equal doubles there; the printed "step K: loss" lines have only 9
digits and would hide a difference in the last bits.
"""
import json
import struct
import sys
from typing import Dict, List, Tuple

Step = Tuple[float, List[float]]


def steps(path: str) -> Dict[int, Step]:
    """Step number -> (loss, micro-batch losses) of a --losses-json file."""
    with open(path) as f:
        data = json.load(f)
    first = data["first_step"]
    return {first + i + 1: (loss, mbs) for i, (loss, mbs) in
            enumerate(zip(data["losses"], data["microbatch_losses"]))}


def evals(path: str) -> Dict[int, float]:
    """Steps trained -> validation loss of each evaluation in the file."""
    with open(path) as f:
        return {e["step"]: e["val_loss"] for e in json.load(f)["evals"]}


def bits(values: List[float]) -> List[str]:
    """The IEEE-754 bytes of each value, so that -0.0 != 0.0 and NaNs
    compare by payload."""
    return [struct.pack("<d", v).hex() for v in values]


def main() -> None:
    if len(sys.argv) not in (5, 6) or sys.argv[5:] not in ([],
                                                           ["--evals-only"]):
        sys.exit(__doc__)
    a, b = steps(sys.argv[1]), steps(sys.argv[2])
    first, last = int(sys.argv[3]), int(sys.argv[4])
    trained = range(max(first, 1), last + 1) if len(sys.argv) == 5 else []
    for step in trained:
        if step not in a or step not in b:
            sys.exit("step %d missing: %s has %s, %s has %s" % (
                step, sys.argv[1], sorted(a), sys.argv[2], sorted(b)))
        (la, ma), (lb, mb) = a[step], b[step]
        if bits([la] + ma) != bits([lb] + mb):
            sys.exit("step %d: loss %r %r in %s, %r %r in %s" % (
                step, la, ma, sys.argv[1], lb, mb, sys.argv[2]))
    va, vb = evals(sys.argv[1]), evals(sys.argv[2])
    both = sorted(k for k in va if k in vb and first <= k <= last)
    for step in both:
        if bits([va[step]]) != bits([vb[step]]):
            sys.exit("eval step %d: val loss %r in %s, %r in %s" % (
                step, va[step], sys.argv[1], vb[step], sys.argv[2]))
    if len(sys.argv) == 6 and not both:
        sys.exit("no evaluation in %d-%d in both files" % (first, last))
    print("bitwise same losses for steps %d-%d and %d evaluations" % (
        first, last, len(both)))


if __name__ == "__main__":
    main()
