/**
 * @module
 * arch/x86/kernel/vsmp_64.c: detect_vsmp_box(), one early conf1 read of 00:1f.0.
 */
import { earlyPciAllowed, readPciConfig } from '../pci/early.js';
import { PCI_VENDOR_ID } from '../../../include/uapi/linux/pci_regs.js';
import type { KernelState } from '../../../init/state.js';

/** arch/x86/kernel/vsmp_64.c detect_vsmp_box() */
export function detectVsmpBox(k: KernelState): void {
  if (!earlyPciAllowed(k)) return;
  readPciConfig(k, 0, 0x1f, 0, PCI_VENDOR_ID, 4);
}
