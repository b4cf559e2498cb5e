/**
 * @module
 * `nvme`: QEMU's NVMe controller, Red Hat 1b36:0010 rev 2, class 010802 (hw/nvme/ctrl.c `nvme_realize`,
 * `nvme_init_pci`): a PCI Express function everywhere (INTERFACE_PCIE_DEVICE alone), INTA, a PM capability at
 * 0x60 (PMCSR No_Soft_Reset), a v2 PCIe endpoint capability at 0x80 with FLR (a Root Complex Integrated
 * Endpoint on pcie.0), MSI-X at the first free space (0x40) with `msix_qsize` vectors whose table and PBA sit
 * in the 64-bit BAR 0 after the registers and doorbells (`nvme_bar_size`: 16 KiB by default). No AER, no
 * option ROM. The controller's own `nvme-bus` carries `nvme-ns` namespaces; `drive=` makes namespace 1.
 * The CMB (cmb_size_mb), PMR (pmrdev) and SR-IOV (sriov_max_vfs) add BARs and capabilities pcisim does
 * not model: it says so.
 */
import * as R from '../pci/regs.js';
import { QdevPciDevice } from '../pci/qdev-pci.js';
import { pciProps } from '../pci/device.js';
import { defineProp, type QdevPropDef } from '../core/qdev-properties.js';
import type { QdevTypeInfo } from '../core/qdev.js';
import { QemuError } from '../../errors.js';

const PCI_DEVICE_ID_REDHAT_NVME = 0x0010;
/** sizeof(NvmeBar): the controller registers up to the doorbells */
const NVME_BAR_REGS = 0x1000;
const NVME_DB_SIZE = 4;
const PCI_MSIX_ENTRY_SIZE = 16;
const NVME_MAX_IOQPAIRS = 0xffff;
const PCI_MSIX_FLAGS_QSIZE = 0x07ff;
const KiB = 1024;

function alignUp(n: number, a: number): number {
  return Math.ceil(n / a) * a;
}

function pow2ceil(n: number): number {
  return 2 ** Math.ceil(Math.log2(n));
}

/** nvme_bar_size(): registers and doorbells, the MSI-X table, the PBA, rounded to a power of two */
export function nvmeBarSize(totalQueues: number, totalIrqs: number): { size: number; tableOffset: number; pbaOffset: number } {
  let size = alignUp(NVME_BAR_REGS + 2 * totalQueues * NVME_DB_SIZE, 4 * KiB);
  const tableOffset = size;
  size = alignUp(size + PCI_MSIX_ENTRY_SIZE * totalIrqs, 4 * KiB);
  const pbaOffset = size;
  size += alignUp(totalIrqs, 64) / 8;
  return { size: pow2ceil(size), tableOffset, pbaOffset };
}

export interface NvmeParams {
  maxIoqpairs: number;
  msixQsize: number;
  useIntelId: boolean;
}

export class NvmeCtrl extends QdevPciDevice {
  constructor(readonly params: NvmeParams) {
    super({
      typeName: 'nvme',
      vendorId: params.useIntelId ? 0x8086 : 0x1b36,
      deviceId: params.useIntelId ? 0x5845 : PCI_DEVICE_ID_REDHAT_NVME,
      revision: 2,
      classId: 0x0108,
      progIf: 0x02,
      isExpress: true,
    });
  }

  /** nvme_init_pci() */
  protected override realizeDevice(): void {
    this.config[R.PCI_INTERRUPT_PIN] = 1;
    // nvme_add_pm_capability(): PM 1.2, PMCSR No_Soft_Reset, the power state writable
    const pm = this.addCapability(R.PCI_CAP_ID_PM, 0x60, 8);
    this.pmCap = pm;
    this.setWord(pm + 2, 0x0003); // PCI_PM_CAP_VER_1_2
    this.setWord(pm + 4, 0x0008); // PCI_PM_CTRL_NO_SOFT_RESET
    this.setWord(pm + 4, 0x0003, this.wmask); // PCI_PM_CTRL_STATE_MASK
    this.pcieEndpointCapInitV2(0x80);
    this.pcieCapFlrInit();
    const bar = nvmeBarSize(this.params.maxIoqpairs + 1, this.params.msixQsize);
    this.registerBar(0, R.PCI_BASE_ADDRESS_SPACE_MEMORY | R.PCI_BASE_ADDRESS_MEM_TYPE_64, bar.size);
    this.msixInit(this.params.msixQsize, 0, bar.tableOffset, 0, bar.pbaOffset, 0);
  }
}

const n = 'nvme';

/** DEFINE_BLOCK_PROPERTIES() of a storage device */
export function blockProperties(owner: string): QdevPropDef[] {
  return [
    defineProp(owner, 'drive', 'drive'),
    defineProp(owner, 'backend_defaults', 'onoffauto', 'auto'),
    defineProp(owner, 'logical_block_size', 'size', 0n),
    defineProp(owner, 'physical_block_size', 'size', 0n),
    defineProp(owner, 'min_io_size', 'size32', 0),
    defineProp(owner, 'opt_io_size', 'size32', 0),
    defineProp(owner, 'discard_granularity', 'size32', 0xffffffff),
    defineProp(owner, 'write-cache', 'onoffauto', 'auto'),
    defineProp(owner, 'share-rw', 'bool', false),
    defineProp(owner, 'account-invalid', 'onoffauto', 'auto'),
    defineProp(owner, 'account-failed', 'onoffauto', 'auto'),
  ];
}

/** nvme_props[] */
export const NVME_TYPE: QdevTypeInfo = {
  name: n,
  ancestors: [n, 'pci-device', 'device'],
  busType: 'PCI',
  kind: 'pci',
  pcieOnly: true,
  props: [
    ...pciProps(n),
    ...blockProperties(n),
    defineProp(n, 'pmrdev', 'link', undefined, { target: 'memory-backend' }),
    defineProp(n, 'subsys', 'link', undefined, { target: 'nvme-subsys' }),
    defineProp(n, 'serial', 'string'),
    defineProp(n, 'cmb_size_mb', 'uint32', 0),
    defineProp(n, 'num_queues', 'uint32', 0),
    defineProp(n, 'max_ioqpairs', 'uint32', 64),
    defineProp(n, 'msix_qsize', 'uint16', 65),
    defineProp(n, 'aerl', 'uint8', 3),
    defineProp(n, 'aer_max_queued', 'uint32', 64),
    defineProp(n, 'mdts', 'uint8', 7),
    defineProp(n, 'vsl', 'uint8', 7),
    defineProp(n, 'use-intel-id', 'bool', false),
    defineProp(n, 'legacy-cmb', 'bool', false),
    defineProp(n, 'ioeventfd', 'bool', false),
    defineProp(n, 'zoned.zasl', 'uint8', 0),
    defineProp(n, 'zoned.auto_transition', 'bool', true),
    defineProp(n, 'sriov_max_vfs', 'uint8', 0),
    defineProp(n, 'sriov_vq_flexible', 'uint16', 0),
    defineProp(n, 'sriov_vi_flexible', 'uint16', 0),
    defineProp(n, 'sriov_max_vi_per_vf', 'uint8', 0),
    defineProp(n, 'sriov_max_vq_per_vf', 'uint8', 0),
    defineProp(n, 'bootindex', 'int32', -1),
  ],
  build: (ctx) => {
    const p = ctx.props;
    // nvme_check_constraints()
    let maxIoqpairs = p.num('max_ioqpairs');
    const numQueues = p.num('num_queues');
    if (numQueues) maxIoqpairs = (numQueues - 1) >>> 0; // "num_queues is deprecated; please use max_ioqpairs instead"
    if (p.str('drive') !== undefined && p.str('subsys') !== undefined) {
      throw new QemuError('BAD_PROPERTY_VALUE', "subsystem support is unavailable with legacy namespace ('drive' property)");
    }
    if (maxIoqpairs < 1 || maxIoqpairs > NVME_MAX_IOQPAIRS) throw new QemuError('BAD_PROPERTY_VALUE', `max_ioqpairs must be between 1 and ${NVME_MAX_IOQPAIRS}`);
    const msixQsize = p.num('msix_qsize');
    if (msixQsize < 1 || msixQsize > PCI_MSIX_FLAGS_QSIZE + 1) throw new QemuError('BAD_PROPERTY_VALUE', `msix_qsize must be between 1 and ${PCI_MSIX_FLAGS_QSIZE + 1}`);
    if (p.str('serial') === undefined) throw new QemuError('BAD_PROPERTY_VALUE', 'serial property not set');
    if (p.str('pmrdev') !== undefined) throw new QemuError('UNSUPPORTED', 'pcisim: nvme pmrdev= (the PMR BAR and capability) is not modelled');
    if (p.num('cmb_size_mb')) throw new QemuError('UNSUPPORTED', 'pcisim: nvme cmb_size_mb= (the CMB BAR) is not modelled');
    if (p.num('sriov_max_vfs')) throw new QemuError('UNSUPPORTED', 'pcisim: nvme sriov_max_vfs= (SR-IOV and ARI) is not modelled');
    return new NvmeCtrl({ maxIoqpairs, msixQsize, useIntelId: p.bool('use-intel-id') });
  },
};
