/**
 * @module
 * arch/x86/pci/irq.c: pcibios_irq_init(), the legacy ($PIR) interrupt routing that runs when ACPI does not
 * route PCI interrupts (acpi=off, pci=noacpi: pci_acpi_init() returns -ENODEV and leaves x86_init.pci.init_irq
 * alone).
 */
import { acpiTables } from './acpi.js';
import { GuestError } from '../../../errors.js';
import { pciReadConfig } from '../../../drivers/pci/access.js';
import { forEachPciDev } from '../../../drivers/pci/search.js';
import { pciName } from '../../../include/linux/pci.js';
import { PCI_INTERRUPT_PIN } from '../../../include/uapi/linux/pci_regs.js';
import type { KernelState } from '../../../init/state.js';

/** pci_acpi_init() took the interrupts (init_irq = x86_init_noop): ACPI tables and no acpi_noirq */
export function acpiRoutesIrqs(k: KernelState): boolean {
  return acpiTables(k) !== null && !k.opts.acpiNoirq;
}

/**
 * pcibios_irq_init(): pirq_find_routing_table() scans the BIOS area for $PIR (memory, no config access),
 * pirq_peer_trick() and pirq_find_router() look at devices already found (SeaBIOS's table lists bus 0 only and
 * names a PIIX router by its IDs), then pcibios_fixup_irqs().
 */
export function pcibiosIrqInit(k: KernelState): void {
  if (acpiRoutesIrqs(k)) return;
  if (!k.rawPciOps) return;
  pcibiosFixupIrqs(k);
}

/**
 * pcibios_fixup_irqs(): without an I/O APIC routing PCI interrupts (io_apic_assign_pci_irqs: none is set up
 * when ACPI is off or has no say on IRQs, as this kernel cannot read an MP table), each device's pin is read;
 * one whose firmware left no IRQ line would be looked up in the router (not modelled).
 */
export function pcibiosFixupIrqs(k: KernelState): void {
  for (const dev of forEachPciDev(k)) {
    const pin = pciReadConfig(k, dev, PCI_INTERRUPT_PIN, 1);
    if (!pin) continue;
    if (!dev.irq) throw new GuestError('UNSUPPORTED', `${pciName(dev)}: pcibios_lookup_irq() through the $PIR router is not modelled (the firmware left no IRQ line)`);
  }
}
