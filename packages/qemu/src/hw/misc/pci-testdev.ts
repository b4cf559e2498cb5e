/**
 * @module
 * `pci-testdev`: QEMU's PCI test device, Red Hat 1b36:0005, class 00ff (hw/misc/pci-testdev.c
 * `pci_testdev_realize`): a 4 KiB memory BAR 0 and a 256-byte I/O BAR 1 holding the ioeventfd tests, no
 * interrupt pin, and with `membar=` a 64-bit prefetchable BAR 2 of that size. No driver binds it.
 */
import * as R from '../pci/regs.js';
import { QdevPciDevice } from '../pci/qdev-pci.js';
import { pciProps } from '../pci/device.js';
import { defineProp } from '../core/qdev-properties.js';
import type { QdevTypeInfo } from '../core/qdev.js';
import { QemuError } from '../../errors.js';

const IOTEST_IOSIZE = 128;
const IOTEST_MEMSIZE = 2048;

export class PciTestdev extends QdevPciDevice {
  constructor(private readonly membarSize: number) {
    super({ typeName: 'pci-testdev', vendorId: 0x1b36, deviceId: 0x0005, revision: 0, classId: 0x00ff });
  }

  protected override realizeDevice(): void {
    this.config[R.PCI_INTERRUPT_PIN] = 0;
    this.registerBar(0, R.PCI_BASE_ADDRESS_SPACE_MEMORY, IOTEST_MEMSIZE * 2);
    this.registerBar(1, R.PCI_BASE_ADDRESS_SPACE_IO, IOTEST_IOSIZE * 2);
    if (this.membarSize) {
      this.registerBar(2, R.PCI_BASE_ADDRESS_SPACE_MEMORY | R.PCI_BASE_ADDRESS_MEM_PREFETCH | R.PCI_BASE_ADDRESS_MEM_TYPE_64, this.membarSize);
    }
  }
}

const t = 'pci-testdev';

/** pci_testdev_properties[] */
export const PCI_TESTDEV_TYPE: QdevTypeInfo = {
  name: t,
  ancestors: [t, 'pci-device', 'device'],
  busType: 'PCI',
  kind: 'pci',
  props: [...pciProps(t), defineProp(t, 'membar', 'size', 0n)],
  build: (ctx) => {
    const size = ctx.props.num('membar');
    // pci_register_bar() asserts a power of two: QEMU 7.2 aborts
    if (size && 2 ** Math.round(Math.log2(size)) !== size) throw new QemuError('UNSUPPORTED', `pcisim: pci-testdev membar=${size} is not a power of two (QEMU 7.2 aborts on it)`);
    return new PciTestdev(size);
  },
};
