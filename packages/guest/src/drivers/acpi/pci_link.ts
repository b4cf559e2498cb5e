/**
 * @module
 * drivers/acpi/pci_link.c: QEMU's PCI interrupt links (LNKx): their _STA, _CRS and _DIS methods as the AML
 * reads and writes the PIIX/ICH9 PIRQ routing registers.
 */
import { acpiOsReadPciConfiguration, acpiOsWritePciConfiguration } from './osl.js';
import type { KernelState } from '../../init/state.js';
import { GuestError } from '../../errors.js';

/** QEMU's link `_STA`: IQST(PRQx) */
export function acpiPciLinkSta(k: KernelState, i: number): number {
  const l = k.info.acpi!.links[i]!;
  if (!l.pirqReg) return 0x0b;
  const v = acpiOsReadPciConfiguration(k, l.pirqReg.region.bus, l.pirqReg.region.devfn, l.pirqReg.offset);
  return v & 0x80 ? 0x09 : 0x0b;
}

/** QEMU's link `_CRS`: IQCR(PRQx), the IRQ routed (0 while bit 7 disables the route) */
export function acpiPciLinkCrs(k: KernelState, i: number): number {
  const l = k.info.acpi!.links[i]!;
  if (!l.pirqReg) return 0;
  const v = acpiOsReadPciConfiguration(k, l.pirqReg.region.bus, l.pirqReg.region.devfn, l.pirqReg.offset);
  return v & 0x80 ? 0 : v & 0x0f;
}

/** QEMU's link `_SRS`: the IRQ into PRQx */
function acpiPciLinkSrs(k: KernelState, i: number, irq: number): void {
  const l = k.info.acpi!.links[i]!;
  if (!l.pirqReg) return;
  acpiOsWritePciConfiguration(k, l.pirqReg.region.bus, l.pirqReg.region.devfn, l.pirqReg.offset, irq);
}

// drivers/acpi/pci_link.c penalties
const PIRQ_PENALTY_PCI_USING = 16 * 16 * 16;
const PIRQ_PENALTY_ISA_TYPICAL = 16 * 16 * 16 * 16;
const PIRQ_PENALTY_ISA_USED = 16 * 16 * 16 * 16 * 16;
const PIRQ_PENALTY_ISA_ALWAYS = 16 * 16 * 16 * 16 * 16 * 16;

/** acpi_isa_irq_penalty[]'s initial values */
export const ACPI_ISA_IRQ_PENALTY: readonly number[] = [
  PIRQ_PENALTY_ISA_ALWAYS, PIRQ_PENALTY_ISA_ALWAYS, PIRQ_PENALTY_ISA_ALWAYS, PIRQ_PENALTY_ISA_TYPICAL,
  PIRQ_PENALTY_ISA_TYPICAL, PIRQ_PENALTY_ISA_USED, PIRQ_PENALTY_ISA_TYPICAL, PIRQ_PENALTY_ISA_TYPICAL,
  PIRQ_PENALTY_ISA_TYPICAL, 0, 0, 0, PIRQ_PENALTY_ISA_USED, PIRQ_PENALTY_ISA_USED, PIRQ_PENALTY_ISA_USED,
  PIRQ_PENALTY_ISA_USED,
];

/** The IRQs QEMU's LNKx `_PRS` offers (build_link_dev(): 5, 10, 11) */
const LINK_POSSIBLE = [5, 10, 11];

/**
 * acpi_irq_get_penalty() for the ISA IRQs a link offers. The SCI's (IRQ 9) penalty and the PCI sharing
 * penalty of IRQs above 15 never apply to 5, 10 or 11.
 */
function acpiIrqGetPenalty(k: KernelState, irq: number): number {
  if (irq === 9 || irq >= 16) throw new GuestError('UNSUPPORTED', `the ACPI IRQ penalty of IRQ ${irq} is not modelled`);
  return k.acpiIsaIrqPenalty[irq]!;
}

/**
 * acpi_pci_link_allocate_irq() -> acpi_pci_link_allocate(): the first use picks the least penalized IRQ
 * (acpi_irq_balance is on in IO-APIC mode), walking the possible list backwards from the active one, and
 * sets it (_SRS, then _STA and _CRS again); a link set up before is re-set only when nothing holds it.
 */
export function acpiPciLinkAllocateIrq(k: KernelState, i: number): number {
  const link = k.acpiLinks[i]!;
  if (link.initialized) {
    if (link.refcnt === 0) acpiPciLinkSet(k, i, link.active);
  } else {
    if (!LINK_POSSIBLE.includes(link.active)) link.active = 0;
    let irq = link.active || LINK_POSSIBLE[LINK_POSSIBLE.length - 1]!;
    for (let j = LINK_POSSIBLE.length - 1; j >= 0; j--) {
      if (acpiIrqGetPenalty(k, irq) > acpiIrqGetPenalty(k, LINK_POSSIBLE[j]!)) irq = LINK_POSSIBLE[j]!;
    }
    acpiPciLinkSet(k, i, irq);
    if (link.active < 16) k.acpiIsaIrqPenalty[link.active]! += PIRQ_PENALTY_PCI_USING;
    link.initialized = true;
  }
  link.refcnt++;
  return link.active;
}

/** acpi_pci_link_set(): _SRS, then _STA (acpi_bus_get_status) and _CRS (acpi_pci_link_get_current) */
function acpiPciLinkSet(k: KernelState, i: number, irq: number): void {
  acpiPciLinkSrs(k, i, irq);
  acpiPciLinkSta(k, i);
  k.acpiLinks[i]!.active = acpiPciLinkCrs(k, i);
}

/** QEMU's link `_DIS`: Or(PRQx, 0x80, PRQx) */
export function acpiPciLinkDis(k: KernelState, i: number): void {
  const l = k.info.acpi!.links[i]!;
  if (!l.pirqReg) return;
  const { bus, devfn } = l.pirqReg.region;
  const v = acpiOsReadPciConfiguration(k, bus, devfn, l.pirqReg.offset);
  acpiOsWritePciConfiguration(k, bus, devfn, l.pirqReg.offset, v | 0x80);
}
