/**
 * @module
 * `VGA`: QEMU's standard VGA with Bochs VBE extensions (hw/display/vga-pci.c, `pci_std_vga_realize`).
 */
import { PciDevice } from '../pci/device.js';
import * as R from '../pci/regs.js';

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
