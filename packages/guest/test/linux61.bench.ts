import { bench, describe } from 'vitest';
import { Linux61, type BootInfo, type Cpu } from '../src/index.js';

/**
 * The guest model alone: Linux 6.1's PCI init on a CPU whose conf1 ports answer one host bridge at 00:00.0
 * and all-ones everywhere else, with nothing behind them (no KVM, no QEMU).
 */
function hostBridgeOnly(): Cpu {
  const hb = new Uint8Array(256);
  hb.set([0x86, 0x80, 0xc0, 0x29], 0); // 8086:29c0
  hb[0x0b] = 0x06; // class 0600
  let latch = 0;
  const read = (port: number, size: number): number => {
    if (port === 0xcf8) return latch >>> 0;
    if ((latch & 0xffff00) !== 0 || (latch & 0x80000000) === 0) return size === 4 ? 0xffffffff : size === 2 ? 0xffff : 0xff;
    const reg = (latch & 0xfc) | (port & 3);
    let v = 0;
    for (let i = size - 1; i >= 0; i--) v = v * 256 + (hb[reg + i] ?? 0);
    return v;
  };
  const str = (x: string, o: number) => x.charCodeAt(o) | (x.charCodeAt(o + 1) << 8) | (x.charCodeAt(o + 2) << 16) | (x.charCodeAt(o + 3) << 24);
  return {
    inb: (p) => read(p, 1),
    inw: (p) => read(p, 2),
    inl: (p) => read(p, 4),
    outb: () => {},
    outw: () => {},
    outl: (p, v) => {
      if (p === 0xcf8) latch = v | 0;
    },
    readb: () => 0xff,
    readw: () => 0xffff,
    readl: () => 0xffffffff,
    writeb: () => {},
    writew: () => {},
    writel: () => {},
    cpuid: (leaf) => (leaf === 0 ? { eax: 1, ebx: str('GenuineIntel', 0), edx: str('GenuineIntel', 4), ecx: str('GenuineIntel', 8) } : { eax: 0x60fb1, ebx: 0, ecx: 0, edx: 1 << 9 }),
    now: () => 0,
    sleepNs: () => {},
  };
}

const info = (cmdline: string): BootInfo => ({ cmdline, e820: [], acpi: null, dmiBiosDate: '04/01/2014' });
const cpu = hostBridgeOnly();

describe('Linux 6.1 PCI init, the guest alone', () => {
  bench('boot(): one host bridge, no MCFG (no peer-bus scan)', () => {
    new Linux61(cpu, info('')).boot();
  });

  bench('boot() with pci=lastbus=255: the peer-bus scan reads 255 × 32 absent slots', () => {
    new Linux61(cpu, info('pci=lastbus=255')).boot();
  });
});
