/**
 * @module
 * drivers/acpi/osl.c and ACPICA's PCI_Config op-region: acpi_os_read/write_pci_configuration() through
 * raw_pci_read/write(), after acpi_ev_pci_config_region_setup()'s first look at the header type.
 */
import { rawPciRead, rawPciWrite } from '../../arch/x86/pci/common.js';
import { PCI_HEADER_TYPE } from '../../include/uapi/linux/pci_regs.js';
import type { KernelState } from '../../init/state.js';

/** acpi_os_read_pci_configuration() of a PCI_Config op-region field (a byte, or a dword field): raw_pci_read */
export function acpiOsReadPciConfiguration(k: KernelState, bus: number, devfn: number, offset: number, size: 1 | 4 = 1): number {
  const key = (bus << 8) | devfn;
  if (!k.regionSetUp.has(key)) {
    // acpi_ev_pci_config_region_setup() -> acpi_hw_derive_pci_id(): the header type of each device on the path
    k.regionSetUp.add(key);
    rawPciRead(k, bus, devfn, PCI_HEADER_TYPE, 1);
  }
  return rawPciRead(k, bus, devfn, offset, size);
}

/** acpi_os_write_pci_configuration(): raw_pci_write */
export function acpiOsWritePciConfiguration(k: KernelState, bus: number, devfn: number, offset: number, v: number): void {
  rawPciWrite(k, bus, devfn, offset, 1, v);
}
