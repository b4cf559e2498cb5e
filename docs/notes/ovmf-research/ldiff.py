#!/usr/bin/env python3
"""Diff the Linux (L) phase of two recordings access by access (difflib on (mech,rw,bdf,reg/size,value)).
Usage: ldiff.py A.accesses.txt.gz B.accesses.txt.gz [--values]   (without --values, values are ignored)"""
import gzip, sys, difflib, collections
import os
_ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..")  # the repository
MAIN = _ROOT; SHARED = os.environ.get("PCISIM_SHARED", os.path.join(_ROOT, "..", "shared"))
def load(p, ph="L", values=False):
    out = []
    with gzip.open(p, "rt") as f:
        for n, line in enumerate(f):
            if line.startswith("#"): continue
            t = line.split()
            if t[0] != ph: continue
            out.append((n, tuple(t[1:6] if values else t[1:5]), line.strip()))
    return out
if __name__ == "__main__":
    values = "--values" in sys.argv
    a, b = load(sys.argv[1], values=values), load(sys.argv[2], values=values)
    sm = difflib.SequenceMatcher(None, [x[1] for x in a], [x[1] for x in b], autojunk=False)
    tot = collections.Counter()
    for op, i1, i2, j1, j2 in sm.get_opcodes():
        if op == "equal": tot["equal"] += i2 - i1; continue
        tot["A-only"] += i2 - i1; tot["B-only"] += j2 - j1
        print(f"== {op} A[{i1}:{i2}] B[{j1}:{j2}]")
        for x in a[i1:i2][:40]: print("  -", x[0], x[2])
        if i2 - i1 > 40: print(f"  - ... {i2-i1-40} more")
        for x in b[j1:j2][:40]: print("  +", x[0], x[2])
        if j2 - j1 > 40: print(f"  + ... {j2-j1-40} more")
    print(dict(tot), "A", len(a), "B", len(b))
