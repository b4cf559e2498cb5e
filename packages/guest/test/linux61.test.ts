import { describe, expect, it } from 'vitest';
import { Linux61, type BootInfo, type Cpu } from '../src/index.js';

/** A fake machine: a conf1 port pair over a map of config spaces; everything absent reads all-ones. */
function fakeCpu(devices: Map<number, Uint8Array>, vendor = 'GenuineIntel') {
  let latch = 0;
  const log: string[] = [];
  const space = () => devices.get((latch >>> 8) & 0xffff);
  const read = (port: number, size: number) => {
    if (port === 0xcf8) return latch;
    const s = space();
    const reg = (latch & 0xfc) | (port & 3);
    log.push(`r ${((latch >>> 8) & 0xffff).toString(16)} ${reg.toString(16)}`);
    if (!s) return size === 4 ? 0xffffffff : size === 2 ? 0xffff : 0xff;
    let v = 0;
    for (let i = size - 1; i >= 0; i--) v = v * 256 + (s[reg + i] ?? 0);
    return v;
  };
  const str = (x: string, o: number) => x.charCodeAt(o) | (x.charCodeAt(o + 1) << 8) | (x.charCodeAt(o + 2) << 16) | (x.charCodeAt(o + 3) << 24);
  const cpu: Cpu = {
    inb: (p) => read(p, 1),
    inw: (p) => read(p, 2),
    inl: (p) => read(p, 4),
    outb: () => {},
    outw: () => {},
    outl: (p, v) => {
      if (p === 0xcf8) latch = v >>> 0;
    },
    readb: () => 0xff,
    readw: () => 0xffff,
    readl: () => 0xffffffff,
    writeb: () => {},
    writew: () => {},
    writel: () => {},
    cpuid: (leaf) => (leaf === 0 ? { eax: 1, ebx: str(vendor, 0), edx: str(vendor, 4), ecx: str(vendor, 8) } : { eax: 0x60fb1, ebx: 0, ecx: 0, edx: 1 << 9 }),
    now: () => 0,
    sleepNs: () => {},
  };
  return { cpu, log };
}

function hostBridge(): Uint8Array {
  const c = new Uint8Array(256);
  c.set([0x86, 0x80, 0xc0, 0x29], 0); // 8086:29c0
  c[0x0b] = 0x06; // class 0600
  return c;
}

const noAcpi = (cmdline: string): BootInfo => ({ cmdline, e820: [], acpi: null, dmiBiosDate: '04/01/2014' });

describe('Linux 6.1 PCI init on a fake CPU', () => {
  it('finds the one function and reads all-ones from every other slot', () => {
    const { cpu } = fakeCpu(new Map([[0, hostBridge()]]));
    const found = new Linux61(cpu, noAcpi('')).boot();
    expect(found).toEqual([{ bus: 0, devfn: 0, vendor: 0x8086, device: 0x29c0, classCode: 0x060000, hdrType: 0 }]);
  });

  it('without MCFG there is no peer-bus scan; pci=lastbus=3 scans buses 1..3, 32 slots each', () => {
    const a = fakeCpu(new Map([[0, hostBridge()]]));
    new Linux61(a.cpu, noAcpi('')).boot();
    const b = fakeCpu(new Map([[0, hostBridge()]]));
    new Linux61(b.cpu, noAcpi('pci=lastbus=3')).boot();
    const peer = b.log.filter((l) => /^r (1|2|3)[0-9a-f]{2} 0$/.test(l));
    expect(peer).toHaveLength(3 * 32);
    expect(b.log.length - a.log.length).toBe(3 * 32);
  });

  it('the Intel CPU makes no AMD probes of 00:18.0', () => {
    const { cpu, log } = fakeCpu(new Map([[0, hostBridge()]]));
    new Linux61(cpu, noAcpi('')).boot();
    expect(log.filter((l) => l === 'r c0 68')).toHaveLength(0);
    const amd = fakeCpu(new Map([[0, hostBridge()]]), 'AuthenticAMD');
    new Linux61(amd.cpu, noAcpi('')).boot();
    expect(amd.log.filter((l) => l === 'r c0 68')).toHaveLength(2);
  });

  it('pci=off leaves no config access method', () => {
    const { cpu, log } = fakeCpu(new Map([[0, hostBridge()]]));
    const g = new Linux61(cpu, noAcpi('pci=off'));
    g.boot();
    expect(g.baseAccess).toBe('none');
    expect(log.filter((l) => l.startsWith('r 0 '))).toHaveLength(0);
  });
});
