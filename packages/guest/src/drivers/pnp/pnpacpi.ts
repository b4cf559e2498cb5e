/**
 * @module
 * drivers/pnp/pnpacpi/core.c: pnpacpi_init(), which evaluates each interrupt link's _STA again.
 */
import { acpiPciLinkSta } from '../acpi/pci_link.js';
import type { KernelState } from '../../init/state.js';

/** drivers/pnp/pnpacpi: each interrupt link's _STA when its PNP device is added */
export function pnpacpiInit(k: KernelState): void {
  const acpi = k.info.acpi!;
  for (let i = 0; i < acpi.links.length; i++) acpiPciLinkSta(k, i);
}
