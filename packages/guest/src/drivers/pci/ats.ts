/**
 * @module
 * drivers/pci/ats.c: what an IOMMU driver asks of a function's ATS capability when it attaches it to a DMA
 * domain with device-IOTLB support: page alignment, enabling with the smallest translation unit, the queue depth.
 */
import { pciReadConfig, pciWriteConfig } from './access.js';
import type { PciDev } from '../../include/linux/pci.js';
import { PCI_ATS_CAP, PCI_ATS_CAP_PAGE_ALIGNED, PCI_ATS_CTRL, PCI_ATS_CTRL_ENABLE, PCI_ATS_MAX_QDEP, PCI_ATS_MIN_STU } from '../../include/uapi/linux/pci_regs.js';
import type { KernelState } from '../../init/state.js';

/** pci_ats_supported(): the capability was found at scan (pci_ats_init()) and the device is not untrusted */
export function pciAtsSupported(dev: PciDev): boolean {
  return dev.atsCap !== 0;
}

/** pci_ats_page_aligned() */
export function pciAtsPageAligned(k: KernelState, dev: PciDev): boolean {
  if (!dev.atsCap) return false;
  return (pciReadConfig(k, dev, dev.atsCap + PCI_ATS_CAP, 2) & PCI_ATS_CAP_PAGE_ALIGNED) !== 0;
}

/** pci_enable_ats(dev, ps): a physical function writes ENABLE with STU = ps - 12 */
export function pciEnableAts(k: KernelState, dev: PciDev, ps: number): boolean {
  if (!pciAtsSupported(dev) || ps < PCI_ATS_MIN_STU) return false;
  pciWriteConfig(k, dev, dev.atsCap + PCI_ATS_CTRL, 2, PCI_ATS_CTRL_ENABLE | (ps - PCI_ATS_MIN_STU));
  return true;
}

/** pci_ats_queue_depth() */
export function pciAtsQueueDepth(k: KernelState, dev: PciDev): number {
  if (!dev.atsCap) return 0;
  const qdep = pciReadConfig(k, dev, dev.atsCap + PCI_ATS_CAP, 2) & 0x1f;
  return qdep || PCI_ATS_MAX_QDEP;
}
