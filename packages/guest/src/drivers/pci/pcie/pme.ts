/**
 * @module
 * drivers/pci/pcie/pme.c: the PCIe PME service's probe on a root port.
 */
import { pciReadConfig, pciWriteConfig, pcieCapabilityClearAndSetWord, pcieCapabilityRegImplemented } from '../access.js';
import type { PciDev } from '../../../include/linux/pci.js';
import { requestIrq } from '../msi.js';
import type { IrqReturn } from '../../../include/linux/sched.js';
import { PCI_EXP_RTCTL, PCI_EXP_RTSTA } from '../../../include/uapi/linux/pci_regs.js';
import type { KernelState } from '../../../init/state.js';
import { GuestError } from '../../../errors.js';
import { pcieCapabilityRead } from '../access.js';

/** PCI_EXP_RTSTA_PME: PME Status */
const PCI_EXP_RTSTA_PME = 0x00010000;

/** drivers/pci/pcie/pme.c pcie_pme_probe() */
export function pciePmeProbe(k: KernelState, port: PciDev): void {
  pcieCapabilityClearAndSetWord(k, port, PCI_EXP_RTCTL, 0x8, 0); // pcie_pme_interrupt_enable(port, false)
  // pcie_clear_root_pme_status(): RTSTA |= PME status (write one to clear)
  if (pcieCapabilityRegImplemented(k, port, 0x20)) {
    const sta = pciReadConfig(k, port, port.pcieCap + 0x20, 4);
    pciWriteConfig(k, port, port.pcieCap + 0x20, 4, sta | 0x10000);
  }
  requestIrq(k, port); // request_irq(srv->irq, pcie_pme_irq, IRQF_SHARED, "PCIe PME", srv)
  k.hp?.requestPortServiceIrq(port, 'PCIe PME', () => pciePmeIrq(k, port));
  pcieCapabilityClearAndSetWord(k, port, PCI_EXP_RTCTL, 0, 0x8); // pcie_pme_interrupt_enable(port, true)
}

/**
 * drivers/pci/pcie/pme.c pcie_pme_irq(): the hard handler on the port's shared vector reads RTSTA; without
 * PME Status set the interrupt is not its own (IRQ_NONE)
 */
export function pciePmeIrq(k: KernelState, port: PciDev): IrqReturn {
  const rtsta = pcieCapabilityRead(k, port, PCI_EXP_RTSTA, 4) >>> 0;
  if (rtsta === 0xffffffff || !(rtsta & PCI_EXP_RTSTA_PME)) return 'NONE';
  throw new GuestError('UNSUPPORTED', 'a PME message at a root port (pcie_pme_irq() -> pcie_pme_work_fn()) is not modelled');
}
