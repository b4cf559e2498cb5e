/**
 * @module
 * drivers/pci/remove.c: pci_stop_and_remove_bus_device().
 */
import type { PciDev } from '../../include/linux/pci.js';
import type { KernelState } from '../../init/state.js';

/** pci_stop_and_remove_bus_device(): children first, then the device leaves its bus */
export function pciStopAndRemoveBusDevice(k: KernelState, dev: PciDev): void {
  const sub = dev.subordinate;
  if (sub) {
    for (const c of [...sub.devices].reverse()) pciStopAndRemoveBusDevice(k, c);
    const i = dev.bus.children.indexOf(sub);
    if (i >= 0) dev.bus.children.splice(i, 1);
    dev.subordinate = null;
    k.linkStates.delete(dev);
  }
  k.hpAdded.delete(dev);
  const bus = dev.bus;
  const i = bus.devices.indexOf(dev);
  if (i >= 0) bus.devices.splice(i, 1);
  // pcie_aspm_exit_link_state(): the link state above goes with function 0 (link->downstream)
  if (bus.self && (dev.devfn & 7) === 0) k.linkStates.delete(bus.self);
  if (k.vgaDefault === dev) k.vgaDefault = null;
  k.hp?.deviceRemoved(dev);
}
