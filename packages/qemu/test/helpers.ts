import type { FirmwareCpu } from '../src/index.js';
import type { PciHost } from '../src/pci/host.js';

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
