/**
 * @module
 * arch/x86/kernel/pci-dma.c: the `iommu=` early parameter (iommu_setup()) as far as it changes what the IOMMU
 * drivers do to PCI devices: `off` (no_iommu), `pt` and `nopt` (the default domain type). Its other words
 * (force, merge, soft, panic, usedac…) change DMA mapping, not configuration space.
 */
import type { KernelState } from '../../../init/state.js';

/** iommu_setup(): each comma-separated word, matched by prefix as the kernel does (strncmp) */
export function iommuSetup(k: KernelState, p: string): void {
  for (const word of p.split(',')) {
    if (word.startsWith('off')) k.iommu.noIommu = true;
    if (word.startsWith('usedac')) return;
    if (word.startsWith('pt')) k.iommu.passthrough = true;
    if (word.startsWith('nopt')) k.iommu.passthrough = false;
  }
}
