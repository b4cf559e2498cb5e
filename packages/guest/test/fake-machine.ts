import type { Cpu } from '../src/index.js';

/** One access the guest made, as the fake machine saw it. */
export interface Access {
  kind: 'cfg' | 'mmio' | 'pio';
  write: boolean;
  /** config: bus << 8 | devfn */
  bdf: number;
  reg: number;
  size: number;
  value: number;
}

const ECAM_BASE = 0xb000_0000;
const ECAM_SIZE = 0x1000_0000;

/**
 * A small PC for the hot-plug drivers: conf1 at 0xcf8/0xcfc and an ECAM window at 0xb0000000 over 4 KiB
 * config spaces that keep what is written (except the ID, class, header type and BAR registers: no BARs);
 * a clock that the guest's sleeps advance; hooks for a device's own registers (`onConfigWrite`), for MMIO
 * below the ECAM window (`mmio`) and for ports (`pio`). Every access is logged in `accesses`.
 */
export class FakeMachine {
  readonly spaces = new Map<number, Uint8Array>();
  readonly accesses: Access[] = [];
  t = 0;
  onConfigWrite: ((bdf: number, reg: number, size: number, value: number) => boolean) | null = null;
  mmio: ((write: boolean, gpa: number, size: number, value: number) => number) | null = null;
  pio: ((write: boolean, port: number, size: number, value: number) => number) | null = null;
  private latch = 0;

  /** a function's config space (4 KiB): vendor, device, class (24 bits), header type */
  add(bdf: number, vendor: number, device: number, classCode: number, headerType = 0): Uint8Array {
    const c = new Uint8Array(4096);
    this.put(c, 0x00, 2, vendor);
    this.put(c, 0x02, 2, device);
    this.put(c, 0x08, 4, classCode << 8);
    c[0x0e] = headerType;
    this.spaces.set(bdf, c);
    return c;
  }

  put(c: Uint8Array, reg: number, size: number, value: number): void {
    for (let i = 0; i < size; i++) c[reg + i] = (value >>> (8 * i)) & 0xff;
  }

  get(c: Uint8Array, reg: number, size: number): number {
    let v = 0;
    for (let i = size - 1; i >= 0; i--) v = v * 256 + c[reg + i]!;
    return v;
  }

  /** accesses to one function's config space */
  configAccesses(bdf: number): Access[] {
    return this.accesses.filter((a) => a.kind === 'cfg' && a.bdf === bdf);
  }

  private cfgRead(bdf: number, reg: number, size: number): number {
    const c = this.spaces.get(bdf);
    const v = c ? this.get(c, reg, size) : size === 4 ? 0xffffffff : size === 2 ? 0xffff : 0xff;
    this.accesses.push({ kind: 'cfg', write: false, bdf, reg, size, value: v });
    return v;
  }

  private cfgWrite(bdf: number, reg: number, size: number, value: number): void {
    this.accesses.push({ kind: 'cfg', write: true, bdf, reg, size, value: value >>> 0 });
    const c = this.spaces.get(bdf);
    if (!c) return;
    if (this.onConfigWrite?.(bdf, reg, size, value >>> 0)) return;
    const type1 = (c[0x0e]! & 0x7f) === 1;
    for (let i = 0; i < size; i++) {
      const r = reg + i;
      // read-only: IDs, class, header type, status, the BARs and the expansion ROM
      if (r < 0x04 || (r >= 0x06 && r < 0x0c) || r === 0x0e) continue;
      if (r >= 0x10 && r < (type1 ? 0x18 : 0x28)) continue;
      if (r >= (type1 ? 0x38 : 0x30) && r < (type1 ? 0x3c : 0x34)) continue;
      c[r] = (value >>> (8 * i)) & 0xff;
    }
  }

  private port(write: boolean, port: number, size: number, value: number): number {
    if (port === 0xcf8 && size === 4) {
      if (write) this.latch = value >>> 0;
      return this.latch;
    }
    if (port >= 0xcfc && port < 0xd00 && this.latch >>> 31) {
      const bdf = (this.latch >>> 8) & 0xffff;
      const reg = (this.latch & 0xfc) | (port & 3);
      if (write) {
        this.cfgWrite(bdf, reg, size, value);
        return 0;
      }
      return this.cfgRead(bdf, reg, size);
    }
    this.accesses.push({ kind: 'pio', write, bdf: -1, reg: port, size, value });
    const v = this.pio?.(write, port, size, value);
    return v ?? (size === 4 ? 0xffffffff : size === 2 ? 0xffff : 0xff);
  }

  private mem(write: boolean, gpa: number, size: number, value: number): number {
    const a = gpa < 0 ? gpa + 2 ** 32 : gpa;
    if (a >= ECAM_BASE && a < ECAM_BASE + ECAM_SIZE) {
      const off = a - ECAM_BASE;
      const bdf = off >>> 12;
      if (write) {
        this.cfgWrite(bdf, off & 0xfff, size, value);
        return 0;
      }
      return this.cfgRead(bdf, off & 0xfff, size);
    }
    this.accesses.push({ kind: 'mmio', write, bdf: -1, reg: a, size, value });
    const v = this.mmio?.(write, a, size, value);
    return v ?? (size === 4 ? 0xffffffff : size === 2 ? 0xffff : 0xff);
  }

  cpu(): Cpu {
    const str = (x: string, o: number) => x.charCodeAt(o) | (x.charCodeAt(o + 1) << 8) | (x.charCodeAt(o + 2) << 16) | (x.charCodeAt(o + 3) << 24);
    return {
      inb: (p) => this.port(false, p, 1, 0),
      inw: (p) => this.port(false, p, 2, 0),
      inl: (p) => this.port(false, p, 4, 0),
      outb: (p, v) => void this.port(true, p, 1, v),
      outw: (p, v) => void this.port(true, p, 2, v),
      outl: (p, v) => void this.port(true, p, 4, v),
      readb: (a) => this.mem(false, a, 1, 0),
      readw: (a) => this.mem(false, a, 2, 0),
      readl: (a) => this.mem(false, a, 4, 0),
      writeb: (a, v) => void this.mem(true, a, 1, v),
      writew: (a, v) => void this.mem(true, a, 2, v),
      writel: (a, v) => void this.mem(true, a, 4, v),
      cpuid: (leaf) =>
        leaf === 0
          ? { eax: 1, ebx: str('GenuineIntel', 0), edx: str('GenuineIntel', 4), ecx: str('GenuineIntel', 8) }
          : { eax: 0x60fb1, ebx: 0, ecx: 0, edx: 1 << 9 },
      now: () => this.t,
      sleepNs: (ns) => {
        this.t += ns;
      },
    };
  }
}

/** the E820 reservation and MCFG entry of the ECAM window */
export const ECAM = { base: ECAM_BASE, e820: { addr: ECAM_BASE, size: ECAM_SIZE, type: 2 } };
