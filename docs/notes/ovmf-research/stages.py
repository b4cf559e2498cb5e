#!/usr/bin/env python3
"""Split the firmware (F) phase of an OVMF recording into the stages described in ../ovmf-research.md and
count accesses per stage; also list the firmware accesses the README's rule puts into the L phase.
Usage: stages.py [scenario ...]   (default: both OVMF recordings under $PCISIM_SHARED/reference/ovmf)
Stage boundaries are found from access patterns (see the md file); trace line numbers are 1-based over the
access lines of the .accesses.txt.gz (comment line excluded), as printed by runs.py."""
import gzip, os, sys, collections
import os
_ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..")  # the repository
SHARED = os.environ.get("PCISIM_SHARED", os.path.join(_ROOT, "..", "shared"))
def load(p):
    out = []
    with gzip.open(p, "rt") as f:
        for line in f:
            if line.startswith("#"): continue
            ph, mech, rw, bdf, rs, val = line.split(); reg, size = rs.split("/")
            out.append(dict(ph=ph, mech=mech, rw=rw, bdf=bdf, reg=int(reg, 16), size=int(size), val=int(val, 16)))
    return out
def is_(a, rw, bdf, reg, size=None, val=None):
    return a["rw"] == rw and (bdf is None or a["bdf"] == bdf) and a["reg"] == reg and (size is None or a["size"] == size) and (val is None or (a["val"] & ((1 << 8*a["size"]) - 1)) == val)
def split(acc):
    F = [a for a in acc if a["ph"] == "F"]
    st = []  # (name, start, end) 0-based inclusive
    pei_end = max(i for i, a in enumerate(F) if a["mech"] == "conf1")
    st.append(("PEI (conf1): AcpiTimerLib ctors + PlatformPei MCH/LPC init", 0, pei_end))
    starts = [i for i in range(pei_end + 1, len(F) - 1) if is_(F[i], "r", "00:00.0", 0, 4) and is_(F[i+1], "r", "00:00.0", 0, 4)]
    st.append(("DXE AcpiTimerLib ctors (PMBASE reads) before PciBusDxe", pei_end + 1, starts[0] - 1))
    # the last pass ends at the last read of 00:1f.7 before the first BAR programming write
    sized = lambda s, e: any(F[k]["rw"] == "w" and F[k]["reg"] == 0x10 and F[k]["val"] & 0xffffffff == 0xffffffff for k in range(s, e + 1))
    ends = []
    for n, s in enumerate(starts):
        e = starts[n+1] - 1 if n + 1 < len(starts) else None
        if e is None:
            e = max(k for k in range(s, len(F)) if is_(F[k], "r", "00:1f.7", 0, 4) and all(not is_(F[j], "w", None, 4, 2, 0x27) for j in range(s, k)))  # noqa
        ends.append(e)
    names = {0: "ResetAllPpbBusNumber (1st PciRootBridgeEnumerator)", 1: "PciScanBus (PCI Bus First Scanning)",
             2: "ResetAllPpbBusNumber (hot-plug re-scan reset)", 3: "ResetAllPpbBusNumber (2nd PciRootBridgeEnumerator)",
             4: "PciScanBus (PCI Bus Second Scanning)", 5: "PciPciDeviceInfoCollector (resource allocation phase)"}
    for n, (s, e) in enumerate(zip(starts, ends)):
        st.append((f"pass {n+1}: " + names.get(n, "?") + (" [BAR sizing]" if sized(s, e) else ""), s, e))
    last = ends[-1]
    attr = next(k for k in range(last, len(F)) if is_(F[k], "w", None, 4, 2, 0x27)) - 1  # its PCI_READ_COMMAND_REGISTER
    st.append(("PciHostBridgeResourceAllocator: ProgramResource (BARs, windows) + ProcessOptionRom", last + 1, attr - 1))
    reg = next(k for k in range(attr, len(F)) if is_(F[k], "w", None, 0x3c, 1, 0xff))
    st.append(("PciHostBridgeDeviceAttribute: DetermineDeviceAttribute (cmd/bridge-ctl test, MWI, FastB2B)", attr, reg - 1))
    # RegisterPciDevice writes INT_LINE=0xff; the stage runs until the first 16-dword header read by a consumer
    hdr = next(k for k in range(reg, len(F) - 1) if is_(F[k], "r", None, 0, 4) and is_(F[k+1], "r", F[k]["bdf"], 4, 4))
    st.append(("StartPciDevices (RegisterPciDevice INT_LINE=0xff, bridge ENABLE) + AcpiPlatformDxe Enable/RestorePciDecoding", reg, hdr - 1))
    pirq = next((k for k in range(hdr, len(F)) if is_(F[k], "w", "00:1f.0", 0x60, 1)), len(F))
    st.append(("BDS: PlatformBootManagerLib (DetectAndPreparePlatformPciDevicePaths, VBE shim PAM1) + driver Supported()/Start()", hdr, pirq - 1))
    if pirq < len(F):
        st.append(("BDS: PciAcpiInitialization (PIRQ routing + SetPciIntLine) + trailing PMBASE read", pirq, len(F) - 1))
    return F, st
def main():
    scen = sys.argv[1:] or ["q35-ovmf-default", "q35-ovmf-rootports"]
    for s in scen:
        acc = load(os.path.join(SHARED, "reference/ovmf", s + ".accesses.txt.gz"))
        F, st = split(acc)
        print(f"## {s}: F={len(F)}")
        tot = 0
        for name, a, b in st:
            seg = F[a:b+1]; c = collections.Counter((x["mech"], x["rw"]) for x in seg); tot += len(seg)
            print(f"  lines {a+1}-{b+1} ({len(seg)}): {name}  " + " ".join(f"{m}/{r}={n}" for (m, r), n in sorted(c.items())))
        assert tot == len(F), (tot, len(F))
        # firmware work after the last fw_cfg access: L accesses before Linux's first access (conf1 00:18.0 0x68)
        L0 = len(F); k = L0
        while acc[k]["mech"] == "mmcfg": k += 1
        print(f"  L lines {L0+1}-{k} ({k-L0}) are firmware/EFI-stub work before ExitBootServices; Linux starts at line {k+1}:"
              f" {acc[k]['mech']} {acc[k]['rw']} {acc[k]['bdf']} {acc[k]['reg']:#x}")
        Lt = sum(1 for a in acc if a["ph"] == "L")
        print(f"  proposed split: firmware {len(F) + k - L0}, Linux {Lt - (k - L0)} (README rule: {len(F)} / {Lt})")
if __name__ == "__main__":
    main()
