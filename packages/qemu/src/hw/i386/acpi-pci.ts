/**
 * @module
 * What QEMU's DSDT says of the PCI functions on a bus (hw/i386/acpi-build.c build_append_pci_bus_devices(),
 * shared by pc and q35): a Device per function with its `_ADR`, `_SUN`/`_EJ0` on hot-pluggable slots, and the
 * buses behind cold-plugged bridges when ACPI PCI hot-plug serves them.
 */
import type { PciBus } from '../pci/bus.js';
import * as R from '../pci/regs.js';
import { PcieSlot } from '../pci/pcie.js';
import type { AcpiHostBridge, AcpiPciDevice, CrsWindow } from './bootinfo.js';
import type { PciDevice } from '../pci/device.js';

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
  'pxb',
  'pxb-pcie',
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

/** CrsRangeSet: the I/O, 32-bit and 64-bit memory ranges the expander host bridges decode, [base, limit] */
export interface CrsRangeSet {
  io: [number, number][];
  mem: [number, number][];
  mem64: [number, number][];
}

/** build_q35_osc_method(enable_native_pcie_hotplug = true): an expander grants everything the OS asks */
const OSC_GRANT_ALL = 0x1f;

/** What build_dsdt() declares for the expander root buses (pxb, pxb-pcie): their host bridges and ranges. */
export interface ExpanderAcpi {
  bridges: AcpiHostBridge[];
  /** root_bus_limit: the last bus number PCI0 keeps */
  rootBusLimit: number;
  /** crs_range_set: what PCI0's _CRS leaves out */
  used: CrsRangeSet;
}

/**
 * build_dsdt()'s loop over the root bus's children (newest first, QLIST_INSERT_HEAD): each expander root bus
 * becomes \_SB.PC<nr> with _BBN, a PNP0A08 + _OSC (pxb-pcie) or PNP0A03 (pxb) _HID, and build_crs()'s _CRS,
 * computed from what the firmware programmed (QEMU builds the tables when the firmware reads them).
 */
export function acpiExpanderHostBridges(rootBus: PciBus): ExpanderAcpi {
  const used: CrsRangeSet = { io: [], mem: [], mem64: [] };
  const bridges: AcpiHostBridge[] = [];
  let rootBusLimit = 0xff;
  for (const bus of [...rootBus.children].reverse()) {
    if (!bus.isRoot) continue;
    const busNum = bus.number;
    if (busNum < rootBusLimit) rootBusLimit = busNum - 1;
    const crs = buildCrs(bus, used);
    bridges.push({
      hid: bus.isExpress ? 'PNP0A08' : 'PNP0A03',
      segment: 0,
      busStart: busNum,
      busEnd: crs.maxBus,
      osc: bus.isExpress ? { grantMask: OSC_GRANT_ALL } : null,
      devices: [],
      prt: 'expander',
      windows: crs.windows,
    });
  }
  return { bridges, rootBusLimit, used };
}

/** crs_replace_with_free_ranges(): the parts of [start, end] no used range covers */
export function crsFreeRanges(usedRanges: [number, number][], start: number, end: number): [number, number][] {
  const free: [number, number][] = [];
  let freeBase = start;
  for (const [base, limit] of [...usedRanges].sort((a, b) => a[0] - b[0])) {
    if (freeBase < base) free.push([freeBase, base - 1]);
    freeBase = limit + 1;
  }
  if (freeBase < end) free.push([freeBase, end]);
  return free;
}

/** crs_range_merge(): sorted, adjacent ranges joined */
function crsRangeMerge(r: [number, number][]): [number, number][] {
  if (!r.length) return r;
  const s = [...r].sort((a, b) => a[0] - b[0]);
  const out: [number, number][] = [];
  let [base, limit] = s[0]!;
  for (const [b, l] of s.slice(1)) {
    if (b - 1 === limit) limit = l;
    else {
      out.push([base, limit]);
      base = b;
      limit = l;
    }
  }
  out.push([base, limit]);
  return out;
}

/** build_crs() for an expander's root bus: its functions' mapped BARs and its bridges' windows and buses */
function buildCrs(bus: PciBus, rangeSet: CrsRangeSet): { windows: CrsWindow[]; maxBus: number } {
  const tmp: CrsRangeSet = { io: [], mem: [], mem64: [] };
  let maxBus = bus.number;
  const insertMem = (base: number, limit: number) => {
    if (limit <= 0xffffffff && limit - base + 1 <= 0xffffffff) tmp.mem.push([base, limit]);
    else tmp.mem64.push([base, limit]);
  };
  for (const dev of bus.devices) {
    if (!dev) continue;
    for (let i = 0; i < R.PCI_NUM_REGIONS; i++) {
      const r = dev.regions[i];
      if (!r) continue;
      const base = pciBarAddress(dev, i, r.type, r.size);
      // work-around for old bioses that do not support multiple root buses
      if (base === null || !base) continue;
      const limit = base + r.size - 1;
      if (r.type & R.PCI_BASE_ADDRESS_SPACE_IO) tmp.io.push([base, limit]);
      else insertMem(base, limit);
    }
    if ((dev.config[R.PCI_HEADER_TYPE]! & ~R.PCI_HEADER_TYPE_MULTI_FUNCTION) === R.PCI_HEADER_TYPE_BRIDGE) {
      maxBus = Math.max(maxBus, dev.config[R.PCI_SUBORDINATE_BUS]!);
      const c = dev.config;
      const word = (a: number) => c[a]! | (c[a + 1]! << 8);
      const long = (a: number) => (word(a) | (word(a + 2) << 16)) >>> 0;
      // pci_bridge_get_base()/pci_bridge_get_limit()
      const ioUpper = (c[R.PCI_IO_BASE]! & 0x0f) === R.PCI_IO_RANGE_TYPE_32;
      const ioBase = ((c[R.PCI_IO_BASE]! & 0xf0) << 8) + (ioUpper ? word(R.PCI_IO_BASE_UPPER16) * 0x10000 : 0);
      const ioLimit = ((c[R.PCI_IO_LIMIT]! & 0xf0) << 8) + (ioUpper ? word(R.PCI_IO_LIMIT_UPPER16) * 0x10000 : 0) + 0xfff;
      if (ioBase && ioBase <= ioLimit) tmp.io.push([ioBase, ioLimit]);
      const memBase = (word(R.PCI_MEMORY_BASE) & 0xfff0) * 0x10000;
      const memLimit = (word(R.PCI_MEMORY_LIMIT) & 0xfff0) * 0x10000 + 0xfffff;
      if (memBase && memBase <= memLimit) insertMem(memBase, memLimit);
      const pref64 = (word(R.PCI_PREF_MEMORY_BASE) & 0x0f) === R.PCI_PREF_RANGE_TYPE_64;
      const prefBase = (word(R.PCI_PREF_MEMORY_BASE) & 0xfff0) * 0x10000 + (pref64 ? long(R.PCI_PREF_BASE_UPPER32) * 2 ** 32 : 0);
      const prefLimit = (word(R.PCI_PREF_MEMORY_LIMIT) & 0xfff0) * 0x10000 + (pref64 ? long(R.PCI_PREF_LIMIT_UPPER32) * 2 ** 32 : 0) + 0xfffff;
      if (prefBase && prefBase <= prefLimit) insertMem(prefBase, prefLimit);
    }
  }
  const windows: CrsWindow[] = [];
  for (const [min, max] of crsRangeMerge(tmp.io)) {
    windows.push({ kind: 'io', min, max });
    rangeSet.io.push([min, max]);
  }
  for (const [min, max] of crsRangeMerge(tmp.mem)) {
    windows.push({ kind: 'mem', min, max });
    rangeSet.mem.push([min, max]);
  }
  for (const [min, max] of crsRangeMerge(tmp.mem64)) {
    windows.push({ kind: 'mem64', min, max });
    rangeSet.mem64.push([min, max]);
  }
  return { windows, maxBus };
}

/** pci_bar_address(): where a region is mapped, or null (PCI_BAR_UNMAPPED) */
function pciBarAddress(dev: PciDevice, reg: number, type: number, size: number): number | null {
  const bar = dev.barOffset(reg);
  const cmd = dev.getWord(R.PCI_COMMAND);
  if (type & R.PCI_BASE_ADDRESS_SPACE_IO) {
    if (!(cmd & R.PCI_COMMAND_IO)) return null;
    const a = dev.getLong(bar) - (dev.getLong(bar) % size);
    const last = a + size - 1;
    return last <= a || last >= 0xffffffff || a === 0 ? null : a;
  }
  if (!(cmd & R.PCI_COMMAND_MEMORY)) return null;
  let a = dev.getLong(bar);
  if (type & R.PCI_BASE_ADDRESS_MEM_TYPE_64) a += dev.getLong(bar + 4) * 2 ** 32;
  if (reg === R.PCI_ROM_SLOT && !(a & R.PCI_ROM_ADDRESS_ENABLE)) return null;
  a -= a % size;
  const last = a + size - 1;
  if (last <= a || a === 0) return null;
  if (!(type & R.PCI_BASE_ADDRESS_MEM_TYPE_64) && last >= 0xffffffff) return null;
  return a;
}
