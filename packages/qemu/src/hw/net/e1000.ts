/**
 * @module
 * `e1000`: Intel 82540EM, 8086:100e rev 3, a conventional PCI NIC (hw/net/e1000.c `pci_e1000_realize`):
 * 128 KiB MMIO BAR 0, 64-byte I/O BAR 1, no capabilities, the efi-e1000.rom option ROM by default.
 * The 82544GC and 82545EM variants differ only in device ID.
 */
import * as R from '../pci/regs.js';
import { QdevPciDevice } from '../pci/qdev-pci.js';
import { pciProps } from '../pci/device.js';
import { defineProp, nicProperties } from '../core/qdev-properties.js';
import type { QdevTypeInfo } from '../core/qdev.js';

const PNPMMIO_SIZE = 0x20000;
const IOPORT_SIZE = 0x40;

export class E1000 extends QdevPciDevice {
  constructor(typeName: string, deviceId: number) {
    super({ typeName, vendorId: 0x8086, deviceId, revision: 0x03, classId: 0x0200 });
  }

  protected override realizeDevice(): void {
    this.config[R.PCI_CACHE_LINE_SIZE] = 0x10;
    this.config[R.PCI_INTERRUPT_PIN] = 1;
    this.registerBar(0, R.PCI_BASE_ADDRESS_SPACE_MEMORY, PNPMMIO_SIZE);
    this.registerBar(1, R.PCI_BASE_ADDRESS_SPACE_IO, IOPORT_SIZE);
  }
}

/** e1000_properties[], for each variant (e1000_register_types()) */
function e1000Type(name: string, deviceId: number): QdevTypeInfo {
  return {
    name,
    ancestors: [name, 'e1000-base', 'pci-device', 'device'],
    busType: 'PCI',
    kind: 'pci',
    romfile: 'efi-e1000.rom',
    props: [
      ...pciProps(name),
      ...nicProperties(name),
      ...['autonegotiation', 'mitigation', 'extra_mac_registers', 'migrate_tso_props', 'init-vet'].map((n) =>
        defineProp(name, n, 'bool', true),
      ),
      defineProp(name, 'bootindex', 'int32', -1),
    ],
    build: () => new E1000(name, deviceId),
  };
}

export const E1000_TYPES: readonly QdevTypeInfo[] = [e1000Type('e1000', 0x100e), e1000Type('e1000-82544gc', 0x100c), e1000Type('e1000-82545em', 0x100f)];
