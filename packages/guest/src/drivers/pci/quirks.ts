/**
 * @module
 * drivers/pci/quirks.c: the early and header fixups that match QEMU's devices, and pci_apply_final_quirks().
 */
import { pciFixupVideo } from '../../arch/x86/pci/fixup.js';
import { pciReadConfig, pciWriteConfig, pcieCapabilityRead } from './access.js';
import { forEachPciDev } from './search.js';
import type { PciDev } from '../../include/linux/pci.js';
import { PCI_CLASS_BRIDGE_HOST, PCI_CLASS_BRIDGE_PCI, PCI_CLASS_DISPLAY_VGA } from '../../include/linux/pci_ids.js';
import { PCI_CACHE_LINE_SIZE, PCI_EXP_SLTCAP } from '../../include/uapi/linux/pci_regs.js';
import type { KernelState } from '../../init/state.js';

/** pci_fixup_device(pci_fixup_early): the quirks that match QEMU's devices */
export function pciFixupEarly(k: KernelState, dev: PciDev): void {
  const cls16 = dev.classCode >>> 8;
  // quirk_mmio_always_on: host bridges keep decoding while their BARs are sized
  if (cls16 === PCI_CLASS_BRIDGE_HOST) dev.mmioAlwaysOn = true;
  // drivers/pci/hotplug/pciehp_hpc.c quirk_cmd_compl() (Intel PCI bridges): an Express one's slot capabilities
  // say whether command completion is broken (hot-plug capable without No Command Completed Support)
  if (dev.vendor === 0x8086 && cls16 === PCI_CLASS_BRIDGE_PCI && dev.pcieCap) {
    const sltcap = pcieCapabilityRead(k, dev, PCI_EXP_SLTCAP, 4);
    if (sltcap & 0x40 && !(sltcap & 0x40000)) dev.brokenCmdCompl = true; // HPC, !NCCS
  }
}

/** pci_fixup_device(pci_fixup_header) */
export function pciFixupHeader(k: KernelState, dev: PciDev): void {
  if (dev.classCode >>> 8 === PCI_CLASS_DISPLAY_VGA) pciFixupVideo(k, dev);
  // quirks.c quirk_ich7_lpc() for ICH9 LPC 8086:2918: ich6_lpc_acpi_gpio() then the generic decode ranges
  if (dev.vendor === 0x8086 && dev.device === 0x2918) {
    const acpiCntl = pciReadConfig(k, dev, 0x44, 1);
    if (acpiCntl & 0x80) pciReadConfig(k, dev, 0x40, 2); // quirk_io_region(ICH6_PMBASE)
    const gpioCntl = pciReadConfig(k, dev, 0x4c, 1);
    if (gpioCntl & 0x10) pciReadConfig(k, dev, 0x48, 2); // quirk_io_region(ICH6_GPIOBASE)
    for (let i = 0; i < 4; i++) pciReadConfig(k, dev, 0x84 + i * 4, 4); // ich7_lpc_generic_decode()
  }
  // quirk_piix4_acpi() for PIIX4 ACPI 8086:7113
  if (dev.vendor === 0x8086 && dev.device === 0x7113) {
    pciReadConfig(k, dev, 0x40, 2); // quirk_io_region(PIIX4 ACPI)
    pciReadConfig(k, dev, 0x90, 2); // quirk_io_region(PIIX4 SMB)
    const resA = pciReadConfig(k, dev, 0x5c, 4);
    pciReadConfig(k, dev, 0x60, 4); // piix4_io_quirk(devres B)
    pciReadConfig(k, dev, 0x64, 4); // devres C
    if (resA & (1 << 29)) {
      pciReadConfig(k, dev, 0x68, 4);
      pciReadConfig(k, dev, 0x6c, 4);
    }
    if (resA & (1 << 30)) {
      pciReadConfig(k, dev, 0x70, 4);
      pciReadConfig(k, dev, 0x74, 4);
    }
    pciReadConfig(k, dev, 0x78, 4); // devres I
    pciReadConfig(k, dev, 0x7c, 4); // devres J
  }
}

/** drivers/pci/quirks.c pci_apply_final_quirks(): each device's final fixups, then its cache line size */
export function pciApplyFinalQuirks(k: KernelState): void {
  for (const dev of forEachPciDev(k)) {
    // quirk_passive_release() on the i440FX 8086:1237: the PIIX3 ISA bridge must have passive release on
    if (dev.vendor === 0x8086 && dev.device === 0x1237) {
      for (const d of forEachPciDev(k)) {
        if (d.vendor !== 0x8086 || d.device !== 0x7000) continue;
        const dlc = pciReadConfig(k, d, 0x82, 1);
        if (!(dlc & 2)) pciWriteConfig(k, d, 0x82, 1, dlc | 2);
      }
    }
    pciReadConfig(k, dev, PCI_CACHE_LINE_SIZE, 1);
  }
}
