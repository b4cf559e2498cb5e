/**
 * @module
 * drivers/pci/msi/msi.c: MSI-X and MSI vector allocation and release for the port driver, with what x86's
 * MSI domain (arch/x86/kernel/apic/msi.c, kernel/irq/msi.c) writes into an MSI capability: activated early,
 * in reservation mode when the function can mask (MANAGED_IRQ_SHUTDOWN_VECTOR until request_irq()), with a
 * real vector at once when it cannot; no multi-message MSI (no interrupt remapping).
 */
import { pciReadConfig, pciWriteConfig } from './access.js';
import { pciIntx } from './pci.js';
import { GuestError } from '../../errors.js';
import type { PciDev } from '../../include/linux/pci.js';
import type { KernelState } from '../../init/state.js';
import type { MsiDesc } from '../../include/linux/msi.js';
import { MANAGED_IRQ_SHUTDOWN_VECTOR, MSI_ADDR_BOOT_CPU } from '../../arch/x86/kernel/apic/vector.js';

/** pci_msix_clear_and_set_ctrl() */
export function pciMsixClearAndSetCtrl(k: KernelState, dev: PciDev, clear: number, set: number): void {
  const ctrl = pciReadConfig(k, dev, dev.msixCap + 2, 2);
  pciWriteConfig(k, dev, dev.msixCap + 2, 2, (ctrl & ~clear) | set);
}

/** pci_alloc_irq_vectors(MSI-X | MSI): __pci_enable_msix_range() then MSI; returns the vectors, or -1 */
export function pciAllocIrqVectors(k: KernelState, dev: PciDev, min: number, max: number): number {
  // pci_msi_supported(): pci=nomsi cleared pci_msi_enable, -EINVAL before any access
  if (k.opts.noMsi) return -1;
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
  if (dev.msiCap) return pciEnableMsiRange(k, dev, min, max);
  return -1;
}

const PCI_MSI_FLAGS = 2;
const PCI_MSI_FLAGS_ENABLE = 0x0001;
const PCI_MSI_FLAGS_QMASK = 0x000e;
const PCI_MSI_FLAGS_QSIZE = 0x0070;
const PCI_MSI_FLAGS_64BIT = 0x0080;
const PCI_MSI_FLAGS_MASKBIT = 0x0100;
const PCI_MSI_ADDRESS_LO = 4;
const PCI_MSI_ADDRESS_HI = 8;
const PCI_MSI_DATA_32 = 8;
const PCI_MSI_DATA_64 = 12;
const PCI_MSI_MASK_32 = 12;
const PCI_MSI_MASK_64 = 16;

/** pci_msi_set_enable() */
function pciMsiSetEnable(k: KernelState, dev: PciDev, enable: boolean): void {
  let control = pciReadConfig(k, dev, dev.msiCap + PCI_MSI_FLAGS, 2);
  control &= ~PCI_MSI_FLAGS_ENABLE;
  if (enable) control |= PCI_MSI_FLAGS_ENABLE;
  pciWriteConfig(k, dev, dev.msiCap + PCI_MSI_FLAGS, 2, control);
}

/** msi_multi_mask() */
function msiMultiMask(desc: MsiDesc): number {
  return desc.multiCap >= 5 ? 0xffffffff : (1 << (1 << desc.multiCap)) - 1;
}

/** pci_msi_update_mask(): only a function that can mask has the register */
function pciMsiUpdateMask(k: KernelState, dev: PciDev, desc: MsiDesc, clear: number, set: number): void {
  if (!desc.canMask) return;
  desc.mask = ((desc.mask & ~clear) | set) >>> 0;
  pciWriteConfig(k, dev, desc.maskPos, 4, desc.mask);
}

/** __pci_write_msi_msg(): the message (x86's __irq_msi_compose_msg: the boot CPU, the vector) */
function pciWriteMsiMsg(k: KernelState, dev: PciDev, desc: MsiDesc): void {
  const pos = dev.msiCap;
  let msgctl = pciReadConfig(k, dev, pos + PCI_MSI_FLAGS, 2);
  msgctl = (msgctl & ~PCI_MSI_FLAGS_QSIZE) | (desc.multiple << 4);
  pciWriteConfig(k, dev, pos + PCI_MSI_FLAGS, 2, msgctl);
  pciWriteConfig(k, dev, pos + PCI_MSI_ADDRESS_LO, 4, MSI_ADDR_BOOT_CPU);
  if (desc.is64) {
    pciWriteConfig(k, dev, pos + PCI_MSI_ADDRESS_HI, 4, 0);
    pciWriteConfig(k, dev, pos + PCI_MSI_DATA_64, 2, desc.vector);
  } else {
    pciWriteConfig(k, dev, pos + PCI_MSI_DATA_32, 2, desc.vector);
  }
  pciReadConfig(k, dev, pos + PCI_MSI_FLAGS, 2); // ensure that the writes are visible in the device
}

/** __pci_enable_msi_range(): as many vectors as the function offers and the domain takes */
function pciEnableMsiRange(k: KernelState, dev: PciDev, minvec: number, maxvec: number): number {
  // pci_msi_supported(): pci=nomsi is checked by pciAllocIrqVectors(), the no_msi quirks are not modelled; pci_msi_vec_count()
  const msgctl = pciReadConfig(k, dev, dev.msiCap + PCI_MSI_FLAGS, 2);
  let nvec = 1 << ((msgctl & PCI_MSI_FLAGS_QMASK) >> 1);
  if (nvec < minvec) return -1;
  if (nvec > maxvec) nvec = maxvec;
  for (;;) {
    const rc = msiCapabilityInit(k, dev, nvec);
    if (rc === 0) return nvec;
    if (rc < minvec) return -1;
    nvec = rc;
  }
}

/** msi_capability_init(): 0, or the vector count to retry with */
function msiCapabilityInit(k: KernelState, dev: PciDev, nvec: number): number {
  pciMsiSetEnable(k, dev, false);
  // msi_setup_msi_desc()
  const control = pciReadConfig(k, dev, dev.msiCap + PCI_MSI_FLAGS, 2);
  const is64 = (control & PCI_MSI_FLAGS_64BIT) !== 0;
  const desc: MsiDesc = {
    is64,
    canMask: (control & PCI_MSI_FLAGS_MASKBIT) !== 0,
    maskPos: dev.msiCap + (is64 ? PCI_MSI_MASK_64 : PCI_MSI_MASK_32),
    mask: 0,
    multiCap: (control & PCI_MSI_FLAGS_QMASK) >> 1,
    multiple: 31 - Math.clz32(nvec > 1 ? 1 << (32 - Math.clz32(nvec - 1)) : 1),
    vector: 0,
    reserved: false,
  };
  if (desc.canMask) desc.mask = pciReadConfig(k, dev, desc.maskPos, 4);
  // all MSIs are unmasked by default; mask them all
  pciMsiUpdateMask(k, dev, desc, 0, msiMultiMask(desc));
  // pci_msi_setup_msi_irqs(): pci_msi_domain_check_cfg() refuses multi-message MSI, which x86's vector domain
  // cannot give without interrupt remapping (no MSI_FLAG_MULTI_PCI_MSI): unmask again and retry with one
  if (nvec > 1) {
    pciMsiUpdateMask(k, dev, desc, msiMultiMask(desc), 0);
    return 1;
  }
  // MSI_FLAG_ACTIVATE_EARLY: activated now; msi_check_reservation_mode() reserves for a maskable MSI
  desc.reserved = desc.canMask;
  desc.vector = desc.reserved ? MANAGED_IRQ_SHUTDOWN_VECTOR : k.vectors.alloc();
  pciWriteMsiMsg(k, dev, desc);
  // msi_verify_entries(): no access; pci_intx_for_msi(dev, 0), then enable
  pciIntx(k, dev, false);
  pciMsiSetEnable(k, dev, true);
  k.msiEnabled.set(dev, desc);
  return 0;
}

/**
 * request_irq() of a port's MSI/MSI-X vector, first action: irq_activate() gives a reservation-mode interrupt its
 * real vector (activate_reserved(): the message is written), then irq_startup() sets the affinity first
 * (IRQCHIP_AFFINITY_PRE_STARTUP: msi_set_affinity() writes the message again) and unmasks. MSI-X messages
 * live in the BAR's table, so only the vector shows. A shared IRQ's later actions start nothing.
 */
export function requestIrq(k: KernelState, dev: PciDev): void {
  if (k.irqStarted.has(dev)) return;
  k.irqStarted.add(dev);
  if (k.msixEnabled.has(dev)) {
    k.vectors.alloc(); // reservation mode (MSI-X can mask): the vector comes now
    return;
  }
  const desc = k.msiEnabled.get(dev);
  // an INTx line: no config access; its IO-APIC pin's vector is not tracked (every QEMU port has MSI or MSI-X)
  if (!desc) return;
  if (desc.reserved) {
    desc.vector = k.vectors.alloc();
    desc.reserved = false;
    pciWriteMsiMsg(k, dev, desc);
  }
  pciWriteMsiMsg(k, dev, desc);
  pciMsiUpdateMask(k, dev, desc, 1, 0); // pci_msi_unmask_irq(): this vector's bit
}

/** pci_alloc_irq_vectors(dev, 1, 1, PCI_IRQ_LEGACY): INTx (pci_intx(dev, 1)) when the device has an IRQ */
export function pciAllocIrqVectorsLegacy(k: KernelState, dev: PciDev): number {
  if (!dev.irq) return -1;
  pciIntx(k, dev, true);
  return 1;
}

/** pci_free_irq_vectors() -> pci_disable_msix() -> pci_msix_shutdown() */
export function pciFreeIrqVectors(k: KernelState, dev: PciDev): void {
  if (k.msiEnabled.has(dev)) throw new GuestError('UNSUPPORTED', 'pci_disable_msi() (pci_msi_shutdown, the deactivation message) is not modelled');
  if (!k.msixEnabled.delete(dev)) return;
  pciMsixClearAndSetCtrl(k, dev, 0x8000, 0);
  pciIntx(k, dev, true);
}

/** pci_dev_msi_enabled() for what portdrv set up (MSI-X) */
export function pciDevMsiEnabled(k: KernelState, dev: PciDev): boolean {
  return k.msixEnabled.has(dev) || k.msiEnabled.has(dev);
}
