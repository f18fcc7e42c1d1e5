"""Fails unless dualpipe-run's "step N: loss X" lines fall from first to last
and every step's loss is no higher than the previous one's."""
import re
import sys

losses = [float(m.group(1)) for m in
          (re.match(r"step \d+: loss (\S+)", line) for line in sys.stdin) if m]
if len(losses) < 2:
    sys.exit("fewer than two losses in the output")
rises = [i + 2 for i in range(len(losses) - 1) if losses[i + 1] > losses[i]]
if rises or not losses[-1] < losses[0]:
    sys.exit("loss does not fall: %s" % losses)
print("loss falls: %s" % losses)
