/**
 * @module
 * arch/x86/kernel/cpu/amd.c: early_init_amd()'s look at the northbridge (K8 to family 16h only).
 */
import { readPciConfig } from '../../pci/early.js';
import type { KernelState } from '../../../../init/state.js';

/** arch/x86/kernel/cpu/amd.c early_init_amd(): K8..16h check the extended APIC ID bit in 00:18.0 */
export function earlyInitAmd(k: KernelState): void {
  if (!k.amd || !k.hasApic) return;
  if (k.amdFamily > 0x16 || k.amdFamily < 0xf) return;
  readPciConfig(k, 0, 24, 0, 0x68, 4);
}
