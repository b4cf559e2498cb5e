/**
 * @module
 * `VGA`: QEMU's standard VGA with Bochs VBE extensions (hw/display/vga-pci.c, `pci_std_vga_realize`), and
 * `secondary-vga`, the same card without legacy VGA decoding (`pci_secondary_vga_realize`): class 0x0380,
 * no option ROM. `vga_common_init()` (hw/display/vga.c) sizes the framebuffer of both.
 */
import { PciDevice, pciProps } from '../pci/device.js';
import { QdevPciDevice } from '../pci/qdev-pci.js';
import * as R from '../pci/regs.js';
import { defineProp, type QdevPropDef } from '../core/qdev-properties.js';
import type { QdevTypeInfo } from '../core/qdev.js';

/** PCI_VGA_MMIO_SIZE: the BAR 2 that holds the VGA ioports, Bochs DISPI and QEMU extended registers */
export const PCI_VGA_MMIO_SIZE = 0x1000;

/** vga_common_init(): `vram_size_mb` clamped to 1..512 and rounded up to a power of two, in bytes */
export function vgaCommonVramSize(vramSizeMb: number): number {
  let mb = Math.min(Math.max(vramSizeMb, 1), 512);
  let p = 1;
  while (p < mb) p *= 2;
  mb = p;
  return mb * 1024 * 1024;
}

/** DEFINE_EDID_PROPERTIES() */
export function edidProps(owner: string): QdevPropDef[] {
  return ['xres', 'yres', 'xmax', 'ymax', 'refresh_rate'].map((n) => defineProp(owner, n, 'uint32', 0));
}

export class StdVga extends PciDevice {
  constructor(
    private readonly opts: { vgamemMb: number; mmio: boolean; romSize: number },
  ) {
    super({ typeName: 'VGA', vendorId: 0x1234, deviceId: 0x1111, revision: 0, classId: 0x0300 });
  }

  override realize(): void {
    this.registerBar(0, R.PCI_BASE_ADDRESS_MEM_PREFETCH, vgaCommonVramSize(this.opts.vgamemMb));
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
    ...edidProps('VGA'),
    defineProp('VGA', 'global-vmstate', 'bool', false),
    defineProp('VGA', 'big-endian-framebuffer', 'bool', false),
  ],
  build: (ctx) => new StdVga({ vgamemMb: ctx.props.num('vgamem_mb'), mmio: ctx.props.bool('mmio'), romSize: ctx.romSize }),
};

/** `secondary-vga` (pci_secondary_vga_realize): the framebuffer in BAR 0, the MMIO registers in BAR 2, no ROM */
export class SecondaryVga extends QdevPciDevice {
  constructor(private readonly opts: { vgamemMb: number; qext: boolean }) {
    super({ typeName: 'secondary-vga', vendorId: 0x1234, deviceId: 0x1111, revision: 0, classId: 0x0380 });
  }

  protected override realizeDevice(): void {
    if (this.opts.qext) this.config[R.PCI_REVISION_ID] = 2;
    this.registerBar(0, R.PCI_BASE_ADDRESS_MEM_PREFETCH, vgaCommonVramSize(this.opts.vgamemMb));
    this.registerBar(2, R.PCI_BASE_ADDRESS_SPACE_MEMORY, PCI_VGA_MMIO_SIZE);
  }
}

/** `secondary-vga`: secondary_pci_properties[] and the instance's big-endian-framebuffer */
export const SECONDARY_VGA_TYPE: QdevTypeInfo = {
  name: 'secondary-vga',
  ancestors: ['secondary-vga', 'pci-vga', 'pci-device', 'device'],
  busType: 'PCI',
  kind: 'pci',
  props: [
    ...pciProps('secondary-vga'),
    defineProp('secondary-vga', 'vgamem_mb', 'uint32', 16),
    defineProp('secondary-vga', 'qemu-extended-regs', 'bool', true),
    defineProp('secondary-vga', 'edid', 'bool', true),
    ...edidProps('secondary-vga'),
    defineProp('secondary-vga', 'big-endian-framebuffer', 'bool', false),
  ],
  build: (ctx) => new SecondaryVga({ vgamemMb: ctx.props.num('vgamem_mb'), qext: ctx.props.bool('qemu-extended-regs') }),
};
