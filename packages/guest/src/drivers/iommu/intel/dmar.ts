/**
 * @module
 * drivers/iommu/intel/dmar.c: detect_intel_iommu(), run from pci_iommu_alloc() before the PCI core scans. When
 * the firmware's DMAR table describes a unit whose registers answer, and DMA remapping is neither disabled
 * (intel_iommu=off) nor ruled out (iommu=off), it marks the IOMMU detected and calls pci_request_acs(): from
 * then on pci_acs_init() enables ACS on every port that has it. intel_iommu_init() is installed as the IOMMU's
 * init either way (it switches the unit off when remapping is disabled).
 */
import type { KernelState } from '../../../init/state.js';

export function detectIntelIommu(k: KernelState): void {
  // dmar_table_detect(): acpi_get_table("DMAR"), nothing under acpi=off
  const dmar = k.opts.acpiOff ? undefined : k.info.acpi?.dmar;
  if (!dmar) return;
  // dmar_validate_one_drhd(): the unit's CAP/ECAP read back as something other than all-ones (QEMU's do)
  if (!k.iommu.noIommu && !k.iommu.detected && !k.iommu.dmarDisabled) {
    k.iommu.detected = true;
    k.pciAcsEnable = true; // pci_request_acs()
  }
  k.iommu.intelIommuInit = true;
}
