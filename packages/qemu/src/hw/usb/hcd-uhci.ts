/**
 * @module
 * UHCI controllers (hw/usb/hcd-uhci.c): `piix3-usb-uhci` (82371SB, 8086:7020, what pc's `-usb` adds at 01.2),
 * `piix4-usb-uhci` (82371AB, 8086:7112), and the ICH9 companions `ich9-usb-uhci1`..`6` (8086:2934..2939) that
 * hand their full/low-speed ports to an EHCI (`masterbus=`, `firstport=`). Each is class 0c0300 with a
 * 32-byte I/O BAR 4 ("region 4 for consistency with real hardware"), USB_SBRN 0x10 and no capability.
 */
import * as R from '../pci/regs.js';
import { QdevPciDevice } from '../pci/qdev-pci.js';
import { pciProps } from '../pci/device.js';
import { defineProp } from '../core/qdev-properties.js';
import type { QdevTypeInfo } from '../core/qdev.js';

/** include/hw/usb.h */
export const USB_SBRN = 0x60;
export const USB_RELEASE_1 = 0x10;
export const USB_RELEASE_2 = 0x20;
/** hcd-uhci.h NB_PORTS: the root hub's ports */
export const UHCI_NB_PORTS = 2;

/** UHCIInfo: one row of uhci_info[] */
export interface UhciInfo {
  name: string;
  deviceId: number;
  revision: number;
  /** the INTx pin, 0 = INTA */
  irqPin: number;
  /** `unplug`: a standalone controller (its own USB bus, hot-pluggable); false for the ICH9 companions */
  unplug: boolean;
}

/** uhci_info[] */
export const UHCI_INFO: readonly UhciInfo[] = [
  { name: 'piix3-usb-uhci', deviceId: 0x7020, revision: 0x01, irqPin: 3, unplug: true }, // PCI_DEVICE_ID_INTEL_82371SB_2
  { name: 'piix4-usb-uhci', deviceId: 0x7112, revision: 0x01, irqPin: 3, unplug: true }, // PCI_DEVICE_ID_INTEL_82371AB_2
  { name: 'ich9-usb-uhci1', deviceId: 0x2934, revision: 0x03, irqPin: 0, unplug: false }, // 00:1d.0
  { name: 'ich9-usb-uhci2', deviceId: 0x2935, revision: 0x03, irqPin: 1, unplug: false }, // 00:1d.1
  { name: 'ich9-usb-uhci3', deviceId: 0x2936, revision: 0x03, irqPin: 2, unplug: false }, // 00:1d.2
  { name: 'ich9-usb-uhci4', deviceId: 0x2937, revision: 0x03, irqPin: 0, unplug: false }, // 00:1a.0
  { name: 'ich9-usb-uhci5', deviceId: 0x2938, revision: 0x03, irqPin: 1, unplug: false }, // 00:1a.1
  { name: 'ich9-usb-uhci6', deviceId: 0x2939, revision: 0x03, irqPin: 2, unplug: false }, // 00:1a.2
];

/** A UHCI controller's PCI function (UHCIState's `dev`). */
export class Uhci extends QdevPciDevice {
  constructor(readonly info: UhciInfo) {
    // uhci_class_init() / uhci_data_class_init(): PCI_VENDOR_ID_INTEL, PCI_CLASS_SERIAL_USB
    super({ typeName: info.name, vendorId: 0x8086, deviceId: info.deviceId, revision: info.revision, classId: 0x0c03 });
  }

  /** usb_uhci_common_realize() */
  protected override realizeDevice(): void {
    this.config[R.PCI_CLASS_PROG] = 0x00;
    this.config[USB_SBRN] = USB_RELEASE_1;
    this.config[R.PCI_INTERRUPT_PIN] = this.info.irqPin + 1;
    this.registerBar(4, R.PCI_BASE_ADDRESS_SPACE_IO, 0x20); // "uhci"
  }

  /** uhci_reset(): the only config bytes it sets are the USB clock's */
  override deviceReset(): void {
    this.config[0x6a] = 0x01; // usb clock
    this.config[0x6b] = 0x00;
  }
}

/** `piix3-usb-uhci` as pc_init1() creates it for `-usb` (pci_create_simple at piix3_devfn + 2) */
export class Piix3UsbUhci extends Uhci {
  constructor() {
    super(UHCI_INFO[0]!);
  }
}

/** uhci_properties_companion[] / uhci_properties_standalone[] */
function uhciType(info: UhciInfo): QdevTypeInfo {
  const n = info.name;
  return {
    name: n,
    ancestors: [n, 'pci-uhci-usb', 'pci-device', 'device'],
    busType: 'PCI',
    kind: 'pci',
    usbHost: info.unplug ? { ports: UHCI_NB_PORTS } : { ports: UHCI_NB_PORTS, companion: true },
    props: [
      ...pciProps(n),
      ...(info.unplug ? [] : [defineProp(n, 'masterbus', 'string'), defineProp(n, 'firstport', 'uint32', 0)]),
      defineProp(n, 'bandwidth', 'uint32', 1280),
      defineProp(n, 'maxframes', 'uint32', 128),
    ],
    build: () => new Uhci(info),
  };
}

export const UHCI_TYPES: readonly QdevTypeInfo[] = UHCI_INFO.map(uhciType);
