/**
 * @module
 * `AC97` (alias `ac97`): Intel 82801AA AC'97 audio, 8086:2415 rev 1, class 0401 (hw/audio/ac97.c): the
 * native audio mixer (NAM, 1 KiB) and bus-master (NABM, 256 bytes) I/O BARs 0 and 1, INTA, no capability;
 * ac97_realize() writes STATUS = fast back-to-back | DEVSEL medium, which the guest reads.
 */
import * as R from '../pci/regs.js';
import { QdevPciDevice } from '../pci/qdev-pci.js';
import { pciProps } from '../pci/device.js';
import { defineProp } from '../core/qdev-properties.js';
import type { QdevTypeInfo } from '../core/qdev.js';

export class Ac97 extends QdevPciDevice {
  constructor() {
    // ac97_class_init(): PCI_DEVICE_ID_INTEL_82801AA_5, revision 1, PCI_CLASS_MULTIMEDIA_AUDIO
    super({ typeName: 'AC97', vendorId: 0x8086, deviceId: 0x2415, revision: 0x01, classId: 0x0401 });
  }

  /** ac97_realize() */
  protected override realizeDevice(): void {
    const c = this.config;
    c[R.PCI_COMMAND] = 0x00;
    c[R.PCI_COMMAND + 1] = 0x00;
    c[R.PCI_STATUS] = R.PCI_STATUS_FAST_BACK;
    c[R.PCI_STATUS + 1] = R.PCI_STATUS_DEVSEL_MEDIUM >> 8;
    c[R.PCI_CLASS_PROG] = 0x00;
    c[R.PCI_INTERRUPT_LINE] = 0x00;
    c[R.PCI_INTERRUPT_PIN] = 0x01;
    this.registerBar(0, R.PCI_BASE_ADDRESS_SPACE_IO, 1024); // "ac97-nam"
    this.registerBar(1, R.PCI_BASE_ADDRESS_SPACE_IO, 256); // "ac97-nabm"
    // ac97_on_reset(): bus-master and mixer registers, not config space
  }
}

/** ac97_properties[] */
export const AC97_TYPE: QdevTypeInfo = {
  name: 'AC97',
  ancestors: ['AC97', 'pci-device', 'device'],
  busType: 'PCI',
  kind: 'pci',
  props: [...pciProps('AC97'), defineProp('AC97', 'audiodev', 'audiodev')],
  build: () => new Ac97(),
};
