/**
 * @module
 * EHCI controllers on PCI (hw/usb/hcd-ehci-pci.c): `usb-ehci` (82801DB ICH4, 8086:24cd rev 0x10) and the ICH9
 * ones `ich9-usb-ehci1` (8086:293a, 00:1d.7 on a real ICH9) and `ich9-usb-ehci2` (8086:293c, 00:1a.7), all rev
 * 3 but usb-ehci, class 0c0320, a 4 KiB memory BAR 0 (MMIO_SIZE), no capability list, INTD, USB_SBRN 0x20,
 * the frame-length byte 0x20 at 0x61 and the legacy-support bytes at 0x64-0x6f. The ICH9 ones are not
 * hot-pluggable, which makes their USB bus take companion controllers (`companion_enable`).
 */
import { QemuError } from '../../errors.js';
import * as R from '../pci/regs.js';
import { QdevPciDevice } from '../pci/qdev-pci.js';
import { pciProps } from '../pci/device.js';
import { defineProp } from '../core/qdev-properties.js';
import type { QdevTypeInfo } from '../core/qdev.js';
import { USB_RELEASE_2, USB_SBRN } from './hcd-uhci.js';

/** hcd-ehci.h */
const MMIO_SIZE = 0x1000;
export const EHCI_NB_PORTS = 6;

/** EHCIPCIInfo: one row of ehci_pci_info[] */
export interface EhciPciInfo {
  name: string;
  deviceId: number;
  revision: number;
  /** `companion`: not hot-pluggable, so usb_ehci_pci_init() sets companion_enable */
  companion: boolean;
}

/** ehci_pci_info[] */
export const EHCI_PCI_INFO: readonly EhciPciInfo[] = [
  { name: 'usb-ehci', deviceId: 0x24cd, revision: 0x10, companion: false }, // PCI_DEVICE_ID_INTEL_82801D (ich4)
  { name: 'ich9-usb-ehci1', deviceId: 0x293a, revision: 0x03, companion: true }, // 00:1d.7
  { name: 'ich9-usb-ehci2', deviceId: 0x293c, revision: 0x03, companion: true }, // 00:1a.7
];

/** An EHCI controller's PCI function (EHCIPCIState). */
export class EhciPci extends QdevPciDevice {
  constructor(readonly info: EhciPciInfo) {
    // ehci_class_init() / ehci_data_class_init(): PCI_CLASS_SERIAL_USB
    super({ typeName: info.name, vendorId: 0x8086, deviceId: info.deviceId, revision: info.revision, classId: 0x0c03 });
  }

  /** usb_ehci_pci_realize() */
  protected override realizeDevice(): void {
    const c = this.config;
    c[R.PCI_CLASS_PROG] = 0x20;
    c[R.PCI_CAPABILITY_LIST] = 0x00; // capabilities pointer
    c[R.PCI_INTERRUPT_PIN] = 4; // interrupt pin D
    c[R.PCI_MIN_GNT] = 0;
    c[R.PCI_MAX_LAT] = 0;
    c[USB_SBRN] = USB_RELEASE_2; // release # (2.1.4)
    c[0x61] = 0x20; // frame length adjustment (2.1.5)
    this.setWord(0x62, 0x00); // port wake up capability (2.1.6)
    c.fill(0, 0x64, 0x70);
    c[0x68] = 0x01;
    c[0x6f] = 0xc0; // USBLEFCTLSTS
    this.registerBar(0, R.PCI_BASE_ADDRESS_SPACE_MEMORY, MMIO_SIZE);
  }
}

/** ehci_pci_properties[] */
function ehciType(info: EhciPciInfo): QdevTypeInfo {
  const n = info.name;
  return {
    name: n,
    ancestors: [n, 'pci-ehci-usb', 'pci-device', 'device'],
    busType: 'PCI',
    kind: 'pci',
    usbHost: { ports: EHCI_NB_PORTS, takesCompanions: info.companion },
    props: [...pciProps(n), defineProp(n, 'maxframes', 'uint32', 128)],
    build: (ctx) => {
      // usb_ehci_realize()
      const maxframes = ctx.props.num('maxframes');
      if (maxframes < 8 || maxframes > 512) {
        throw new QemuError('BAD_PROPERTY_VALUE', `maxframes ${maxframes} out if range (8 .. 512)`);
      }
      return new EhciPci(info);
    },
  };
}

export const EHCI_PCI_TYPES: readonly QdevTypeInfo[] = EHCI_PCI_INFO.map(ehciType);
