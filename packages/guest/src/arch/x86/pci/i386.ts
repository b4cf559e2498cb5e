/**
 * @module
 * arch/x86/pci/i386.c: pcibios_assign_resources() (what firmware left unassigned, assigned from the host
 * bridge's windows; pcibios_allocate_resources(), which claims what firmware assigned, is in
 * drivers/pci/setup-bus.ts, whose hot-plug paths use it too).
 */
import { type Interval, type Window, pbusAssignResourcesSorted, pciBusSizeBridges, pcibiosAllocateResources } from '../../../drivers/pci/setup-bus.js';
import type { PciBusState, PciDev } from '../../../include/linux/pci.js';
import { pciRootWindows } from './acpi.js';
import type { KernelState } from '../../../init/state.js';

/**
 * arch/x86/pci/i386.c pcibios_assign_resources() -> pci_assign_unassigned_resources(): per bus, assign what
 * firmware left unassigned (pbus_assign_resources_sorted(), largest alignment first), then each child
 * bus, then program the bridge (__pci_bus_assign_resources() + pci_setup_bridge()).
 */
export function pcibiosAssignResources(k: KernelState): void {
  for (const root of k.pciRootBuses) {
    const claimed: Interval[] = [];
    pcibiosAllocateResources(k, root, claimed);
    const windows: Window[] = pciRootWindows(k, root.number);
    pciBusSizeBridges(k, root);
    pbusAssignResourcesSorted(k, root, windows, claimed);
  }
}


/** every device, each bus's list with its subordinate buses depth-first (pcibios_allocate_resources()) */
export function* pcibiosBusDepthFirst(k: KernelState): Generator<PciDev> {
  const walk = function* (b: PciBusState): Generator<PciDev> {
    for (const d of b.devices) {
      yield d;
      if (d.subordinate) yield* walk(d.subordinate);
    }
  };
  for (const r of k.pciRootBuses) yield* walk(r);
}
