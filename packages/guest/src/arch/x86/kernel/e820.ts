/**
 * @module
 * arch/x86/kernel/e820.c: the E820 queries PCI makes (e820__mapped_all() for the MMCONFIG window,
 * e820__setup_pci_gap() for PCIBIOS_MIN_MEM).
 */
import type { KernelState } from '../../../init/state.js';

/** e820__mapped_all(): [start, end) is covered by entries of `type` */
export function e820MappedAll(k: KernelState, start: number, end: number, type: number): boolean {
  let cur = start;
  const entries = [...k.info.e820].sort((a, b) => a.addr - b.addr);
  for (const e of entries) {
    if (e.type !== type) continue;
    if (e.addr <= cur && e.addr + e.size > cur) cur = e.addr + e.size;
    if (cur >= end) return true;
  }
  return cur >= end;
}

/** PCIBIOS_MIN_MEM = pci_mem_start: e820__setup_pci_gap()'s largest hole below 4 GiB */
export function e820SetupPciGap(k: KernelState): number {
  const entries = [...k.info.e820].sort((a, b) => a.addr - b.addr);
  let last = 0x100000000;
  let gapStart = 0x10000000;
  let gapSize = 0x400000;
  // e820_search_gap(): walk down from 4 GiB, keeping the largest gap
  for (let i = entries.length - 1; i >= 0; i--) {
    const e = entries[i]!;
    const end = e.addr + e.size;
    if (e.addr >= 0x100000000) continue;
    if (last > end) {
      const gap = last - end;
      if (gap >= gapSize) {
        gapSize = gap;
        gapStart = end;
      }
    }
    if (e.addr < last) last = e.addr;
  }
  return gapStart;
}
