/**
 * @module
 * `cirrus-vga`: the Cirrus Logic CLGD 5446 (hw/display/cirrus_vga.c, `pci_cirrus_vga_realize`), 1013:00b8,
 * class 0x0300, revision 0: a 32 MiB prefetchable BAR 0 (the linear framebuffer and the bitblt aperture),
 * the 4 KiB memory-mapped registers in BAR 1, and vgabios-cirrus.bin as option ROM.
 */
import { QemuError } from '../../errors.js';
import { pciProps } from '../pci/device.js';
import { QdevPciDevice } from '../pci/qdev-pci.js';
import * as R from '../pci/regs.js';
import { defineProp } from '../core/qdev-properties.js';
import type { QdevTypeInfo } from '../core/qdev.js';

const PCI_VENDOR_ID_CIRRUS = 0x1013;
const CIRRUS_ID_CLGD5446 = 0x00b8;
/** "cirrus-pci-bar0": the linear I/O at 0, the bitblt I/O at 16 MiB */
const CIRRUS_PCI_BAR0_SIZE = 0x2000000;
const CIRRUS_PNPMMIO_SIZE = 0x1000;

export class PciCirrusVga extends QdevPciDevice {
  constructor() {
    super({ typeName: 'cirrus-vga', vendorId: PCI_VENDOR_ID_CIRRUS, deviceId: CIRRUS_ID_CLGD5446, revision: 0, classId: 0x0300 });
  }

  protected override realizeDevice(): void {
    this.registerBar(0, R.PCI_BASE_ADDRESS_MEM_PREFETCH, CIRRUS_PCI_BAR0_SIZE);
    this.registerBar(1, R.PCI_BASE_ADDRESS_SPACE_MEMORY, CIRRUS_PNPMMIO_SIZE); // device_id == CIRRUS_ID_CLGD5446
  }
}

/** pci_vga_cirrus_properties[] */
export const CIRRUS_VGA_TYPE: QdevTypeInfo = {
  name: 'cirrus-vga',
  ancestors: ['cirrus-vga', 'pci-device', 'device'],
  busType: 'PCI',
  kind: 'pci',
  romfile: 'vgabios-cirrus.bin',
  props: [
    ...pciProps('cirrus-vga'),
    defineProp('cirrus-vga', 'vgamem_mb', 'uint32', 4),
    defineProp('cirrus-vga', 'blitter', 'bool', true),
    defineProp('cirrus-vga', 'global-vmstate', 'bool', false),
  ],
  build: (ctx) => {
    // "Follow real hardware, cirrus card emulated has 4 MB video memory. Also accept 8 MB/16 MB"
    const mb = ctx.props.num('vgamem_mb');
    if (mb !== 4 && mb !== 8 && mb !== 16) throw new QemuError('BAD_PROPERTY_VALUE', `Invalid cirrus_vga ram size '${mb}'`);
    return new PciCirrusVga();
  },
};
