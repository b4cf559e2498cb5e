/**
 * @module
 * drivers/iommu/intel/iommu.c, the VT-d driver, as far as it touches PCI configuration space: `intel_iommu=`
 * (intel_iommu_setup(), with Debian's INTEL_IOMMU_DEFAULT_ON_INTGPU_OFF patch: remapping is on by default, so
 * `intel_iommu=on` changes nothing a PCI device sees), and intel_iommu_init() at rootfs_initcall
 * (pci_iommu_init()): iommu_device_register() → bus_iommu_probe() puts every PCI function in an IOMMU group
 * (pci_device_group(), reading the ACS registers of the ports above it), then attaches each group to its default
 * domain, in the order the groups were made. A DMA (translated) domain on a unit with device-IOTLB support enables
 * ATS on a function that has it below a root port the ATSR covers (iommu_enable_pci_caps()); an identity domain
 * (iommu=pt) does not, outside scalable mode.
 */
import type { KernelState } from '../../../init/state.js';
import type { PciBusState, PciDev } from '../../../include/linux/pci.js';
import { pcieType, pciName } from '../../../include/linux/pci.js';
import { PCI_EXP_TYPE_PCI_BRIDGE, PCI_EXP_TYPE_ROOT_PORT } from '../../../include/uapi/linux/pci_regs.js';
import { pciAcsEnabled, REQ_ACS_FLAGS } from '../../pci/pci.js';
import { pciAtsPageAligned, pciAtsQueueDepth, pciAtsSupported, pciEnableAts } from '../../pci/ats.js';
import { pciDeviceGroups } from '../iommu.js';
import { GuestError } from '../../../errors.js';

/** VTD_PAGE_SHIFT */
const VTD_PAGE_SHIFT = 12;
const PCI_BASE_CLASS_DISPLAY = 0x03;

/** intel_iommu_setup(): the comma-separated words of `intel_iommu=`, matched by prefix */
export function intelIommuSetup(k: KernelState, str: string): void {
  for (const word of str.split(',').filter(Boolean)) {
    if (word.startsWith('on')) k.iommu.dmarDisabled = false;
    else if (word.startsWith('off')) k.iommu.dmarDisabled = true;
    else if (word.startsWith('sm_on')) k.iommu.intelIommuSm = true;
    else if (word.startsWith('sm_off')) k.iommu.intelIommuSm = false;
    // igfx_off, intgpu_off, forcedac, strict, sp_off, tboot_noforce: no effect on a QEMU guest's config accesses
  }
}

/**
 * dmar_ats_supported(): an integrated device may use ATS; below a conventional or PCIe-to-PCI bridge it may
 * not; below a root port, when an ATSR covers the port (QEMU's is ALL_PORTS). No SATC in QEMU's table.
 */
function dmarAtsSupported(k: KernelState, dev: PciDev): boolean {
  for (let bus: PciBusState | null = dev.bus; bus; bus = bus.parent) {
    const bridge = bus.self;
    if (!bridge) return true;
    if (!bridge.pcieCap || pcieType(bridge) === PCI_EXP_TYPE_PCI_BRIDGE) return false;
    if (pcieType(bridge) === PCI_EXP_TYPE_ROOT_PORT) break;
  }
  return k.info.acpi?.dmar?.atsrAllPorts === true;
}

/**
 * device_def_domain_type() over a group (probe_get_default_domain_type()): Debian's IDENTMAP_INTGPU puts an Intel
 * display function on the root bus in an identity domain; otherwise the default type (iommu=pt: identity).
 */
function groupDomainIsIdentity(k: KernelState, devices: readonly PciDev[]): boolean {
  const intgpu = devices.some((d) => d.vendor === 0x8086 && d.classCode >>> 16 === PCI_BASE_CLASS_DISPLAY && !d.bus.parent);
  return intgpu || k.iommu.passthrough;
}

/** intel_iommu_init(): nothing to PCI when remapping is off; else every function probed, grouped and attached */
export function intelIommuInit(k: KernelState): void {
  if (!k.iommu.intelIommuInit || k.iommu.noIommu || k.iommu.dmarDisabled) return;
  const dmar = k.info.acpi!.dmar!;
  const sm = k.iommu.intelIommuSm && dmar.ecap.scalableMode;
  // intel_iommu_probe_device(): ats_supported (no config access: the capability was found at scan)
  const atsSupported = new Set<PciDev>();
  for (const dev of k.pciDevices) {
    if (dmar.ecap.devIotlb && pciAtsSupported(dev) && dmarAtsSupported(k, dev)) atsSupported.add(dev);
    if (sm && dmar.ecap.pasid && dev.pasidCap) {
      throw new GuestError('UNSUPPORTED', `${pciName(dev)}: PASID under a scalable-mode VT-d unit is not modelled`);
    }
  }
  // bus_iommu_probe(): probe_iommu_group() for every device, the groups in the order they were made
  const groups = pciDeviceGroups(k.pciDevices, (d) => pciAcsEnabled(k, d, REQ_ACS_FLAGS));
  for (const g of groups) {
    // __iommu_group_dma_attach() → dmar_domain_attach_device() → domain_add_dev_info()
    const identity = groupDomainIsIdentity(k, g.devices);
    if (!sm && identity) continue;
    for (const dev of g.devices) {
      // iommu_enable_pci_caps(): PASID and PRI are scalable-mode only (none of QEMU 7.2's functions has them)
      if (atsSupported.has(dev) && pciAtsPageAligned(k, dev) && pciEnableAts(k, dev, VTD_PAGE_SHIFT)) pciAtsQueueDepth(k, dev);
    }
  }
}
