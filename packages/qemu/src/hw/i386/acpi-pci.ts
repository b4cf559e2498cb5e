/**
 * @module
 * What QEMU's DSDT says of the PCI functions on a bus (hw/i386/acpi-build.c build_append_pci_bus_devices(),
 * shared by pc and q35): a Device per function with its `_ADR`, `_SUN`/`_EJ0` on hot-pluggable slots, and the
 * buses behind cold-plugged bridges when ACPI PCI hot-plug serves them.
 */
import type { PciBus } from '../pci/bus.js';
import * as R from '../pci/regs.js';
import { PcieSlot } from '../pci/pcie.js';
import type { AcpiPciDevice } from './bootinfo.js';

/** Device types whose `DeviceClass::hotpluggable` is false (chipset functions, the primary displays and virtio-gpu). */
export const NOT_HOTPLUGGABLE = new Set([
  'i440FX',
  'PIIX3',
  'piix3-ide',
  'PIIX4_PM',
  'VGA',
  'virtio-vga',
  'virtio-gpu-pci',
  'qxl-vga',
  'cirrus-vga',
  'mch',
  'ICH9-LPC',
  'ich9-ahci',
  'ICH9 SMB',
  'gpex-root',
  // hw/usb: the ICH9 EHCIs and their UHCI companions (ehci_data_class_init / uhci_data_class_init)
  'ich9-usb-ehci1',
  'ich9-usb-ehci2',
  'ich9-usb-uhci1',
  'ich9-usb-uhci2',
  'ich9-usb-uhci3',
  'ich9-usb-uhci4',
  'ich9-usb-uhci5',
  'ich9-usb-uhci6',
]);

/** Device types that add their own AML (`AcpiDevAmlIf`, call_dev_aml_func): described even on a function > 0. */
export const HAS_OWN_AML = new Set(['PIIX3', 'VGA', 'secondary-vga', 'ICH9-LPC', 'ICH9 SMB']);

/**
 * build_append_pci_bus_devices(): `hasBsel` is whether the bus has an ACPI hot-plug BSEL; `pcihpBridge` is
 * `acpi-pci-hotplug-with-bridge-support` (a cold-plugged bridge's secondary bus then gets the ACPI hot-plug
 * handler, piix4_device_plug_cb()/ich9_pm_device_plug_cb(), and so a BSEL).
 */
export function acpiBusDevices(bus: PciBus, hasBsel: boolean, pcihpBridge: boolean): AcpiPciDevice[] {
  const out: AcpiPciDevice[] = [];
  for (let devfn = 0; devfn < 256; devfn++) {
    const dev = bus.devices[devfn] ?? null;
    const slot = R.PCI_SLOT(devfn);
    const fn = R.PCI_FUNC(devfn);
    let hotpluggable = false;
    let bridgeInAcpi = false;
    if (dev) {
      // cold-plugged bridges aren't themselves hot-pluggable; hot-plugged ones are
      const coldBridge = dev.isBridge && !dev.hotplugged;
      bridgeInAcpi = coldBridge && pcihpBridge;
      hotpluggable = hasBsel && !NOT_HOTPLUGGABLE.has(dev.typeName) && !coldBridge;
      if (fn !== 0 && !bridgeInAcpi && !HAS_OWN_AML.has(dev.typeName)) continue;
    } else {
      // hot-plug is supported only for non-multifunction devices: describe function 0 only
      if (!hasBsel || fn !== 0) continue;
      if (bus.isExpress && slot > 0) break;
      hotpluggable = true; // an empty hot-pluggable slot
    }
    const entry: AcpiPciDevice = { adr: (slot << 16) | fn, ej0: hotpluggable, children: [] };
    if (hotpluggable) entry.sun = slot;
    if (bridgeInAcpi && dev) {
      const sec = bus.children.find((c) => c.parentBridge === dev);
      // acpi_set_bsel(): only a hot-pluggable bus gets a BSEL; a PCIe slot with hotplug=off has no handler
      // (acpi_pcihp_device_plug_cb() removes it), so its bus is described without hot-plug slots
      const secHotpluggable = !(dev instanceof PcieSlot && !dev.cfg.hotplug);
      if (sec) entry.children = acpiBusDevices(sec, secHotpluggable, pcihpBridge);
    }
    out.push(entry);
  }
  return out;
}
