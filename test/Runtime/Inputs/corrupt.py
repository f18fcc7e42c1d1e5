"""Writes a copy of a program file with one field damaged.

    corrupt.py IN OUT MUTATION

MUTATION is one of: version, missing-seed, misplaced-stage, unmatched-send,
truncated.
"""
import json
import sys

src, dst, mutation = sys.argv[1:4]
with open(src) as f:
    program = json.load(f)


def first(rank, op):
    return next(i for i in program["programs"][rank]["instructions"]
                if i["op"] == op)


if mutation == "version":
    program["version"] = 99
elif mutation == "missing-seed":
    del program["model"]["seed"]
elif mutation == "misplaced-stage":
    # Rank 0 of a 4-rank standard placement holds stage 0 only.
    first(0, "forward")["stage"] = 2
elif mutation == "unmatched-send":
    # A second copy of rank 0's first send: no receive matches it.
    instructions = program["programs"][0]["instructions"]
    send = first(0, "send")
    instructions.insert(instructions.index(send) + 1, dict(send))
elif mutation == "truncated":
    with open(dst, "w") as f:
        f.write(json.dumps(program)[:1000])
    sys.exit(0)
else:
    sys.exit("unknown mutation " + mutation)

with open(dst, "w") as f:
    json.dump(program, f, indent=1)
