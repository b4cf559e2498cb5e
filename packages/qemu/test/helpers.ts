import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import type { FirmwareCpu } from '../src/index.js';
import type { PciHost } from '../src/hw/pci/host.js';

/** What the firmware's CPU needs of a machine: its VmOps and host bridge. */
export interface VmOpsLike {
  host: PciHost;
  pioRead(port: number, size: number): number;
  pioWrite(port: number, size: number, value: number): void;
  mmioRead(gpa: number, size: number): number;
  mmioWrite(gpa: number, size: number, value: number): void;
}

/** The vCPU as the firmware sees it, straight onto the machine's VmOps (no KVM in between). */
export function cpuOn(m: VmOpsLike): FirmwareCpu {
  return {
    inb: (p) => m.pioRead(p, 1) & 0xff,
    inw: (p) => m.pioRead(p, 2) & 0xffff,
    inl: (p) => m.pioRead(p, 4) >>> 0,
    outb: (p, v) => m.pioWrite(p, 1, v),
    outw: (p, v) => m.pioWrite(p, 2, v),
    outl: (p, v) => m.pioWrite(p, 4, v),
    readb: (a) => m.mmioRead(a, 1) & 0xff,
    readw: (a) => m.mmioRead(a, 2) & 0xffff,
    readl: (a) => m.mmioRead(a, 4) >>> 0,
    writeb: (a, v) => m.mmioWrite(a, 1, v),
    writew: (a, v) => m.mmioWrite(a, 2, v),
    writel: (a, v) => m.mmioWrite(a, 4, v),
  };
}

/** The real-QEMU reference recordings (reference/). */
export const FIXTURES = new URL('../../../reference/', import.meta.url);

const hex = (v: number, w: number) => v.toString(16).padStart(w, '0');

/** One firmware-phase config access in the reference's line format, the value masked to the access size. */
export function firmwareAccessLine(mech: number, write: number, bus: number, devfn: number, reg: number, size: number, value: number): string {
  const v = size === 4 ? value >>> 0 : value & (size === 2 ? 0xffff : 0xff);
  const bdf = `${hex(bus, 2)}:${hex(devfn >> 3, 2)}.${devfn & 7}`;
  return `F ${mech ? 'mmcfg' : 'conf1'} ${write ? 'w' : 'r'} ${bdf} 0x${hex(reg, 3)}/${size} 0x${v.toString(16)}`;
}

/** The reference's firmware phase, values masked to the access size (QEMU traces them unmasked). */
export function referenceFirmware(scenario: string): string[] {
  const text = gunzipSync(readFileSync(new URL(`${scenario}.accesses.txt.gz`, FIXTURES))).toString();
  const out: string[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('F ')) continue;
    const [phase, mech, rw, bdf, regSize, value] = line.trim().split(/\s+/);
    const size = Number(regSize!.split('/')[1]);
    const v = BigInt(value!) & (size === 4 ? 0xffffffffn : size === 2 ? 0xffffn : 0xffn);
    out.push(`${phase} ${mech} ${rw} ${bdf} ${regSize} 0x${v.toString(16)}`);
  }
  return out;
}

