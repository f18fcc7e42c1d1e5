#!/usr/bin/python3
"""Compares the schedule kinds for measured costs and draws the best one.

Costs are per rank-sized chunk of the model, in any time unit (here
milliseconds as a profiler might report them: forward 1.1, full backward
2.3, weight part 1.0, an overlapped forward-backward pair 2.9). Run from
the repository root (see docs/python.md):

    PYTHONPATH=build/python /usr/bin/python3 examples/python/plan.py [OUT.svg]
"""

import sys

import dualpipe

RANKS, MICROBATCHES = 8, 20
COSTS = {"f": 1.1, "b": 2.3, "w": 1.0, "fb": 2.9}


def main() -> int:
    out = sys.argv[1] if len(sys.argv) > 1 else "plan.svg"
    result = dualpipe.plan(RANKS, MICROBATCHES, COSTS, max_activations=16)
    print(result, end="")
    best = dualpipe.schedule(result.recommended, RANKS, MICROBATCHES,
                             cost=COSTS)
    # The planner's costs are per rank-sized chunk; a kind with more stages
    # than ranks splits each chunk evenly.
    scale = RANKS / best.stages
    report = best.simulate({k: v * scale for k, v in COSTS.items()})
    row = next(r for r in result.rows if r.kind == best.kind)
    assert report.makespan == row.makespan, (report.makespan, row.makespan)
    print(f"{best.kind}: makespan {report.makespan:g}, bubble "
          f"{report.bubble_ratio:.2%}, peak activations "
          f"{report.peak_activations}")
    with open(out, "w", encoding="utf-8") as svg:
        svg.write(best.svg({k: v * scale for k, v in COSTS.items()}))
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
