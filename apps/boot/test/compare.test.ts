import { describe, expect, it } from 'vitest';
import { compare, parseQemuArgs, bootScenario } from '../src/index.js';

describe('pcisim compare on q35 (the 2020 threads)', () => {
  const c = compare(parseQemuArgs(['-M', 'q35']));
  const row = (name: string) => {
    const r = c.rows.find((x) => x.name === name);
    if (!r) throw new Error(`no row ${name}`);
    return r;
  };

  it('the cover letter: ~8.2k absent accesses; KVM instead of userspace saves ~0.04 s', () => {
    expect(row('baseline').config.absent).toBe(8231);
    const saved = row('mmconfig-v2').timeNs - row('pci-hole+v2').timeNs;
    expect(row('pci-hole+v2').exits.inKernel - row('mmconfig-v2').exits.inKernel).toBe(8193);
    expect(saved).toBe(8193 * (6000 - 1000));
  });

  it('pci-hole under a conf1 guest changes nothing, and says why', () => {
    expect(row('pci-hole').savedNs).toBe(0);
    expect(row('pci-hole').noEffect).toMatch(/0xcf8\/0xcfc/);
  });

  it('pci-hole with an MMCONFIG guest: no userspace exit for an absent function', () => {
    const r = bootScenario(parseQemuArgs(['-M', 'q35', '-cpu', 'qemu64,kvm-pci-go-mmconfig=on']), {
      kvm: ['pci-hole'],
      guestPatch: 'mmconfig-v2',
      keepAccesses: true,
    });
    // the MMIO exits left are exactly the ECAM accesses to present functions
    const present = new Set(r.found.map((f) => (f.bus << 8) | f.devfn));
    const ecamPresent = r.accesses!.filter((a) => a.phase === 'L' && a.mech === 'mmcfg' && present.has((a.bus << 8) | a.devfn)).length;
    expect(r.report.phases.linux.exits!.KVM_EXIT_MMIO).toBe(ecamPresent);
  });

  it('MMCONFIG trades a userspace port exit plus a coalesced in-kernel 0xcf8 write for one MMIO exit', () => {
    expect(row('baseline').exits.KVM_EXIT_IO).toBe(8820 + 2);
    expect(row('baseline').exits.inKernel).toBe(8820 + 3);
    // what is left on ports under v2: the early conf1 reads before pci_arch_init and the type-1 probe
    expect(row('mmconfig-v2').exits.KVM_EXIT_IO + row('mmconfig-v2').exits.KVM_EXIT_MMIO).toBe(8822 + 47);
    expect(row('baseline').timeNs - row('mmconfig-v2').timeNs).toBe(8760 * 1000);
  });

  it('ro-page: one EPT fault per distinct 4 KiB page touched; the 2 MiB variant one per 2 MiB', () => {
    const r = bootScenario(parseQemuArgs(['-M', 'q35', '-cpu', 'qemu64,kvm-pci-go-mmconfig=on']), {
      kvm: ['ro-page'],
      guestPatch: 'mmconfig-v2',
      keepAccesses: true,
    });
    const present = new Set(r.found.map((f) => (f.bus << 8) | f.devfn));
    const pages = new Set<number>();
    // a 2 MiB SPTE only where the whole 2 MiB frame is absent (two buses with no function); elsewhere 4 KiB
    const presentFrames = new Set([...present].map((p) => (p << 12) >>> 21));
    const mapped2m = new Set<string>();
    for (const a of r.accesses!) {
      if (a.phase !== 'L' || a.mech !== 'mmcfg' || a.write || present.has((a.bus << 8) | a.devfn)) continue;
      const off = (a.bus << 20) | (a.devfn << 12);
      pages.add(off >>> 12);
      mapped2m.add(presentFrames.has(off >>> 21) ? `4k:${off >>> 12}` : `2m:${off >>> 21}`);
    }
    expect(row('ro-page+v2').eptFaults).toBe(pages.size);
    expect(row('ro-page-2m+v2').eptFaults).toBe(mapped2m.size);
    expect(row('ro-page+v2').hostMemoryBytes).toBe(4096);
    expect(row('ro-page-full+v2').hostMemoryBytes).toBeGreaterThan(255 << 20);
  });

  it('pci=lastbus=0 and an accurate MCFG remove the 8160 peer-bus reads', () => {
    expect(row('baseline').config.accesses.total - row('lastbus=0').config.accesses.total).toBe(8160);
    expect(row('baseline').config.accesses.total - row('accurate-mcfg').config.accesses.total).toBe(8160);
  });

  it('PV enumeration probes no absent function', () => {
    expect(row('pv-enumeration').config.absent).toBe(0);
  });
});
