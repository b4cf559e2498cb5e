/**
 * @module
 * `e1000e`: Intel 82574L, 8086:10d3 (hw/net/e1000e.c, `e1000e_pci_realize`). On q35 it is QEMU's default
 * NIC at 00:02.0, a Root Complex Integrated Endpoint with an iPXE option ROM.
 */
import { PciDevice } from '../pci/device.js';
import * as R from '../pci/regs.js';
import { addPmCapability, pcieAerInit, pcieDevSerNumInit, pcieEndpointCapV1Init, PCI_ERR_SIZEOF } from '../pci/caps.js';
import { pciProps } from '../pci/device.js';
import { defineProp, nicProperties } from '../core/qdev-properties.js';
import type { QdevTypeInfo } from '../core/qdev.js';

export class E1000e extends PciDevice {
  constructor(
    private readonly opts: { romSize: number; mac: number[] },
  ) {
    super({
      typeName: 'e1000e',
      vendorId: 0x8086,
      deviceId: 0x10d3,
      revision: 0,
      classId: 0x0200,
      isExpress: true,
      subsystemVendorId: 0x8086,
      subsystemId: 0,
    });
  }

  override realize(): void {
    this.config[R.PCI_CACHE_LINE_SIZE] = 0x10;
    this.config[R.PCI_INTERRUPT_PIN] = 1;
    this.registerBar(0, R.PCI_BASE_ADDRESS_SPACE_MEMORY, 128 << 10); // E1000E_MMIO_SIZE
    this.registerBar(1, R.PCI_BASE_ADDRESS_SPACE_MEMORY, 128 << 10); // E1000E_FLASH_SIZE
    this.registerBar(2, R.PCI_BASE_ADDRESS_SPACE_IO, 32); // E1000E_IO_SIZE
    this.registerBar(3, R.PCI_BASE_ADDRESS_SPACE_MEMORY, 16 << 10); // E1000E_MSIX_SIZE
    this.msixInit(5, 3, 0x0000, 3, 0x2000, 0xa0); // E1000E_MSIX_VEC_NUM, table/PBA in BAR 3
    pcieEndpointCapV1Init(this, 0xe0);
    this.msiInit(0xd0, 1, true, false);
    addPmCapability(this, 0xc8, 0x20); // PCI_PM_CAP_DSI
    pcieAerInit(this, 0x100, PCI_ERR_SIZEOF, 0);
    // e1000e_gen_dsn(): mac[5..3], 0xff, 0xff, mac[2..0]
    const m = this.opts.mac;
    const lo = (m[5]! | (m[4]! << 8) | (m[3]! << 16) | (0xff << 24)) >>> 0;
    const hi = (0xff | (m[2]! << 8) | (m[1]! << 16) | (m[0]! << 24)) >>> 0;
    pcieDevSerNumInit(this, 0x140, lo, hi);
    if (this.opts.romSize > 0) this.registerBar(R.PCI_ROM_SLOT, 0, this.opts.romSize);
  }
}

/** `e1000e`: e1000e_properties[] */
export const E1000E_TYPE: QdevTypeInfo = {
  name: 'e1000e',
  ancestors: ['e1000e', 'pci-device', 'device'],
  busType: 'PCI',
  kind: 'pci',
  pcieOnly: true,
  romfile: 'efi-e1000e.rom',
  props: [
    ...pciProps('e1000e'),
    ...nicProperties('e1000e'),
    defineProp('e1000e', 'subsys_ven', 'uint16', 0x8086),
    defineProp('e1000e', 'subsys', 'uint16', 0),
    defineProp('e1000e', 'init-vet', 'bool', true),
    defineProp('e1000e', 'migrate-timadj', 'bool', true),
    defineProp('e1000e', 'bootindex', 'int32', -1),
    defineProp('e1000e', 'disable_vnet_hdr', 'uint8', 0),
    defineProp('e1000e', 'intr_mode', 'uint8', 0),
  ],
  build: (ctx) => new E1000e({ romSize: ctx.romSize, mac: ctx.props.mac('mac') ?? ctx.defaultMac() }),
};
