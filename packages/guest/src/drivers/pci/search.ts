/**
 * @module
 * drivers/pci/search.c: pci_find_bus(), and the device list for_each_pci_dev() walks.
 */
import type { PciBusState, PciDev } from '../../include/linux/pci.js';
import type { KernelState } from '../../init/state.js';

/** pci_find_bus(0, n) */
export function pciFindBus(k: KernelState, n: number): PciBusState | null {
  for (const r of k.pciRootBuses) {
    const f = findBusBelow(r, n);
    if (f) return f;
  }
  return null;
}

/** every device in the order for_each_pci_dev() walks the PCI bus type's list: device_add() order */
export function forEachPciDev(k: KernelState): readonly PciDev[] {
  return k.pciDevices;
}

/** pci_find_bus() below `b`: depth first, `b` itself included */
function findBusBelow(b: PciBusState, n: number): PciBusState | null {
  if (b.number === n) return b;
  for (const c of b.children) {
    const f = findBusBelow(c, n);
    if (f) return f;
  }
  return null;
}

