/**
 * @module
 * arch/x86/pci/early.c: read_pci_config*(), conf1 before raw_pci_ops exist; early_pci_allowed().
 */
import { PCI_PROBE_CONF1, PCI_PROBE_NOEARLY } from '../include/asm/pci_x86.js';
import { bitsOf, pvAbsent } from './common.js';
import type { KernelState } from '../../../init/state.js';

/** arch/x86/pci/early.c read_pci_config*(): conf1, no lock, no check */
export function readPciConfig(k: KernelState, bus: number, slot: number, fn: number, off: number, len: 1 | 2 | 4): number {
  const devfn = (slot << 3) | fn;
  if (pvAbsent(k, bus, devfn)) return len === 4 ? 0xffffffff : len === 2 ? 0xffff : 0xff;
  k.cpu.outl(0xcf8, 0x80000000 | (bus << 16) | (slot << 11) | (fn << 8) | (off & 0xfc));
  const v = len === 4 ? k.cpu.inl(0xcfc) >>> 0 : len === 2 ? k.cpu.inw(0xcfc + (off & 2)) : k.cpu.inb(0xcfc + (off & 3));
  k.hook?.(0, 0, bus, devfn, off, len, bitsOf(v, len));
  return v;
}

/** early_pci_allowed() */
export function earlyPciAllowed(k: KernelState): boolean {
  return (k.pciProbe & (PCI_PROBE_CONF1 | PCI_PROBE_NOEARLY)) === PCI_PROBE_CONF1;
}
