"""Fails unless a dualpipe-run --losses-json file holds evaluations after
exactly the given steps, in order, and the last validation loss is below the
first.

    eval-falls.py LOSSES.json STEP...
"""
import json
import sys


def main() -> None:
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    with open(sys.argv[1]) as f:
        evals = json.load(f)["evals"]
    steps = [e["step"] for e in evals]
    expected = [int(s) for s in sys.argv[2:]]
    if steps != expected:
        sys.exit("%s: evaluations after steps %s, expected %s" % (
            sys.argv[1], steps, expected))
    first, last = evals[0]["val_loss"], evals[-1]["val_loss"]
    if not last < first:
        sys.exit("%s: the validation loss went from %r to %r" % (
            sys.argv[1], first, last))
    print("validation loss fell from %.6g to %.6g" % (first, last))


if __name__ == "__main__":
    main()
