/**
 * @module
 * drivers/acpi/pci_irq.c: acpi_pci_irq_enable(), the route of a function's INTx pin through the host bridge's
 * `_PRT`. Only routes through QEMU's LNKx links touch configuration space (their _SRS/_STA/_CRS go to the
 * PIIX3/ICH9 PIRQ registers): PCI0 of pc and the expander buses (hw/i386/acpi-build.c build_prt()).
 */
import { acpiPciLinkAllocateIrq } from './pci_link.js';
import type { PciDev } from '../../include/linux/pci.js';
import type { KernelState } from '../../init/state.js';

/**
 * build_prt()'s link for a slot and pin (0 = INTA): lnk_idx = (slot * 4 + pin + slot) & 3 -> LNKD, LNKA, LNKB, LNKC;
 * on PCI0 the entry with lnk_idx 1 whose loop counter is 4 (slot 1, INTA: the PIIX4 PM function's SCI) is LNKS,
 * slot 1's other pins take the usual rule
 */
function prtLinkName(prt: 'pci0' | 'expander', slot: number, pin: number): string {
  if (prt === 'pci0' && slot === 1 && pin === 0) return 'LNKS';
  return ['LNKD', 'LNKA', 'LNKB', 'LNKC'][(slot * 4 + pin + slot) & 3]!;
}

/**
 * acpi_pci_irq_enable(): pcibios_enable_irq() of a function with an INTx pin whose IRQ is not managed yet:
 * acpi_pci_irq_lookup() (the root bus's _PRT; below a bridge, the pin swizzled up to the root), then the link's
 * acpi_pci_link_allocate_irq().
 */
export function acpiPciIrqEnable(k: KernelState, dev: PciDev): void {
  const acpi = k.info.acpi;
  // acpi_noirq (pci=noacpi, acpi=off): pcibios_enable_irq is pirq_enable_irq(), not this
  if (!acpi || k.opts.acpiOff || k.opts.acpiNoirq || !dev.pin || k.irqManaged.has(dev)) return;
  let d = dev;
  let pin = dev.pin;
  while (d.bus.self) {
    pin = ((pin - 1 + (d.devfn >> 3)) % 4) + 1; // pci_swizzle_interrupt_pin()
    d = d.bus.self;
  }
  const root = d.bus.number;
  const hb = acpi.hostBridges.find((h) => h.busStart === root);
  k.irqManaged.add(dev);
  if (!hb?.prt) return; // GSI routes: no configuration access
  const name = prtLinkName(hb.prt, d.devfn >> 3, pin - 1);
  const i = acpi.links.findIndex((l) => l.name === name);
  if (i < 0 || !acpi.links[i]!.pirqReg) return;
  acpiPciLinkAllocateIrq(k, i);
}
