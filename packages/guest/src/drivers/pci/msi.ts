/**
 * @module
 * drivers/pci/msi/msi.c: MSI-X vector allocation and release for the port driver.
 */
import { pciReadConfig, pciWriteConfig } from './access.js';
import { pciIntx } from './pci.js';
import { GuestError } from '../../errors.js';
import type { PciDev } from '../../include/linux/pci.js';
import type { KernelState } from '../../init/state.js';

/** pci_msix_clear_and_set_ctrl() */
export function pciMsixClearAndSetCtrl(k: KernelState, dev: PciDev, clear: number, set: number): void {
  const ctrl = pciReadConfig(k, dev, dev.msixCap + 2, 2);
  pciWriteConfig(k, dev, dev.msixCap + 2, 2, (ctrl & ~clear) | set);
}

/** pci_alloc_irq_vectors(MSI-X | MSI): __pci_enable_msix_range() then MSI; returns the vectors, or -1 */
export function pciAllocIrqVectors(k: KernelState, dev: PciDev, min: number, max: number): number {
  if (dev.msixCap) {
    let nvec = max;
    for (;;) {
      // __pci_enable_msix(): pci_msix_vec_count()
      const entries = (pciReadConfig(k, dev, dev.msixCap + 2, 2) & 0x7ff) + 1;
      if (nvec > entries) {
        if (entries < min) break;
        nvec = entries;
        continue;
      }
      // msix_capability_init()
      pciMsixClearAndSetCtrl(k, dev, 0, 0xc000); // MASKALL | ENABLE
      pciReadConfig(k, dev, dev.msixCap + 2, 2); // table size
      pciReadConfig(k, dev, dev.msixCap + 4, 4); // msix_map_region(): PCI_MSIX_TABLE
      pciReadConfig(k, dev, dev.msixCap + 2, 2); // msix_setup_msi_descs(): pci_msix_vec_count()
      pciIntx(k, dev, false);
      pciMsixClearAndSetCtrl(k, dev, 0x4000, 0); // clear MASKALL
      k.msixEnabled.add(dev);
      return nvec;
    }
  }
  if (dev.msiCap) throw new GuestError('UNSUPPORTED', 'MSI (not MSI-X) vector allocation is not modelled');
  return -1;
}

/** pci_free_irq_vectors() -> pci_disable_msix() -> pci_msix_shutdown() */
export function pciFreeIrqVectors(k: KernelState, dev: PciDev): void {
  if (!k.msixEnabled.delete(dev)) return;
  pciMsixClearAndSetCtrl(k, dev, 0x8000, 0);
  pciIntx(k, dev, true);
}

/** pci_dev_msi_enabled() for what portdrv set up (MSI-X) */
export function pciDevMsiEnabled(k: KernelState, dev: PciDev): boolean {
  return k.msixEnabled.has(dev);
}
