/**
 * @module
 * `bochs-display`: the Bochs VBE display without VGA (hw/display/bochs-display.c, `bochs_display_realize`),
 * 1234:1111 rev 2, class 0x0380: the framebuffer in a prefetchable BAR 0, the DISPI and QEMU extended
 * registers in a 4 KiB BAR 2, vgabios-bochs-display.bin as option ROM. It is a hybrid device: on an Express
 * bus it gets a PCI Express capability at 0x80 (a Root Complex Integrated Endpoint on pcie.0) and the 4 KiB
 * config space; on a conventional bus neither.
 */
import { QemuError } from '../../errors.js';
import { pciProps } from '../pci/device.js';
import { QdevPciDevice } from '../pci/qdev-pci.js';
import * as R from '../pci/regs.js';
import { defineProp } from '../core/qdev-properties.js';
import type { QdevTypeInfo } from '../core/qdev.js';
import { edidProps, PCI_VGA_MMIO_SIZE } from './vga.js';

const MiB = 1024 * 1024;

export class BochsDisplay extends QdevPciDevice {
  constructor(
    private readonly vgamem: number,
    express: boolean,
  ) {
    // bochs_display_init() sets QEMU_PCI_CAP_EXPRESS; realize clears it again on a conventional bus
    super({ typeName: 'bochs-display', vendorId: 0x1234, deviceId: 0x1111, revision: 0, classId: 0x0380, isExpress: express });
  }

  protected override realizeDevice(): void {
    let size = 1;
    while (size < this.vgamem) size *= 2; // pow2ceil(s->vgamem)
    this.config[R.PCI_REVISION_ID] = 2;
    this.registerBar(0, R.PCI_BASE_ADDRESS_MEM_PREFETCH, size);
    this.registerBar(2, R.PCI_BASE_ADDRESS_SPACE_MEMORY, PCI_VGA_MMIO_SIZE);
    if (this.isExpress) this.pcieEndpointCapInitV2(0x80);
    else this.expressCap = false;
  }
}

/** bochs_display_properties[] and the instance's big-endian-framebuffer */
export const BOCHS_DISPLAY_TYPE: QdevTypeInfo = {
  name: 'bochs-display',
  ancestors: ['bochs-display', 'pci-device', 'device'],
  busType: 'PCI',
  kind: 'pci',
  romfile: 'vgabios-bochs-display.bin',
  props: [
    ...pciProps('bochs-display'),
    defineProp('bochs-display', 'vgamem', 'size', 16n * BigInt(MiB)),
    defineProp('bochs-display', 'edid', 'bool', true),
    ...edidProps('bochs-display'),
    defineProp('bochs-display', 'big-endian-framebuffer', 'bool', false),
  ],
  build: (ctx) => {
    const vgamem = ctx.props.big('vgamem') ?? 16n * BigInt(MiB);
    if (vgamem < 4n * BigInt(MiB)) throw new QemuError('BAD_PROPERTY_VALUE', 'bochs-display: video memory too small');
    if (vgamem > 256n * BigInt(MiB)) throw new QemuError('BAD_PROPERTY_VALUE', 'bochs-display: video memory too big');
    return new BochsDisplay(Number(vgamem), ctx.bus.isExpress);
  },
};
