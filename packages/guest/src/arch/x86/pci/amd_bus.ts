/**
 * @module
 * arch/x86/pci/amd_bus.c: amd_postcore_init(), the probe for an AMD northbridge's routing registers (refused if
 * found: not modelled).
 */
import { earlyPciAllowed, readPciConfig } from './early.js';
import { GuestError } from '../../../errors.js';
import { PCI_VENDOR_ID } from '../../../include/uapi/linux/pci_regs.js';
import type { KernelState } from '../../../init/state.js';

/** arch/x86/pci/amd_bus.c amd_postcore_init() -> early_root_info_init() */
export function amdPostcoreInit(k: KernelState): void {
  if (!k.amd) return;
  // early_root_info_init(): no early conf1 when pci=conf2 (or noearly) took CONF1 out of pci_probe
  if (!earlyPciAllowed(k)) return;
  const hbProbes: [number, number, number][] = [
    [0, 0x18, 0x1100],
    [0, 0x18, 0x1200],
    [0xff, 0, 0x1200],
    [0, 0x18, 0x1300],
    [0, 0x18, 0x1600],
  ];
  for (const [bus, slot, device] of hbProbes) {
    const id = readPciConfig(k, bus, slot, 0, PCI_VENDOR_ID, 4);
    const vendor = id & 0xffff;
    if (vendor !== 0x1022 && vendor !== 0x1d94) continue;
    if (id >>> 16 === device) throw new GuestError('UNSUPPORTED', 'an AMD northbridge was found: amd_bus routing is not modelled');
  }
  // pci_io_ecs_init(): only for family 10h..16h with a northbridge
}
