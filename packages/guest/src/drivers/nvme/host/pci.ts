/**
 * @module
 * drivers/nvme/host/pci.c, built in (CONFIG_BLK_DEV_NVME=y): the driver binds every NVMe controller (class
 * 010802) at device_initcall time and its reset work brings the controller up. What touches config space:
 * nvme_pci_enable() (pci_enable_device_mem(), which enables the bridges above, pci_set_master(), one vector for the admin queue,
 * pci_save_state()), then nvme_setup_io_queues() giving that vector back and allocating the admin and I/O
 * vectors (nvme_setup_irqs()). The controller's registers, queues and namespaces are MMIO and DMA.
 */
import { pciAllocIrqVectors, pciFreeIrqVectors } from '../../pci/msi.js';
import { pciEnableDevice, pciSaveState, pciSetMaster } from '../../pci/pci.js';
import { forEachPciDev } from '../../pci/search.js';
import { GuestError } from '../../../errors.js';
import type { KernelState } from '../../../init/state.js';

/** PCI_CLASS_STORAGE_EXPRESS << 8 | 0x02: the nvme_id_table's class match */
const PCI_CLASS_STORAGE_NVME = 0x010802;

/** nvme_init() -> pci_register_driver(): nvme_probe() for each controller, then its nvme_reset_work() */
export function nvmeInit(k: KernelState): void {
  for (const dev of forEachPciDev(k)) {
    if (dev.classCode !== PCI_CLASS_STORAGE_NVME) continue;
    // nvme_pci_enable(): pci_enable_device_mem() enables the bridges above first (pci_enable_bridge())
    pciEnableDevice(k, dev, true);
    pciSetMaster(k, dev);
    if (pciAllocIrqVectors(k, dev, 1, 1) < 0) throw new GuestError('UNSUPPORTED', 'an NVMe controller without MSI-X (INTx/MSI vectors) is not modelled');
    pciSaveState(k, dev);
    // nvme_setup_io_queues(): pci_free_irq_vectors(), then nvme_setup_irqs(): 1 admin + 1 I/O queue per CPU (one vCPU)
    pciFreeIrqVectors(k, dev);
    pciAllocIrqVectors(k, dev, 1, 2);
  }
}
