/**
 * @module
 * drivers/pci/setup-res.c: pci_std_update_resource(), writing an assigned BAR.
 */
import { pciReadConfig, pciWriteConfig } from './access.js';
import type { BarResource, PciDev } from '../../include/linux/pci.js';
import { PCI_BASE_ADDRESS_0, PCI_COMMAND, PCI_COMMAND_MEMORY } from '../../include/uapi/linux/pci_regs.js';
import type { KernelState } from '../../init/state.js';

/** setup-res.c pci_std_update_resource(): a 64-bit BAR is written with memory decode off */
export function pciStdUpdateResource(k: KernelState, dev: PciDev, b: BarResource): void {
  const reg = PCI_BASE_ADDRESS_0 + 4 * b.index;
  const lo = b.io ? (b.start & 0xfffffffc) | 1 : ((b.start % 2 ** 32) | (b.is64 ? 4 : 0) | (b.prefetch ? 8 : 0)) >>> 0;
  const disable = b.is64 && !dev.mmioAlwaysOn;
  let cmd = 0;
  if (disable) {
    cmd = pciReadConfig(k, dev, PCI_COMMAND, 2);
    pciWriteConfig(k, dev, PCI_COMMAND, 2, cmd & ~PCI_COMMAND_MEMORY);
  }
  pciWriteConfig(k, dev, reg, 4, lo);
  pciReadConfig(k, dev, reg, 4);
  if (b.is64) {
    pciWriteConfig(k, dev, reg + 4, 4, Math.floor(b.start / 2 ** 32));
    pciReadConfig(k, dev, reg + 4, 4);
  }
  if (disable) pciWriteConfig(k, dev, PCI_COMMAND, 2, cmd);
}
