/**
 * @module
 * drivers/acpi/pci_link.c: QEMU's PCI interrupt links (LNKx): their _STA, _CRS and _DIS methods as the AML
 * reads and writes the PIIX/ICH9 PIRQ routing registers.
 */
import { acpiOsReadPciConfiguration, acpiOsWritePciConfiguration } from './osl.js';
import type { KernelState } from '../../init/state.js';

/** QEMU's link `_STA`: IQST(PRQx) */
export function acpiPciLinkSta(k: KernelState, i: number): number {
  const l = k.info.acpi!.links[i]!;
  if (!l.pirqReg) return 0x0b;
  const v = acpiOsReadPciConfiguration(k, l.pirqReg.region.bus, l.pirqReg.region.devfn, l.pirqReg.offset);
  return v & 0x80 ? 0x09 : 0x0b;
}

/** QEMU's link `_CRS`: IQCR(PRQx) */
export function acpiPciLinkCrs(k: KernelState, i: number): void {
  const l = k.info.acpi!.links[i]!;
  if (!l.pirqReg) return;
  acpiOsReadPciConfiguration(k, l.pirqReg.region.bus, l.pirqReg.region.devfn, l.pirqReg.offset);
}

/** QEMU's link `_DIS`: Or(PRQx, 0x80, PRQx) */
export function acpiPciLinkDis(k: KernelState, i: number): void {
  const l = k.info.acpi!.links[i]!;
  if (!l.pirqReg) return;
  const { bus, devfn } = l.pirqReg.region;
  const v = acpiOsReadPciConfiguration(k, bus, devfn, l.pirqReg.offset);
  acpiOsWritePciConfiguration(k, bus, devfn, l.pirqReg.offset, v | 0x80);
}
