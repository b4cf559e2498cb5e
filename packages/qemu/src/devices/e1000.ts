/**
 * @module
 * `e1000`: Intel 82540EM, 8086:100e (hw/net/e1000.c, `pci_e1000_realize`), QEMU's default NIC on `pc`.
 * A conventional PCI function with no capabilities: a 128 KiB MMIO BAR, a 64-byte I/O BAR and the iPXE
 * option ROM (efi-e1000.rom) in the ROM BAR.
 */
import { PciDevice } from '../pci/device.js';
import * as R from '../pci/regs.js';

/** PNPMMIO_SIZE */
const E1000_MMIO_SIZE = 0x20000;
/** IOPORT_SIZE */
const E1000_IO_SIZE = 0x40;

export class E1000 extends PciDevice {
  constructor(private readonly opts: { romSize: number }) {
    // e1000_class_init() for "e1000": E1000_DEV_ID_82540EM, revision 0x03, PCI_CLASS_NETWORK_ETHERNET
    super({ typeName: 'e1000', vendorId: 0x8086, deviceId: 0x100e, revision: 0x03, classId: 0x0200 });
  }

  override realize(): void {
    // TODO in QEMU: RST# value should be 0 (pci_do_device_reset() zeroes it anyway)
    this.config[R.PCI_CACHE_LINE_SIZE] = 0x10;
    this.config[R.PCI_INTERRUPT_PIN] = 1; // interrupt pin A
    this.registerBar(0, R.PCI_BASE_ADDRESS_SPACE_MEMORY, E1000_MMIO_SIZE); // "e1000-mmio"
    this.registerBar(1, R.PCI_BASE_ADDRESS_SPACE_IO, E1000_IO_SIZE); // "e1000-io"
    // pci_add_option_rom(): efi-e1000.rom (Debian's ipxe-qemu) rounded up to a power of two
    if (this.opts.romSize > 0) this.registerBar(R.PCI_ROM_SLOT, 0, this.opts.romSize);
  }
}
