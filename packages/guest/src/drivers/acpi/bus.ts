/**
 * @module
 * drivers/acpi/bus.c: acpi_init(): the namespace scan (each link's _STA), the host bridges, the links.
 */
import { acpiPciLinkCrs, acpiPciLinkDis, acpiPciLinkSta } from './pci_link.js';
import { acpiPciRootAdd } from './pci_root.js';
import { acpiOsReadPciConfiguration } from './osl.js';
import type { KernelState } from '../../init/state.js';

/** One pass over the namespace of the PCI_Config fields the tables list (AcpiTables.scanFieldReads), in namespace order */
export function acpiScanFieldReads(k: KernelState, staOnly = false): void {
  for (const f of k.info.acpi?.scanFieldReads ?? []) {
    if (!staOnly || f.sta) acpiOsReadPciConfiguration(k, f.region.bus, f.region.devfn, f.offset, f.size);
  }
}

/** drivers/acpi/bus.c acpi_init() */
export function acpiInit(k: KernelState): void {
  const acpi = k.info.acpi!;
  // acpi_bus_init() -> acpi_os_install_interrupt_handler(): request_irq() of the SCI; its IO-APIC pin takes a vector
  k.vectors.alloc();
  // acpi_bus_scan() of \_SB: the PCI_Config fields PCI0's children read first (SeaBIOS's DSDT only), then each
  // PNP0C0F link's _STA is evaluated twice (acpi_bus_check_add, acpi_add_single_object)
  acpiScanFieldReads(k);
  for (let i = 0; i < acpi.links.length; i++) {
    acpiPciLinkSta(k, i);
    acpiPciLinkSta(k, i);
  }
  // acpi_bus_attach() in namespace order: \_SB.PCI0, then the interrupt links QEMU's DSDT declares after it,
  // then the expander host bridges build_dsdt() appends at the end (\_SB.PC<nr>). acpi_pci_root_init(): no
  // pci_root handler when acpi_pci_disabled (pci=noacpi); a host bridge is then a plain platform device
  // (acpi_default_enumeration(): its _CRS windows become resources, no config access)
  const [pci0, ...expanders] = acpi.hostBridges;
  const rootAdd = (hb: (typeof acpi.hostBridges)[number]): void => {
    if (!k.opts.acpiPciDisabled) acpiPciRootAdd(k, hb);
  };
  if (pci0) rootAdd(pci0);
  // acpi_bus_attach() of PCI0's other children: acpi_bus_get_status() evaluates each _STA again
  acpiScanFieldReads(k, true);
  if (k.opts.acpiNoirq) {
    // acpi_pci_link_init() returns at once with acpi_noirq: the links have no handler, so acpi_bus_attach()
    // reads each one's _STA and acpi_default_enumeration() creates its platform device from _CRS
    for (let i = 0; i < acpi.links.length; i++) {
      acpiPciLinkSta(k, i);
      acpiPciLinkCrs(k, i);
    }
    for (const hb of expanders) rootAdd(hb);
    return;
  }
  // acpi_pci_link_init(): acpi_pci_link_add() -> _PRS, acpi_pci_link_get_current() (_STA, _CRS), then _DIS
  for (let i = 0; i < acpi.links.length; i++) {
    acpiPciLinkSta(k, i);
    k.acpiLinks.push({ active: acpiPciLinkCrs(k, i), initialized: false, refcnt: 0 });
    acpiPciLinkDis(k, i);
  }
  for (const hb of expanders) rootAdd(hb);
}
