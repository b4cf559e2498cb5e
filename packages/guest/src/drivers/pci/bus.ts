/**
 * @module
 * drivers/pci/bus.c: pci_bus_add_devices() and pci_walk_bus().
 */
import { forEachPciDev } from './search.js';
import type { PciBusState, PciDev } from '../../include/linux/pci.js';
import type { KernelState } from '../../init/state.js';

/** pci_walk_bus(): every device below, depth-first */
export function* pciWalkBus(k: KernelState, bus: PciBusState): Generator<PciDev> {
  for (const d of bus.devices) {
    yield d;
    if (d.subordinate) yield* pciWalkBus(k, d.subordinate);
  }
}

/** every device boot() found was added by pci_bus_add_devices() */
export function pciBusAddBootDevices(k: KernelState): void {
  for (const d of forEachPciDev(k)) k.hpAdded.add(d);
}

/** pci_dev_is_added() */
export function pciDevIsAdded(k: KernelState, dev: PciDev): boolean {
  return k.hpAdded.has(dev);
}

/** pci_bus_add_devices(): pci_bus_add_device() for each new device, then the buses behind added bridges */
export function pciBusAddDevices(k: KernelState, bus: PciBusState): PciDev[] {
  const added: PciDev[] = [];
  for (const d of bus.devices) {
    if (k.hpAdded.has(d)) continue;
    k.hpAdded.add(d);
    added.push(d);
    k.hp?.deviceAdded(d);
  }
  for (const d of bus.devices) if (d.subordinate) added.push(...pciBusAddDevices(k, d.subordinate));
  return added;
}
