/**
 * @module
 * Capability builders shared by several device models, each mirroring the QEMU helper named beside it.
 */
import type { PciDevice } from './device.js';
import * as R from './regs.js';

const PCI_PM_PMC = 2;
const PCI_PM_CTRL = 4;
const PCI_PM_SIZEOF = 8;

/** the PM capability as most QEMU devices add it (e.g. e1000e_add_pm_capability, virtio's pci_pm_init) */
export function addPmCapability(dev: PciDevice, offset: number, pmc: number): number {
  const pos = dev.addCapability(R.PCI_CAP_ID_PM, offset, PCI_PM_SIZEOF);
  dev.pmCap = pos;
  dev.setWord(pos + PCI_PM_PMC, 0x0002 | pmc); // PCI_PM_CAP_VER_1_1
  dev.setWord(pos + PCI_PM_CTRL, 0x0003 | 0x0100 | 0x1e00, dev.wmask); // STATE_MASK | PME_ENABLE | DATA_SEL_MASK
  dev.setWord(pos + PCI_PM_CTRL, 0x8000, dev.w1cmask); // PME_STATUS
  return pos;
}

// AER register offsets and masks (hw/pci/pcie_aer.c, include/hw/pci/pcie_regs.h)
const PCI_ERR_UNCOR_STATUS = 0x04;
const PCI_ERR_UNCOR_SEVER = 0x0c;
const PCI_ERR_COR_STATUS = 0x10;
const PCI_ERR_COR_MASK = 0x14;
const PCI_ERR_CAP = 0x18;
const PCI_ERR_UNC_SUPPORTED = 0x03fff030;
const PCI_ERR_UNC_SEVERITY_DEFAULT = 0x00462030;
const PCI_ERR_COR_SUPPORTED = 0x0000f1c1;
const PCI_ERR_COR_MASK_DEFAULT = 0x0000e000;
export const PCI_ERR_SIZEOF = 0x48;
export const PCI_ERR_VER = 2;

/** pcie_aer_init(); `logMax` > 0 for ports (aer_log_max, default 8), 0 for endpoints */
export function pcieAerInit(dev: PciDevice, offset: number, size: number, logMax: number): void {
  dev.addExtCapability(R.PCI_EXT_CAP_ID_ERR, PCI_ERR_VER, offset, size);
  dev.setLong(offset + PCI_ERR_UNCOR_STATUS, PCI_ERR_UNC_SUPPORTED, dev.w1cmask);
  dev.setLong(offset + PCI_ERR_UNCOR_SEVER, PCI_ERR_UNC_SEVERITY_DEFAULT);
  dev.setLong(offset + PCI_ERR_UNCOR_SEVER, PCI_ERR_UNC_SUPPORTED, dev.wmask);
  dev.setLong(offset + PCI_ERR_COR_STATUS, PCI_ERR_COR_SUPPORTED, dev.w1cmask);
  dev.setLong(offset + PCI_ERR_COR_MASK, PCI_ERR_COR_MASK_DEFAULT);
  dev.setLong(offset + PCI_ERR_COR_MASK, PCI_ERR_COR_SUPPORTED, dev.wmask);
  if (logMax > 0) {
    dev.setLong(offset + PCI_ERR_CAP, 0x20 | 0x80 | 0x200);
    dev.setLong(offset + PCI_ERR_CAP, 0x40 | 0x100 | 0x400, dev.wmask);
  } else {
    dev.setLong(offset + PCI_ERR_CAP, 0x20 | 0x80);
    dev.setLong(offset + PCI_ERR_CAP, 0x40 | 0x100, dev.wmask);
  }
  const type = (dev.getWord(dev.expCap + R.PCI_EXP_FLAGS) >> 4) & 0xf;
  if (type === R.PCI_EXP_TYPE_DOWNSTREAM || type === R.PCI_EXP_TYPE_UPSTREAM) {
    dev.setWord(R.PCI_BRIDGE_CONTROL, dev.getWord(R.PCI_BRIDGE_CONTROL) | 0, dev.config);
    dev.wmask[R.PCI_BRIDGE_CONTROL]! |= R.PCI_BRIDGE_CTL_SERR;
    dev.w1cmask[R.PCI_STATUS + 1]! |= 0x40; // PCI_SEC_STATUS_RCV_SYSTEM_ERROR 0x4000
  }
}

/** pcie_dev_ser_num_init() */
export function pcieDevSerNumInit(dev: PciDevice, offset: number, serialLo: number, serialHi: number): void {
  dev.addExtCapability(R.PCI_EXT_CAP_ID_DSN, 1, offset, 0x0c);
  dev.setLong(offset + 4, serialLo >>> 0);
  dev.setLong(offset + 8, serialHi >>> 0);
}

/** pcie_cap_v1_init(): a v1 (20-byte) PCI Express capability */
export function pcieCapV1Init(dev: PciDevice, offset: number, type: number, port: number): number {
  const pos = dev.addCapability(R.PCI_CAP_ID_EXP, offset, R.PCI_EXP_VER1_SIZEOF);
  dev.expCap = pos;
  dev.setWord(pos + R.PCI_EXP_FLAGS, ((type << 4) & 0xf0) | 1);
  dev.setLong(pos + R.PCI_EXP_DEVCAP, 0x8000);
  dev.setLong(pos + R.PCI_EXP_LNKCAP, ((port << 24) | 0x400 | (1 << 4) | 1) >>> 0);
  dev.setWord(pos + R.PCI_EXP_LNKSTA, (1 << 4) | 1);
  dev.setWord(pos + R.PCI_EXP_LNKSTA, 0, dev.cmask);
  return pos;
}

/** pcie_endpoint_cap_v1_init() */
export function pcieEndpointCapV1Init(dev: PciDevice, offset: number): number {
  const onRoot = dev.bus !== null && dev.bus.isExpress && dev.bus.parentBridge === null;
  return pcieCapV1Init(dev, offset, onRoot ? R.PCI_EXP_TYPE_RC_END : R.PCI_EXP_TYPE_ENDPOINT, 0);
}
