/**
 * @module
 * What every `-device` PCI function shares beyond {@link PciDevice}: QEMU's `pci_find_space()` (a capability
 * added at offset 0 takes the first free dword-aligned run after the header), the generic parts of
 * `pci_default_write_config()` (MSI's QSIZE clamp), `pci_do_device_reset()` for the system reset that
 * follows machine creation, and the PCI Express capability helpers of hw/pci/pcie.c that PciDevice lacks.
 */
import { PciDevice } from './device.js';
import type { PciBus } from './bus.js';
import { QemuError } from '../../errors.js';
import * as R from './regs.js';
import type { QdevTypeInfo } from '../core/qdev.js';

// pci_regs.h bits used here and by the device models
export const PCI_MSI_FLAGS = 2;
export const PCI_MSI_FLAGS_ENABLE = 0x0001;
export const PCI_MSI_FLAGS_QMASK = 0x000e;
export const PCI_MSI_FLAGS_QSIZE = 0x0070;
export const PCI_MSI_FLAGS_64BIT = 0x0080;
export const PCI_MSI_FLAGS_MASKBIT = 0x0100;
export const PCI_PM_PMC = 2;
export const PCI_PM_CTRL = 4;
export const PCI_PM_SIZEOF = 8;
export const PCI_EXP_DEVCAP_FLR = 0x10000000;
export const PCI_EXP_DEVCTL_CERE = 0x0001;
export const PCI_EXP_DEVCTL_NFERE = 0x0002;
export const PCI_EXP_DEVCTL_FERE = 0x0004;
export const PCI_EXP_DEVCTL_URRE = 0x0008;
export const PCI_EXP_DEVCTL_BCR_FLR = 0x8000;
export const PCI_EXP_DEVSTA_CED = 0x01;
export const PCI_EXP_DEVSTA_NFED = 0x02;
export const PCI_EXP_DEVSTA_FED = 0x04;
export const PCI_EXP_DEVSTA_URD = 0x08;
export const PCI_EXP_LNKCTL_CCC = 0x0040;
export const PCI_EXP_LNKCTL_ES = 0x0080;
export const PCI_EXP_DEVCAP2_ARI = 0x00000020;
export const PCI_EXP_DEVCTL2_ARI = 0x0020;
export const PCI_EXT_CAP_ID_ATS = 0x0f;

/** A function created from `-device`: the PciDevice plus QEMU's bookkeeping around it. */
export class QdevPciDevice extends PciDevice {
  /** QEMU's `pdev->used`: bytes claimed by capabilities, for pci_find_space() */
  readonly used = new Uint8Array(R.PCI_CONFIG_SPACE_SIZE);
  /** `pci_bus_is_express(bus) && !pci_bus_is_root(bus)` as seen at realize */
  protected onPciePort = false;
  /** the secondary bus of a bridge, null otherwise */
  secondaryBus: PciBus | null = null;
  /** QEMU_PCI_CAP_EXPRESS after realize: virtio clears it when not behind a port */
  expressCap: boolean;

  /** the option ROM BAR's size (pci_add_option_rom), 0 for none */
  romSize = 0;

  constructor(opts: ConstructorParameters<typeof PciDevice>[0]) {
    super(opts);
    this.expressCap = this.isExpress;
  }

  /** pci_qdev_realize(): the class's realize, then the option ROM */
  override realize(): void {
    this.onPciePort = this.bus !== null && this.bus.isExpress && this.bus.parentBridge !== null;
    this.realizeDevice();
    if (this.romSize > 0) this.registerBar(R.PCI_ROM_SLOT, 0, this.romSize);
  }

  /** `PCIDeviceClass::realize` of the model */
  protected realizeDevice(): void {}

  /** pci_add_capability(): offset 0 means "the first free space" (pci_find_space) */
  override addCapability(capId: number, offset: number, size: number): number {
    if (offset === 0) {
      offset = this.findSpace(size);
      if (offset === 0) throw new RangeError(`${this.typeName}: out of PCI config space for capability ${capId}`);
    } else {
      for (let i = offset; i < offset + size; i++) {
        const other = this.capabilityAt(i);
        if (other) {
          throw new QemuError(
            'UNSUPPORTED',
            `${this.bus?.name ?? ''}:${(this.bus?.number ?? 0).toString(16).padStart(2, '0')}:${R.PCI_SLOT(this.devfn)
              .toString(16)
              .padStart(2, '0')}.${R.PCI_FUNC(this.devfn)} Attempt to add PCI capability ${capId.toString(16)} at offset ${offset.toString(16)} overlaps existing capability ${other.toString(16)} at offset ${i.toString(16)}`,
          );
        }
      }
    }
    this.used.fill(0xff, offset, Math.min(offset + ((size + 3) & ~3), this.used.length));
    return super.addCapability(capId, offset, size);
  }

  /** pci_find_space() */
  findSpace(size: number): number {
    let offset = R.PCI_CONFIG_HEADER_SIZE;
    for (let i = R.PCI_CONFIG_HEADER_SIZE; i < R.PCI_CONFIG_SPACE_SIZE; i++) {
      if (this.used[i]) offset = i + 1;
      else if (i - offset + 1 === size) return offset;
    }
    return 0;
  }

  /** pci_find_capability_at_offset() */
  private capabilityAt(offset: number): number {
    if (!this.used[offset]) return 0;
    let found = 0;
    for (let next = this.config[R.PCI_CAPABILITY_LIST]!; next; next = this.config[next + 1]!) {
      if (next <= offset && next > found) found = next;
    }
    return found;
  }

  /** pcie_cap_init() plus the QEMU_PCIE_EXTCAP_INIT step PciDevice.pcieCapInit leaves out */
  pcieCapInitV2(offset: number, type: number, port: number): number {
    const pos = this.pcieCapInit(offset, type, port);
    // read-only to behave like a 'NULL' Extended Capability Header (x-pcie-extcap-init=on)
    if (this.extcapInit) this.setLong(R.PCI_CONFIG_SPACE_SIZE, 0, this.wmask);
    return pos;
  }

  /** the `x-pcie-extcap-init` property */
  extcapInit = true;

  /** pcie_endpoint_cap_init(), v2, with the extcap step */
  pcieEndpointCapInitV2(offset: number): number {
    const onRoot = this.bus !== null && this.bus.isExpress && this.bus.parentBridge === null;
    return this.pcieCapInitV2(offset, onRoot ? R.PCI_EXP_TYPE_RC_END : R.PCI_EXP_TYPE_ENDPOINT, 0);
  }

  /** pcie_cap_deverr_init() */
  pcieCapDeverrInit(): void {
    const pos = this.expCap;
    this.setLong(pos + R.PCI_EXP_DEVCAP, this.getLong(pos + R.PCI_EXP_DEVCAP) | 0x8000);
    const wm = PCI_EXP_DEVCTL_CERE | PCI_EXP_DEVCTL_NFERE | PCI_EXP_DEVCTL_FERE | PCI_EXP_DEVCTL_URRE;
    this.wmask[pos + R.PCI_EXP_DEVCTL]! |= wm;
    const w1c = PCI_EXP_DEVSTA_CED | PCI_EXP_DEVSTA_NFED | PCI_EXP_DEVSTA_FED | PCI_EXP_DEVSTA_URD;
    this.w1cmask[pos + R.PCI_EXP_DEVSTA]! |= w1c;
  }

  /** pcie_cap_deverr_reset() */
  pcieCapDeverrReset(): void {
    const a = this.expCap + R.PCI_EXP_DEVCTL;
    this.config[a]! &= ~(PCI_EXP_DEVCTL_CERE | PCI_EXP_DEVCTL_NFERE | PCI_EXP_DEVCTL_FERE | PCI_EXP_DEVCTL_URRE);
  }

  /** pcie_cap_lnkctl_init() */
  pcieCapLnkctlInit(): void {
    this.wmask[this.expCap + R.PCI_EXP_LNKCTL]! |= PCI_EXP_LNKCTL_CCC | PCI_EXP_LNKCTL_ES;
  }

  /** pcie_cap_lnkctl_reset() */
  pcieCapLnkctlReset(): void {
    this.config[this.expCap + R.PCI_EXP_LNKCTL]! &= ~(PCI_EXP_LNKCTL_CCC | PCI_EXP_LNKCTL_ES);
  }

  /** pcie_cap_flr_init() */
  pcieCapFlrInit(): void {
    const pos = this.expCap;
    this.setLong(pos + R.PCI_EXP_DEVCAP, (this.getLong(pos + R.PCI_EXP_DEVCAP) | PCI_EXP_DEVCAP_FLR) >>> 0);
    this.setWord(pos + R.PCI_EXP_DEVCTL, this.getWord(pos + R.PCI_EXP_DEVCTL) | PCI_EXP_DEVCTL_BCR_FLR, this.wmask);
  }

  /** pcie_cap_arifwd_init() */
  pcieCapArifwdInit(): void {
    const pos = this.expCap;
    this.setLong(pos + R.PCI_EXP_DEVCAP2, (this.getLong(pos + R.PCI_EXP_DEVCAP2) | PCI_EXP_DEVCAP2_ARI) >>> 0);
    this.wmask[pos + R.PCI_EXP_DEVCTL2]! |= PCI_EXP_DEVCTL2_ARI;
  }

  /** pcie_cap_arifwd_reset() */
  pcieCapArifwdReset(): void {
    this.config[this.expCap + R.PCI_EXP_DEVCTL2]! &= ~PCI_EXP_DEVCTL2_ARI;
  }

  /** pcie_ats_init() */
  pcieAtsInit(offset: number, aligned: boolean): void {
    this.addExtCapability(PCI_EXT_CAP_ID_ATS, 1, offset, 8);
    if (aligned) this.setWord(offset + 4, 0x0020); // PCI_ATS_CAP_PAGE_ALIGNED
    this.setWord(offset + 6, 0);
    this.setWord(offset + 6, 0x800f, this.wmask);
  }

  /** the PM capability as virtio and pcie-pci-bridge add it: PMC = 3 (PM spec 1.2), control read-only */
  addPm12Capability(): number {
    const pos = this.addCapability(R.PCI_CAP_ID_PM, 0, PCI_PM_SIZEOF);
    this.pmCap = pos;
    this.setWord(pos + PCI_PM_PMC, 0x3);
    return pos;
  }

  /** pci_default_write_config(), then the msi/msix hooks it ends with */
  override configWrite(addr: number, val: number, len: number): void {
    super.configWrite(addr, val, len);
    this.msiWriteConfig(addr, len);
  }

  /** msi_write_config(): with MSI on, a QSIZE above QMASK is clamped (the rest is interrupt delivery) */
  protected msiWriteConfig(addr: number, len: number): void {
    if (!this.msiCap) return;
    let flags = this.getWord(this.msiCap + PCI_MSI_FLAGS);
    const size = msiCapSizeof(flags);
    if (addr + len <= this.msiCap || addr >= this.msiCap + size) return;
    if (!(flags & PCI_MSI_FLAGS_ENABLE)) return;
    const logNum = (flags & PCI_MSI_FLAGS_QSIZE) >> 4;
    const logMax = (flags & PCI_MSI_FLAGS_QMASK) >> 1;
    if (logNum > logMax) {
      flags = (flags & ~PCI_MSI_FLAGS_QSIZE) | (logMax << 4);
      this.setWord(this.msiCap + PCI_MSI_FLAGS, flags);
    }
  }

}

/** msi_cap_sizeof() */
export function msiCapSizeof(flags: number): number {
  const is64 = (flags & PCI_MSI_FLAGS_64BIT) !== 0;
  const mask = (flags & PCI_MSI_FLAGS_MASKBIT) !== 0;
  return is64 ? (mask ? 0x18 : 0x0e) : mask ? 0x14 : 0x0a;
}

/**
 * qbus_reset_all() on a PCI bus (a bridge's secondary bus reset, a hot-plugged bridge): every function
 * below, depth first, each with its own reset and pci_do_device_reset().
 */
export function resetBus(bus: PciBus): void {
  for (const dev of bus.devices) {
    if (!dev) continue;
    if (dev instanceof QdevPciDevice && dev.secondaryBus) resetBus(dev.secondaryBus);
    dev.reset();
  }
}

/** TYPE_PCI_DEVICE: the abstract parent of every PCI function */
export const PCI_DEVICE_TYPE: QdevTypeInfo = { name: 'pci-device', ancestors: ['pci-device', 'device'], abstract: true, busType: 'PCI', props: [], kind: 'pci' };
