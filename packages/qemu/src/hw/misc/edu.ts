/**
 * @module
 * `edu`: QEMU's educational device, 1234:11e8 rev 0x10, class 00ff (hw/misc/edu.c `pci_edu_realize`): INTA,
 * a 64-bit-address MSI capability with one vector and no per-vector masking at the first free space (0x40),
 * and a 1 MiB memory BAR 0. No driver binds it.
 */
import * as R from '../pci/regs.js';
import { QdevPciDevice } from '../pci/qdev-pci.js';
import { pciProps } from '../pci/device.js';
import { defineProp } from '../core/qdev-properties.js';
import type { QdevTypeInfo } from '../core/qdev.js';

export class Edu extends QdevPciDevice {
  constructor() {
    super({ typeName: 'edu', vendorId: 0x1234, deviceId: 0x11e8, revision: 0x10, classId: 0x00ff });
  }

  protected override realizeDevice(): void {
    this.config[R.PCI_INTERRUPT_PIN] = 1;
    this.msiInit(0, 1, true, false);
    this.registerBar(0, R.PCI_BASE_ADDRESS_SPACE_MEMORY, 1 << 20);
  }
}

/** edu's only property (instance_init): dma_mask */
export const EDU_TYPE: QdevTypeInfo = {
  name: 'edu',
  ancestors: ['edu', 'pci-device', 'device'],
  busType: 'PCI',
  kind: 'pci',
  props: [...pciProps('edu'), defineProp('edu', 'dma_mask', 'uint64', 0xfffffffn)],
  build: () => new Edu(),
};
