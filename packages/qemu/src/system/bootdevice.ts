/**
 * @module
 * softmmu/bootdevice.c: the boot order QEMU hands the firmware as the fw_cfg file "bootorder"
 * (get_boot_devices_list()): one Open Firmware device path per device with a `bootindex`, in bootindex order,
 * then `HALT` when `-boot strict=on`. SeaBIOS matches its own PCI paths against these lines
 * (firmware/seabios.ts, bootprio_find_pci_device()).
 */
import type { Machine } from '../hw/core/machine.js';
import type { PciDevice } from '../hw/pci/device.js';
import { realizedDevices } from './qdev-monitor.js';

/** hw/pci/pci.c pci_class_descriptions[]: the class's Open Firmware name, and the class bits it ignores */
const PCI_CLASS_FW_NAMES: readonly [number, string, number][] = [
  [0x0001, 'display', 0], [0x0100, 'scsi', 0], [0x0101, 'ide', 0], [0x0102, 'fdc', 0], [0x0103, 'ipi', 0],
  [0x0104, 'raid', 0], [0x0200, 'ethernet', 0], [0x0201, 'token-ring', 0], [0x0202, 'fddi', 0], [0x0203, 'atm', 0],
  [0x0300, 'display', 0x00ff], [0x0400, 'video', 0], [0x0401, 'sound', 0], [0x0403, 'sound', 0], [0x0500, 'memory', 0],
  [0x0501, 'flash', 0], [0x0600, 'host', 0], [0x0601, 'isa', 0], [0x0602, 'eisa', 0], [0x0603, 'mca', 0],
  [0x0604, 'pci-bridge', 0], [0x0605, 'pcmcia', 0], [0x0606, 'nubus', 0], [0x0607, 'cardbus', 0], [0x0700, 'serial', 0],
  [0x0701, 'parallel', 0], [0x0800, 'interrupt-controller', 0], [0x0801, 'dma-controller', 0], [0x0802, 'timer', 0],
  [0x0803, 'rtc', 0], [0x0900, 'keyboard', 0], [0x0901, 'pen', 0], [0x0902, 'mouse', 0], [0x0a00, 'dock', 0x00ff],
  [0x0b00, 'cpu', 0x00ff], [0x0c00, 'firewire', 0], [0x0c01, 'access-bus', 0], [0x0c02, 'ssa', 0], [0x0c03, 'usb', 0],
  [0x0c04, 'fibre-channel', 0],
];

/** pci_dev_fw_name() */
function pciDevFwName(d: PciDevice): string {
  const cls = d.config[0x0a]! | (d.config[0x0b]! << 8);
  for (const [c, name, ign] of PCI_CLASS_FW_NAMES) if ((cls & ~ign) === (c & ~ign)) return name;
  const w = (o: number) => (d.config[o]! | (d.config[o + 1]! << 8)).toString(16).padStart(4, '0');
  return `pci${w(0)},${w(2)}`;
}

/**
 * qdev_get_fw_dev_path() of a PCI function: the host bridge's `/pci@i0cf8` (i440FX and Q35 alike), then
 * pcibus_get_fw_dev_path() for each bridge down to it: `name@slot` or `name@slot,fn`.
 */
export function pciFwDevPath(d: PciDevice): string {
  const parts: string[] = [];
  for (let f: PciDevice | null = d; f; f = f.bus?.parentBridge ?? null) {
    const slot = f.devfn >> 3;
    const fn = f.devfn & 7;
    parts.unshift(`${pciDevFwName(f)}@${slot.toString(16)}${fn ? `,${fn.toString(16)}` : ''}`);
  }
  return `/pci@i0cf8/${parts.join('/')}`;
}

/**
 * get_boot_devices_list(): the "bootorder" lines. pcisim always boots a kernel, so the linuxboot option ROM is in
 * the list (x86_load_linux() gives it bootindex 0: `/rom@genroms/linuxboot_dma.bin`) and the list is never empty;
 * `strict` adds `HALT`. A device on a controller's bus (a SCSI disk) is named by its controller's path and a
 * suffix SeaBIOS's prefix match does not look past.
 */
export function getBootDevicesList(machine: Machine, strict: boolean): string[] {
  const entries: { index: number; order: number; path: string }[] = [{ index: 0, order: -1, path: '/rom@genroms/linuxboot_dma.bin' }];
  realizedDevices(machine).forEach((r, order) => {
    if (r.bootindex === undefined || r.bootindex < 0) return;
    const fn = r.pci ?? r.controller ?? null;
    if (!fn) return;
    entries.push({ index: r.bootindex, order, path: r.pci ? pciFwDevPath(fn) : `${pciFwDevPath(fn)}/${r.typeName}` });
  });
  // add_boot_device_path() keeps the list sorted by bootindex (QEMU refuses two devices with the same one)
  entries.sort((a, b) => a.index - b.index || a.order - b.order);
  const list = entries.map((e) => e.path);
  if (strict) list.push('HALT');
  return list;
}
