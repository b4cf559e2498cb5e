/**
 * @module
 * `ivshmem-plain` and `ivshmem-doorbell`: inter-VM shared memory (hw/misc/ivshmem.c), 1af4:1110 rev 1,
 * class 0x0500 (RAM): 256 bytes of registers in BAR 0, the shared memory in a 64-bit prefetchable BAR 2.
 * The plain device maps a `memdev=` memory backend; the doorbell device gets its memory from an
 * ivshmem-server over `chardev=` and adds MSI-X (`vectors`, default 1) in an exclusive BAR 1.
 */
import { QemuError } from '../../errors.js';
import { pciProps } from '../pci/device.js';
import { QdevPciDevice } from '../pci/qdev-pci.js';
import * as R from '../pci/regs.js';
import { defineProp } from '../core/qdev-properties.js';
import type { QdevTypeInfo } from '../core/qdev.js';
import { msixInitExclusiveBar } from '../virtio/virtio-pci.js';

const PCI_VENDOR_ID_IVSHMEM = 0x1af4; // PCI_VENDOR_ID_REDHAT_QUMRANET
const PCI_DEVICE_ID_IVSHMEM = 0x1110;
const IVSHMEM_REG_BAR_SIZE = 0x100;
/** PCI_MSIX_FLAGS_QSIZE + 1: the most vectors msix_init() takes */
const MSIX_MAX_VECTORS = 2048;
/**
 * The shared memory a doorbell device gets is the server's (ivshmem-server -l, default
 * IVSHMEM_SERVER_DEFAULT_SHM_SIZE, 4 MiB); the command line does not say, so pcisim takes that default.
 */
export const IVSHMEM_SERVER_DEFAULT_SHM_SIZE = 4 * 1024 * 1024;

export class IvshmemDevice extends QdevPciDevice {
  constructor(
    typeName: string,
    /** the size of ivshmem_bar2: the memory backend's, or the server's shared memory */
    readonly shmSize: number,
    /** MSI-X vectors (doorbell only; 0: no IVSHMEM_MSI feature) */
    readonly vectors: number | null,
  ) {
    super({ typeName, vendorId: PCI_VENDOR_ID_IVSHMEM, deviceId: PCI_DEVICE_ID_IVSHMEM, revision: 1, classId: 0x0500 });
  }

  /** ivshmem_common_realize() */
  protected override realizeDevice(): void {
    // pci_conf[PCI_COMMAND] = IO | MEMORY: both writable bits, so the system reset clears them again
    this.config[R.PCI_COMMAND] = R.PCI_COMMAND_IO | R.PCI_COMMAND_MEMORY;
    this.registerBar(0, R.PCI_BASE_ADDRESS_SPACE_MEMORY, IVSHMEM_REG_BAR_SIZE);
    if (this.vectors !== null) {
      // ivshmem_setup_interrupts() → msix_init_exclusive_bar(dev, vectors, 1)
      if (this.vectors < 1 || this.vectors > MSIX_MAX_VECTORS) {
        throw new QemuError('BAD_PROPERTY_VALUE', 'Failed to initialize interrupts: The number of MSI-X vectors is invalid');
      }
      msixInitExclusiveBar(this, this.vectors, 1);
    }
    this.registerBar(
      2,
      R.PCI_BASE_ADDRESS_SPACE_MEMORY | R.PCI_BASE_ADDRESS_MEM_PREFETCH | R.PCI_BASE_ADDRESS_MEM_TYPE_64,
      this.shmSize,
    );
  }
}

const ANCESTORS = (name: string) => [name, 'ivshmem-common', 'pci-device', 'device'];

/** `ivshmem-plain`: ivshmem_plain_properties[] */
export const IVSHMEM_PLAIN_TYPE: QdevTypeInfo = {
  name: 'ivshmem-plain',
  ancestors: ANCESTORS('ivshmem-plain'),
  busType: 'PCI',
  kind: 'pci',
  props: [
    ...pciProps('ivshmem-plain'),
    defineProp('ivshmem-plain', 'master', 'onoffauto', 'off'),
    defineProp('ivshmem-plain', 'memdev', 'link', undefined, { target: 'memory-backend' }),
  ],
  build: (ctx) => {
    // ivshmem_plain_realize()
    const memdev = ctx.props.str('memdev');
    if (memdev === undefined) throw new QemuError('BAD_PROPERTY_VALUE', "You must specify a 'memdev'");
    if (ctx.mapMemdev && !ctx.mapMemdev(memdev)) throw new QemuError('BAD_PROPERTY_VALUE', `can't use already busy memdev: ${memdev}`);
    const size = ctx.memdevSize?.(memdev);
    if (size === undefined) throw new QemuError('UNSUPPORTED', `pcisim: the size of memdev '${memdev}' is not known`);
    if (size & (size - 1) || size === 0) {
      // pci_register_bar() asserts is_power_of_2(size): QEMU aborts
      throw new QemuError('UNSUPPORTED', `pcisim: memdev '${memdev}' is ${size} bytes, not a power of two: QEMU 7.2 aborts in pci_register_bar()`);
    }
    return new IvshmemDevice('ivshmem-plain', size, null);
  },
};

/** `ivshmem-doorbell`: ivshmem_doorbell_properties[] */
export const IVSHMEM_DOORBELL_TYPE: QdevTypeInfo = {
  name: 'ivshmem-doorbell',
  ancestors: ANCESTORS('ivshmem-doorbell'),
  busType: 'PCI',
  kind: 'pci',
  props: [
    ...pciProps('ivshmem-doorbell'),
    defineProp('ivshmem-doorbell', 'chardev', 'chardev'),
    defineProp('ivshmem-doorbell', 'vectors', 'uint32', 1),
    defineProp('ivshmem-doorbell', 'ioeventfd', 'bool', true),
    defineProp('ivshmem-doorbell', 'master', 'onoffauto', 'off'),
  ],
  build: (ctx) => {
    // ivshmem_doorbell_realize()
    const chr = ctx.props.str('chardev');
    if (chr === undefined || chr === '') throw new QemuError('BAD_PROPERTY_VALUE', "You must specify a 'chardev'");
    return new IvshmemDevice('ivshmem-doorbell', IVSHMEM_SERVER_DEFAULT_SHM_SIZE, ctx.props.num('vectors'));
  },
};

export const IVSHMEM_TYPES: readonly QdevTypeInfo[] = [
  IVSHMEM_PLAIN_TYPE,
  IVSHMEM_DOORBELL_TYPE,
  { name: 'ivshmem-common', ancestors: ['ivshmem-common', 'pci-device', 'device'], abstract: true, busType: 'PCI', props: [], kind: 'pci' },
];
