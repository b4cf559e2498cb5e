/**
 * @module
 * `pvpanic-pci`: the paravirtual panic device on PCI, Red Hat 1b36:0011 rev 1, class 0880
 * (hw/misc/pvpanic-pci.c `pvpanic_pci_realizefn`): one 2-byte memory BAR (Linux reads it as 16 bytes, the
 * smallest memory BAR), no interrupt pin. The cloud kernel's driver is a module (CONFIG_PVPANIC_PCI=m).
 */
import { QdevPciDevice } from '../pci/qdev-pci.js';
import { pciProps } from '../pci/device.js';
import { defineProp } from '../core/qdev-properties.js';
import type { QdevTypeInfo } from '../core/qdev.js';

export class PvpanicPci extends QdevPciDevice {
  constructor() {
    super({ typeName: 'pvpanic-pci', vendorId: 0x1b36, deviceId: 0x0011, revision: 1, classId: 0x0880 });
  }

  protected override realizeDevice(): void {
    this.registerBar(0, 0, 2); // pvpanic_setup_io(..., 2)
  }
}

const t = 'pvpanic-pci';

/** pvpanic_pci_properties[] */
export const PVPANIC_PCI_TYPE: QdevTypeInfo = {
  name: t,
  ancestors: [t, 'pci-device', 'device'],
  busType: 'PCI',
  kind: 'pci',
  props: [...pciProps(t), defineProp(t, 'events', 'uint8', 3)], // PVPANIC_PANICKED | PVPANIC_CRASH_LOADED
  build: () => new PvpanicPci(),
};
