/**
 * @module
 * `VGA`: QEMU's standard VGA with Bochs VBE extensions (hw/display/vga-pci.c, `pci_std_vga_realize`).
 */
import { PciDevice, pciProps } from '../pci/device.js';
import * as R from '../pci/regs.js';
import { defineProp } from '../core/qdev-properties.js';
import type { QdevTypeInfo } from '../core/qdev.js';

export class StdVga extends PciDevice {
  constructor(
    private readonly opts: { vgamemMb: number; mmio: boolean; romSize: number },
  ) {
    super({ typeName: 'VGA', vendorId: 0x1234, deviceId: 0x1111, revision: 0, classId: 0x0300 });
  }

  override realize(): void {
    this.registerBar(0, R.PCI_BASE_ADDRESS_MEM_PREFETCH, this.opts.vgamemMb << 20);
    if (this.opts.mmio) {
      this.registerBar(2, R.PCI_BASE_ADDRESS_SPACE_MEMORY, 0x1000); // "vga.mmio", PCI_VGA_MMIO_SIZE
      this.config[R.PCI_REVISION_ID] = 2;
    }
    // pci_add_option_rom(): vgabios-stdvga.bin (39 KiB in Debian's seabios package) rounded to a power of two
    if (this.opts.romSize > 0) this.registerBar(R.PCI_ROM_SLOT, 0, this.opts.romSize);
  }
}

/** `VGA`: vga_pci_properties[] and pci_vga's */
export const VGA_TYPE: QdevTypeInfo = {
  name: 'VGA',
  ancestors: ['VGA', 'pci-vga', 'pci-device', 'device'],
  busType: 'PCI',
  kind: 'pci',
  romfile: 'vgabios-stdvga.bin',
  props: [
    ...pciProps('VGA'),
    defineProp('VGA', 'vgamem_mb', 'uint32', 16),
    defineProp('VGA', 'mmio', 'bool', true),
    defineProp('VGA', 'qemu-extended-regs', 'bool', true),
    defineProp('VGA', 'edid', 'bool', true),
    defineProp('VGA', 'xres', 'uint32', 0),
    defineProp('VGA', 'yres', 'uint32', 0),
    defineProp('VGA', 'xmax', 'uint32', 0),
    defineProp('VGA', 'ymax', 'uint32', 0),
    defineProp('VGA', 'refresh_rate', 'uint32', 0),
    defineProp('VGA', 'global-vmstate', 'bool', false),
  ],
  build: (ctx) => new StdVga({ vgamemMb: ctx.props.num('vgamem_mb'), mmio: ctx.props.bool('mmio'), romSize: ctx.romSize }),
};
