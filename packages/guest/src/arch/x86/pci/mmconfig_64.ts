/**
 * @module
 * arch/x86/pci/mmconfig_64.c: the ECAM window (MMCONFIG) as `pci_mmcfg`, a 4 KiB page per function at
 * base + (bus - start) << 20 | devfn << 12.
 */
import type { PciRawOps } from '../include/asm/pci_x86.js';
import { bitsOf, pvAbsent } from './common.js';
import type { KernelState } from '../../../init/state.js';

/** pci_dev_base() + PCI_MMCFG_ADDR(): below 4 GiB as the int32 of its bits (see Cpu), which V8 passes without allocating */
export function pciDevBase(k: KernelState, bus: number, devfn: number, reg: number): number {
  const addr = k.mmcfgBase + (bus - k.mmcfgStartBus) * 2 ** 20 + (devfn << 12) + reg;
  return addr < 0x1_0000_0000 ? addr | 0 : addr;
}

/** pci_mmcfg_read() */
export function pciMmcfgRead(k: KernelState, _domain: number, bus: number, devfn: number, reg: number, len: number): number {
  if (bus < k.mmcfgStartBus || bus > k.mmcfgEndBus || k.mmcfgBase < 0) return -1;
  if (pvAbsent(k, bus, devfn)) return -1;
  const addr = pciDevBase(k, bus, devfn, reg);
  const v = len === 1 ? k.cpu.readb(addr) : len === 2 ? k.cpu.readw(addr) : k.cpu.readl(addr) | 0;
  k.hook?.(1, 0, bus, devfn, reg, len, v);
  return v;
}

/** pci_mmcfg_write() */
export function pciMmcfgWrite(k: KernelState, _domain: number, bus: number, devfn: number, reg: number, len: number, value: number): void {
  if (bus < k.mmcfgStartBus || bus > k.mmcfgEndBus || k.mmcfgBase < 0) return;
  if (pvAbsent(k, bus, devfn)) return;
  const addr = pciDevBase(k, bus, devfn, reg);
  // on record as it is issued, before the handler's interrupt (pciConf1Write())
  k.hook?.(1, 1, bus, devfn, reg, len, bitsOf(value, len));
  if (len === 1) k.cpu.writeb(addr, value & 0xff);
  else if (len === 2) k.cpu.writew(addr, value & 0xffff);
  else k.cpu.writel(addr, value | 0);
}

/** `struct pci_raw_ops pci_mmcfg` */
export const pciMmcfg: PciRawOps<KernelState> = { read: pciMmcfgRead, write: pciMmcfgWrite };
