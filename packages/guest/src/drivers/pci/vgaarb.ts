/**
 * @module
 * drivers/pci/vgaarb.c: vga_arb_device_init().
 */
import { pciReadConfig } from './access.js';
import { forEachPciDev } from './search.js';
import type { PciBusState, PciDev } from '../../include/linux/pci.js';
import { PCI_CLASS_DISPLAY_VGA } from '../../include/linux/pci_ids.js';
import { PCI_BRIDGE_CONTROL, PCI_COMMAND, PCI_COMMAND_IO, PCI_COMMAND_MEMORY } from '../../include/uapi/linux/pci_regs.js';
import type { KernelState } from '../../init/state.js';

/** drivers/pci/vgaarb.c vga_arb_device_init(): vga_arbiter_add_pci_device() each, then vga_arb_select_default_device() */
export function vgaArbDeviceInit(k: KernelState): void {
  let vgaDefault: PciDev | null = null;
  const vgas: PciDev[] = [];
  for (const dev of forEachPciDev(k)) {
    if (dev.classCode >>> 8 !== PCI_CLASS_DISPLAY_VGA) continue;
    vgas.push(dev);
    // the legacy resources it owns: its decode enables, unless a bridge above does not forward VGA
    const cmd = pciReadConfig(k, dev, PCI_COMMAND, 2);
    let owns = cmd & (PCI_COMMAND_IO | PCI_COMMAND_MEMORY);
    for (let b: PciBusState | null = dev.bus; b; b = b.parent) {
      if (!b.self) continue;
      if (!(pciReadConfig(k, b.self, PCI_BRIDGE_CONTROL, 2) & 0x08)) {
        owns = 0;
        break;
      }
    }
    if (!vgaDefault && owns === (PCI_COMMAND_IO | PCI_COMMAND_MEMORY)) vgaDefault = dev;
  }
  // vga_arb_select_default_device(): with no legacy-owning VGA, the last one with decoding on
  if (!vgaDefault) for (const dev of [...vgas].reverse()) pciReadConfig(k, dev, PCI_COMMAND, 2);
}
