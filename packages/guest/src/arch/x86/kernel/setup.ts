/**
 * @module
 * arch/x86/kernel/setup.c: setup_arch()'s early look at the integrated graphics (snb_gfx_workaround_needed()).
 */
import { readPciConfig } from '../pci/early.js';
import { PCI_DEVICE_ID, PCI_VENDOR_ID } from '../../../include/uapi/linux/pci_regs.js';
import type { KernelState } from '../../../init/state.js';

/** arch/x86/kernel/setup.c snb_gfx_workaround_needed() */
export function snbGfxWorkaroundNeeded(k: KernelState): void {
  const vendor = readPciConfig(k, 0, 2, 0, PCI_VENDOR_ID, 2);
  if (vendor !== 0x8086) return;
  readPciConfig(k, 0, 2, 0, PCI_DEVICE_ID, 2);
}
