import type { BootInfo, Cpu } from '../src/index.js';

/**
 * A fake machine: a conf1 port pair over a map of config spaces; everything absent reads all-ones. Each
 * data read is logged ("r <bus<<8|devfn> <reg>") unless `logAccesses` is false (benches).
 */
export function fakeCpu(devices: Map<number, Uint8Array>, vendor = 'GenuineIntel', logAccesses = true): { cpu: Cpu; log: string[] } {
  let latch = 0;
  const log: string[] = [];
  const space = () => devices.get((latch >>> 8) & 0xffff);
  const read = (port: number, size: number) => {
    if (port === 0xcf8) return latch;
    const s = space();
    const reg = (latch & 0xfc) | (port & 3);
    if (logAccesses) log.push(`r ${((latch >>> 8) & 0xffff).toString(16)} ${reg.toString(16)}`);
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

/** 00:00.0 as the q35 MCH's ID registers: 8086:29c0, class 0600 */
export function hostBridge(): Uint8Array {
  const c = new Uint8Array(256);
  c.set([0x86, 0x80, 0xc0, 0x29], 0); // 8086:29c0
  c[0x0b] = 0x06; // class 0600
  return c;
}

/** boot info with no ACPI tables (no MCFG, so no ECAM and no peer-bus scan unless the command line asks) */
export const noAcpi = (cmdline: string): BootInfo => ({ cmdline, e820: [], acpi: null, dmiBiosDate: '04/01/2014' });
