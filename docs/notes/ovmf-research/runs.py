#!/usr/bin/env python3
"""Print an OVMF/SeaBIOS access trace compressed into runs: consecutive accesses to the same bdf+mech+phase
become one line 'first-last phase mech bdf: reg list'. Usage: runs.py FILE.accesses.txt.gz [F|L]"""
import gzip, signal, sys
signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # quiet under `| head`
import os
_ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..")  # the repository
SHARED = os.environ.get("PCISIM_SHARED", os.path.join(_ROOT, "..", "shared"))  # shared folder
def load(path):
    out = []
    with gzip.open(path, "rt") as f:
        for line in f:
            if line.startswith("#"): continue
            ph, mech, rw, bdf, rs, val = line.split()
            reg, size = rs.split("/")
            out.append((ph, mech, rw, bdf, int(reg, 16), int(size), int(val, 16)))
    return out
def fmt(a):
    ph, mech, rw, bdf, reg, size, val = a
    mask = (1 << (8 * size)) - 1
    return f"{rw}{reg:x}/{size}" + (f"={val & mask:x}" if rw == "w" else f":{val & mask:x}")
if __name__ == "__main__":
    acc = load(sys.argv[1]); ph = sys.argv[2] if len(sys.argv) > 2 else None
    i = 0; n = 0
    while i < len(acc):
        j = i
        while j + 1 < len(acc) and acc[j+1][:2] == acc[i][:2] and acc[j+1][3] == acc[i][3]: j += 1
        if ph is None or acc[i][0] == ph:
            print(f"{i+1}-{j+1} {acc[i][0]} {acc[i][1]} {acc[i][3]} ({j-i+1}): " + " ".join(fmt(a) for a in acc[i:j+1]))
        i = j + 1
