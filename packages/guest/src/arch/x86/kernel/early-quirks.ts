/**
 * @module
 * arch/x86/kernel/early-quirks.c: early_quirks(), the conf1 walk of bus 0 and the buses behind its bridges
 * before any PCI driver (none of early_qrk[] matches a QEMU device, so only the probe reads remain).
 */
import { earlyPciAllowed, readPciConfig } from '../pci/early.js';
import { PCI_CLASS_DEVICE, PCI_DEVICE_ID, PCI_HEADER_TYPE, PCI_VENDOR_ID } from '../../../include/uapi/linux/pci_regs.js';
import type { KernelState } from '../../../init/state.js';

/** arch/x86/kernel/early-quirks.c early_quirks() -> early_pci_scan_bus(0) */
export function earlyQuirks(k: KernelState): void {
  if (!earlyPciAllowed(k)) return;
  earlyPciScanBus(k, 0);
}

/** early_pci_scan_bus(): function 0 of each slot, all functions of a multifunction slot, bridges recursively */
export function earlyPciScanBus(k: KernelState, bus: number): void {
  for (let slot = 0; slot < 32; slot++) {
    for (let fn = 0; fn < 8; fn++) {
      if (checkDevQuirk(k, bus, slot, fn)) break;
    }
  }
}

/** check_dev_quirk(): the quirks in early_qrk[] match no QEMU device, so only the probe reads */
export function checkDevQuirk(k: KernelState, bus: number, slot: number, fn: number): boolean {
  const cls = readPciConfig(k, bus, slot, fn, PCI_CLASS_DEVICE, 2);
  if (cls === 0xffff) return true;
  readPciConfig(k, bus, slot, fn, PCI_VENDOR_ID, 2);
  readPciConfig(k, bus, slot, fn, PCI_DEVICE_ID, 2);
  const type = readPciConfig(k, bus, slot, fn, PCI_HEADER_TYPE, 1);
  if ((type & 0x7f) === 1) {
    const sec = readPciConfig(k, bus, slot, fn, 0x19, 1);
    if (sec > bus) earlyPciScanBus(k, sec);
  }
  return !(type & 0x80);
}
