/**
 * @module
 * `rtl8139`: Realtek RTL8139C+, 10ec:8139 rev 0x20, a conventional PCI NIC (hw/net/rtl8139.c
 * `pci_rtl8139_realize`): 256-byte I/O BAR 0 and its 256-byte MMIO alias BAR 1, INTA, and a capability
 * pointer of 0xdc with no capability list bit in STATUS (so nothing walks it), the efi-rtl8139.rom option ROM.
 */
import * as R from '../pci/regs.js';
import { QdevPciDevice } from '../pci/qdev-pci.js';
import { pciProps } from '../pci/device.js';
import { defineProp, nicProperties } from '../core/qdev-properties.js';
import type { QdevTypeInfo } from '../core/qdev.js';

/** RTL8139_PCI_REVID_8139CPLUS: ">=0x20 is for 8139C+" */
const RTL8139_PCI_REVID = 0x20;

export class Rtl8139 extends QdevPciDevice {
  constructor() {
    super({ typeName: 'rtl8139', vendorId: 0x10ec, deviceId: 0x8139, revision: RTL8139_PCI_REVID, classId: 0x0200 });
  }

  protected override realizeDevice(): void {
    this.config[R.PCI_INTERRUPT_PIN] = 1;
    // "TODO: start of capability list, but no capability list bit in status register"
    this.config[R.PCI_CAPABILITY_LIST] = 0xdc;
    this.registerBar(0, R.PCI_BASE_ADDRESS_SPACE_IO, 0x100);
    this.registerBar(1, R.PCI_BASE_ADDRESS_SPACE_MEMORY, 0x100);
  }
}

/** rtl8139_properties[] */
export const RTL8139_TYPE: QdevTypeInfo = {
  name: 'rtl8139',
  ancestors: ['rtl8139', 'pci-device', 'device'],
  busType: 'PCI',
  kind: 'pci',
  romfile: 'efi-rtl8139.rom',
  props: [...pciProps('rtl8139'), ...nicProperties('rtl8139'), defineProp('rtl8139', 'bootindex', 'int32', -1)],
  build: () => new Rtl8139(),
};
