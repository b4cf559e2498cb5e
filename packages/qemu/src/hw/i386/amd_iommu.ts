/**
 * @module
 * `amd-iommu` (hw/i386/amd_iommu.c): the AMD-Vi unit. The sysbus device owns a PCI function, `AMDVI-PCI`, that
 * amdvi_sysbus_realize() realizes on the root bus at the first free slot, then decorates: a secure-device
 * capability (0x0f), a bare 4-byte MSI capability, a HyperTransport one, and msi_init()'s real MSI capability
 * (each pci_add_capability() goes to the head of the list). amdvi_init() (at realize and at every reset) sets
 * vendor AMD, class 0x0806, and the device ID to the function's own devfn, and writes the capability's
 * registers, its first long over the capability header (so the secure-device capability ends the list).
 * The IVRS table acpi-build.c adds is read only by CONFIG_AMD_IOMMU, which the reference kernel lacks.
 */
import * as R from '../pci/regs.js';
import { QdevPciDevice } from '../pci/qdev-pci.js';
import type { QdevTypeInfo, SysbusRealizeContext } from '../core/qdev.js';
import { X86_IOMMU_PROPS, x86IommuRealize, x86IommuSetDefault } from './x86-iommu.js';

const PCI_VENDOR_ID_AMD = 0x1022;
const AMDVI_CAPAB_ID_SEC = 0x0f;
const AMDVI_CAPAB_SIZE = 0x18;
const AMDVI_CAPAB_REG_SIZE = 0x04;
const AMDVI_CAPAB_BAR_LOW = 0x04;
const AMDVI_CAPAB_BAR_HIGH = 0x08;
const AMDVI_CAPAB_RANGE = 0x0c;
const AMDVI_CAPAB_MISC = 0x10;
const PCI_CAP_ID_HT = 0x08;
/** AMDVI_CAPAB_FLAT_EXT | NPCACHE | IOTLBSUP | ID_SEC | INIT_TYPE | HTTUNNEL | EFR_SUP */
const AMDVI_CAPAB_FEATURES = ((1 << 28) | (1 << 26) | (1 << 24) | AMDVI_CAPAB_ID_SEC | (3 << 16) | (1 << 25) | (1 << 27)) >>> 0;
/** AMDVI_MAX_PH_ADDR | AMDVI_MAX_GVA_ADDR | AMDVI_MAX_VA_ADDR */
const AMDVI_CAPAB_MISC_VALUE = (40 << 8) | (48 << 15) | (48 << 5);
/** AMDVI_BASE_ADDR: where the MMIO registers are mapped (sysbus_mmio_map) */
export const AMDVI_BASE_ADDR = 0xfed80000;

/** `AMDVI-PCI`: a TYPE_PCI_DEVICE with no realize of its own; amd-iommu fills it in. */
export class AmdviPci extends QdevPciDevice {
  capabOffset = 0;

  constructor() {
    super({ typeName: 'AMDVI-PCI', vendorId: 0, deviceId: 0, classId: 0 });
  }

  /** amdvi_sysbus_realize()'s part after qdev_realize() of the function */
  addAmdviCapabilities(): void {
    this.capabOffset = this.addCapability(AMDVI_CAPAB_ID_SEC, 0, AMDVI_CAPAB_SIZE);
    this.addCapability(R.PCI_CAP_ID_MSI, 0, AMDVI_CAPAB_REG_SIZE);
    this.addCapability(PCI_CAP_ID_HT, 0, AMDVI_CAPAB_REG_SIZE);
    this.msiInit(0, 1, true, false);
    this.amdviInit();
  }

  /** amdvi_init(): the identity and the capability registers, all read-only */
  amdviInit(): void {
    this.setWord(R.PCI_VENDOR_ID, PCI_VENDOR_ID_AMD);
    this.config[R.PCI_CLASS_PROG] = 0;
    this.setWord(R.PCI_DEVICE_ID, this.devfn);
    this.setWord(R.PCI_CLASS_DEVICE, 0x0806);
    const c = this.capabOffset;
    this.setLong(c, AMDVI_CAPAB_FEATURES);
    this.setLong(c + AMDVI_CAPAB_BAR_LOW, AMDVI_BASE_ADDR & ~0xffff0000);
    this.setLong(c + AMDVI_CAPAB_BAR_HIGH, (AMDVI_BASE_ADDR & ~0xffff) >>> 16);
    this.setLong(c + AMDVI_CAPAB_RANGE, 0xff000000);
    this.setLong(c + AMDVI_CAPAB_MISC, 0);
    this.setLong(c + AMDVI_CAPAB_MISC, AMDVI_CAPAB_MISC_VALUE);
  }

  /** amdvi_sysbus_reset() runs with the system reset: msi_reset() (the PCI core's reset does it too) and amdvi_init() */
  override deviceReset(): void {
    if (this.capabOffset) this.amdviInit();
  }
}

/** amdvi_sysbus_realize() after x86_iommu_realize() */
function amdviSysbusRealize(ctx: SysbusRealizeContext): void {
  const intrSupported = x86IommuRealize(ctx.props, ctx.irqchip);
  const pci = new AmdviPci();
  ctx.plugRootPci(pci);
  pci.addAmdviCapabilities();
  x86IommuSetDefault(ctx, { type: 'amd', intrSupported, dtSupported: ctx.props.bool('device-iotlb'), ptSupported: ctx.props.bool('pt') });
}

/** amdvi_sysbus: x86_iommu_properties[] only */
export const AMD_IOMMU_TYPE: QdevTypeInfo = {
  name: 'amd-iommu',
  ancestors: ['amd-iommu', 'x86-iommu', 'sys-bus-device', 'device'],
  busType: 'System',
  kind: 'sysbus',
  props: [...X86_IOMMU_PROPS],
  realizeSysbus: amdviSysbusRealize,
};
