/**
 * @module
 * drivers/pci/pcie/pme.c: the PCIe PME service's probe on a root port.
 */
import { pciReadConfig, pciWriteConfig, pcieCapabilityClearAndSetWord, pcieCapabilityRegImplemented } from '../access.js';
import type { PciDev } from '../../../include/linux/pci.js';
import { requestIrq } from '../msi.js';
import { PCI_EXP_RTCTL } from '../../../include/uapi/linux/pci_regs.js';
import type { KernelState } from '../../../init/state.js';

/** drivers/pci/pcie/pme.c pcie_pme_probe() */
export function pciePmeProbe(k: KernelState, port: PciDev): void {
  pcieCapabilityClearAndSetWord(k, port, PCI_EXP_RTCTL, 0x8, 0); // pcie_pme_interrupt_enable(port, false)
  // pcie_clear_root_pme_status(): RTSTA |= PME status (write one to clear)
  if (pcieCapabilityRegImplemented(k, port, 0x20)) {
    const sta = pciReadConfig(k, port, port.pcieCap + 0x20, 4);
    pciWriteConfig(k, port, port.pcieCap + 0x20, 4, sta | 0x10000);
  }
  requestIrq(k, port); // request_irq(srv->irq, pcie_pme_irq, IRQF_SHARED, "PCIe PME", srv)
  pcieCapabilityClearAndSetWord(k, port, PCI_EXP_RTCTL, 0, 0x8); // pcie_pme_interrupt_enable(port, true)
}
