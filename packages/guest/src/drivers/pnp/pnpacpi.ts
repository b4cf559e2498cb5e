/**
 * @module
 * drivers/pnp/pnpacpi/core.c: pnpacpi_init(), which evaluates each interrupt link's _STA again.
 */
import { acpiPciLinkSta } from '../acpi/pci_link.js';
import { acpiScanFieldReads } from '../acpi/bus.js';
import type { KernelState } from '../../init/state.js';

/**
 * drivers/pnp/pnpacpi: each device's _STA when its PNP device is added, in namespace order: the ISA devices
 * under PCI0 whose _STA reads a PCI_Config field (SeaBIOS's DSDT), then the interrupt links
 */
export function pnpacpiInit(k: KernelState): void {
  const acpi = k.info.acpi!;
  acpiScanFieldReads(k, true);
  for (let i = 0; i < acpi.links.length; i++) acpiPciLinkSta(k, i);
}
