/**
 * @module
 * arch/x86/pci/common.c: raw_pci_read() / raw_pci_write(), through raw_pci_ops (offsets below 256, when a
 * mechanism serves them) or raw_pci_ext_ops; and the simulator's pv-enumeration filter, which every
 * configuration mechanism applies.
 *
 * Values travel as "bits": a dword as the int32 of its bytes (-1 is all-ones). An unsigned dword with bit 31
 * set (PCI_CONF1_ADDRESS, an absent function's 0xffffffff) would be boxed in a fresh heap number at every call
 * V8 does not inline; the vendor-ID probe of ~8,200 absent functions per boot is the hot path.
 */
import type { KernelState } from '../../../init/state.js';

/** pv enumeration: a function the VMM did not list is not probed */
export function pvAbsent(k: KernelState, bus: number, devfn: number): boolean {
  return k.pvList !== null && !k.pvList.has((bus << 8) | devfn);
}

/** the unsigned value of an access's bits */
export function mask(v: number, len: number): number {
  return len === 1 ? v & 0xff : len === 2 ? v & 0xffff : v >>> 0;
}

/** {@link mask} with a dword as the int32 of its bytes (no heap number where V8 does not inline) */
export function bitsOf(v: number, len: number): number {
  return len === 1 ? v & 0xff : len === 2 ? v & 0xffff : v | 0;
}

/** raw_pci_read(): conf1 below 256 bytes when it works, else the extended ops; the unsigned value */
export function rawPciRead(k: KernelState, bus: number, devfn: number, reg: number, len: number): number {
  const v = rawPciReadBits(k, bus, devfn, reg, len);
  return len === 4 ? v >>> 0 : v;
}

/** {@link rawPciRead} with a dword as the int32 of its bytes: for the scan's probes */
export function rawPciReadBits(k: KernelState, bus: number, devfn: number, reg: number, len: number): number {
  const ops = k.rawPciOps;
  if (reg < 256 && ops !== null) return bitsOf(ops.read(k, 0, bus, devfn, reg, len), len);
  const ext = k.rawPciExtOps;
  if (ext !== null) return bitsOf(ext.read(k, 0, bus, devfn, reg, len), len);
  return bitsOf(-1, len);
}

/** raw_pci_write() */
export function rawPciWrite(k: KernelState, bus: number, devfn: number, reg: number, len: number, v: number): void {
  const ops = k.rawPciOps;
  if (reg < 256 && ops !== null) return ops.write(k, 0, bus, devfn, reg, len, v);
  const ext = k.rawPciExtOps;
  if (ext !== null) ext.write(k, 0, bus, devfn, reg, len, v);
}
