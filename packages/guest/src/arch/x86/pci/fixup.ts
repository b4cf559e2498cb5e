/**
 * @module
 * arch/x86/pci/fixup.c: pci_fixup_video(), the header fixup that picks the boot VGA device.
 */
import { pciReadConfig, pciWriteConfig } from '../../../drivers/pci/access.js';
import type { PciBusState, PciDev } from '../../../include/linux/pci.js';
import { PCI_BRIDGE_CONTROL, PCI_COMMAND, PCI_COMMAND_IO, PCI_COMMAND_MEMORY, PCI_ROM_ADDRESS } from '../../../include/uapi/linux/pci_regs.js';
import type { KernelState } from '../../../init/state.js';

/** arch/x86/pci/fixup.c pci_fixup_video() */
export function pciFixupVideo(k: KernelState, dev: PciDev): void {
  for (let bus: PciBusState | null = dev.bus; bus; bus = bus.parent) {
    const bridge = bus.self;
    if (bridge && (bridge.hdrType === 1 || bridge.hdrType === 2)) {
      const ctl = pciReadConfig(k, bridge, PCI_BRIDGE_CONTROL, 2);
      if (!(ctl & 0x08)) return;
    }
  }
  if (k.vgaDefault !== null && k.vgaDefault !== dev) return;
  const cmd = pciReadConfig(k, dev, PCI_COMMAND, 2);
  if (cmd & (PCI_COMMAND_IO | PCI_COMMAND_MEMORY)) {
    // pci_disable_rom()
    const rom = pciReadConfig(k, dev, PCI_ROM_ADDRESS, 4);
    pciWriteConfig(k, dev, PCI_ROM_ADDRESS, 4, rom & ~1);
    k.vgaDefault ??= dev;
  }
}
