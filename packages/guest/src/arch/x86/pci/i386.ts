/**
 * @module
 * arch/x86/pci/i386.c: pcibios_allocate_resources() (what firmware assigned is claimed) and
 * pcibios_assign_resources() (the rest assigned from the host bridge's windows).
 */
import { type Interval, type Window, pbusAssignResourcesSorted, pciBusSizeBridges } from '../../../drivers/pci/setup-bus.js';
import type { PciBusState, PciDev } from '../../../include/linux/pci.js';
import type { KernelState } from '../../../init/main.js';

/**
 * arch/x86/pci/i386.c pcibios_assign_resources() -> pci_assign_unassigned_resources(): per bus, assign what
 * firmware left unassigned (pbus_assign_resources_sorted(), largest alignment first), then each child
 * bus, then program the bridge (__pci_bus_assign_resources() + pci_setup_bridge()).
 */
export function pcibiosAssignResources(k: KernelState): void {
  for (const root of k.pciRootBuses) {
    const hb = k.info.acpi?.hostBridges.find((h) => root.number >= h.busStart && root.number <= h.busEnd);
    const claimed: Interval[] = [];
    pcibiosAllocateResources(k, root, claimed);
    const windows: Window[] = (hb?.windows ?? []).map((w) => ({ kind: w.kind, min: w.min, max: w.max }));
    pciBusSizeBridges(k, root);
    pbusAssignResourcesSorted(k, root, windows, claimed);
  }
}

/** pcibios_allocate_resources(): every BAR and bridge window firmware programmed is taken */
export function pcibiosAllocateResources(k: KernelState, bus: PciBusState, claimed: Interval[]): void {
  for (const dev of bus.devices) {
    for (const b of dev.bars) if (b.start) claimed.push({ io: b.io, start: b.start, end: b.start + b.size - 1 });
    const w = dev.windows;
    // pcibios_allocate_bridge_resources(): a window at address 0 ("something is wrong with the region") is
    // invalidated; pci_bridge_check_ranges() brings it back unassigned for __pci_bus_size_bridges()
    if (w) {
      if (w.io?.start === 0) w.io = null;
      if (w.mem?.start === 0) w.mem = null;
      if (w.pref?.start === 0) w.pref = null;
    }
    if (w?.io) claimed.push({ io: true, start: w.io.start, end: w.io.end });
    if (w?.mem) claimed.push({ io: false, start: w.mem.start, end: w.mem.end });
    if (w?.pref) claimed.push({ io: false, start: w.pref.start, end: w.pref.end });
    if (dev.subordinate) pcibiosAllocateResources(k, dev.subordinate, claimed);
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
