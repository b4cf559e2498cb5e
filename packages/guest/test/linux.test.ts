import { describe, expect, it } from 'vitest';
import { Linux, type BootInfo, type Cpu } from '../src/index.js';
import { fakeCpu, hostBridge, noAcpi } from './helpers.js';



describe('Linux 6.1 PCI init on a fake CPU', () => {
  it('finds the one function and reads all-ones from every other slot', () => {
    const { cpu } = fakeCpu(new Map([[0, hostBridge()]]));
    const found = new Linux(cpu, noAcpi('')).boot();
    expect(found).toEqual([{ bus: 0, devfn: 0, vendor: 0x8086, device: 0x29c0, classCode: 0x060000, hdrType: 0 }]);
  });

  it('without MCFG there is no peer-bus scan; pci=lastbus=3 scans buses 1..3, 32 slots each', () => {
    const a = fakeCpu(new Map([[0, hostBridge()]]));
    new Linux(a.cpu, noAcpi('')).boot();
    const b = fakeCpu(new Map([[0, hostBridge()]]));
    new Linux(b.cpu, noAcpi('pci=lastbus=3')).boot();
    const peer = b.log.filter((l) => /^r (1|2|3)[0-9a-f]{2} 0$/.test(l));
    expect(peer).toHaveLength(3 * 32);
    expect(b.log.length - a.log.length).toBe(3 * 32);
  });

  it('the Intel CPU makes no AMD probes of 00:18.0', () => {
    const { cpu, log } = fakeCpu(new Map([[0, hostBridge()]]));
    new Linux(cpu, noAcpi('')).boot();
    expect(log.filter((l) => l === 'r c0 68')).toHaveLength(0);
    const amd = fakeCpu(new Map([[0, hostBridge()]]), 'AuthenticAMD');
    new Linux(amd.cpu, noAcpi('')).boot();
    expect(amd.log.filter((l) => l === 'r c0 68')).toHaveLength(2);
  });

  it('pci=off leaves no config access method', () => {
    const { cpu, log } = fakeCpu(new Map([[0, hostBridge()]]));
    const g = new Linux(cpu, noAcpi('pci=off'));
    g.boot();
    expect(g.baseAccess).toBe('none');
    expect(log.filter((l) => l.startsWith('r 0 '))).toHaveLength(0);
  });
});

describe('the 2020 MMCONFIG patches', () => {
  /** a fake q35-like machine with conf1 and an ECAM window at 0xb0000000, KVM signature and PV bits */
  function kvmMachine(pvEax: number) {
    const hb = hostBridge();
    const log: string[] = [];
    let latch = 0;
    const str = (x: string, o: number) => x.charCodeAt(o) | (x.charCodeAt(o + 1) << 8) | (x.charCodeAt(o + 2) << 16) | (x.charCodeAt(o + 3) << 24);
    const cfg = (bdf: number, reg: number, size: number) => {
      if (bdf !== 0) return size === 4 ? 0xffffffff : size === 2 ? 0xffff : 0xff;
      let v = 0;
      for (let i = size - 1; i >= 0; i--) v = v * 256 + (hb[reg + i] ?? 0);
      return v;
    };
    const cpu: Cpu = {
      inb: (p) => (log.push('pio'), p === 0xcf8 ? latch & 0xff : cfg((latch >>> 8) & 0xffff, (latch & 0xfc) | (p & 3), 1)),
      inw: (p) => (log.push('pio'), cfg((latch >>> 8) & 0xffff, (latch & 0xfc) | (p & 2), 2)),
      inl: (p) => (log.push('pio'), p === 0xcf8 ? latch : cfg((latch >>> 8) & 0xffff, latch & 0xfc, 4)),
      outb: () => void log.push('pio'),
      outw: () => void log.push('pio'),
      outl: (p, v) => {
        log.push('pio');
        if (p === 0xcf8) latch = v >>> 0;
      },
      readb: (a) => (log.push('mmio'), cfg((a - 0xb0000000) >>> 12, a & 0xfff, 1)),
      readw: (a) => (log.push('mmio'), cfg((a - 0xb0000000) >>> 12, a & 0xfff, 2)),
      readl: (a) => (log.push('mmio'), cfg((a - 0xb0000000) >>> 12, a & 0xfff, 4)),
      writeb: () => void log.push('mmio'),
      writew: () => void log.push('mmio'),
      writel: () => void log.push('mmio'),
      cpuid: (leaf) => {
        if (leaf === 0) return { eax: 1, ebx: str('GenuineIntel', 0), edx: str('GenuineIntel', 4), ecx: str('GenuineIntel', 8) };
        if (leaf === 0x40000000) return { eax: 0x40000001, ebx: str('KVMKVMKVM\0\0\0', 0), ecx: str('KVMKVMKVM\0\0\0', 4), edx: str('KVMKVMKVM\0\0\0', 8) };
        if (leaf === 0x40000001) return { eax: pvEax, ebx: 0, ecx: 0, edx: 0 };
        return { eax: 0x60fb1, ebx: 0, ecx: 0, edx: 1 << 9 };
      },
      now: () => 0,
      sleepNs: () => {},
    };
    const info: BootInfo = {
      cmdline: '',
      e820: [{ addr: 0xb0000000, size: 0x10000000, type: 2 }],
      acpi: { mcfg: [{ base: 0xb0000000, segment: 0, startBus: 0, endBus: 255 }], hostBridges: [], links: [] },
      dmiBiosDate: '04/01/2014',
    };
    return { cpu, info, log };
  }

  it('v2 switches base access to MMCONFIG only when the PV feature bit (15 by default) is set', () => {
    const off = kvmMachine(0);
    const a = new Linux(off.cpu, off.info, { patch: 'mmconfig-v2' });
    a.boot();
    expect(a.baseAccess).toBe('conf1');
    const on = kvmMachine(1 << 15);
    const b = new Linux(on.cpu, on.info, { patch: 'mmconfig-v2' });
    b.boot();
    expect(b.baseAccess).toBe('mmcfg');
    expect(b.log).toContain('PCI: Using MMCONFIG for base access');
    // the peer-bus scan (buses 1..255, 32 slots) is now one MMIO access each instead of two port accesses
    expect(on.log.filter((x) => x === 'mmio').length).toBeGreaterThanOrEqual(255 * 32);
  });

  it('v2 honours a configured bit number; v1 needs no bit at all', () => {
    const m = kvmMachine(1 << 18);
    const g = new Linux(m.cpu, m.info, { patch: 'mmconfig-v2', pvFeatureBit: 18 });
    g.boot();
    expect(g.baseAccess).toBe('mmcfg');
    const v1 = kvmMachine(0);
    const g1 = new Linux(v1.cpu, v1.info, { patch: 'mmconfig-v1' });
    g1.boot();
    expect(g1.baseAccess).toBe('mmcfg');
  });
});

describe('the kernel version (src/version.ts)', () => {
  it('a gate names the upstream change and its first release; a build option is tested as IS_ENABLED()', async () => {
    const { change, config, kernelBuild, kernelVersion, since } = await import('../src/version.js');
    const k = { version: kernelBuild('linux-6.1-cloud') };
    expect(k.version.code).toBe(kernelVersion(6, 1, 192));
    expect(since(k, change('a change of 6.1.100', 6, 1, 100))).toBe(true);
    expect(since(k, change('PCI: Save state of devices on pci_device_add()', 6, 12))).toBe(false);
    expect(config(k, 'HOTPLUG_PCI_SHPC')).toBe(false);
    expect(config({ version: kernelBuild('linux-6.1-generic') }, 'HOTPLUG_PCI_SHPC')).toBe(true);
    expect(new Linux(fakeCpu(new Map()).cpu, noAcpi(''), { flavour: 'linux-6.1-generic' }).version.flavour).toBe('linux-6.1-generic');
  });
});
