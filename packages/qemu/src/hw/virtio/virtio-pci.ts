/**
 * @module
 * virtio over PCI as QEMU 7.2 presents it (hw/virtio/virtio-pci.c): `virtio_pci_dc_realize` (Express when
 * modern), `virtio_pci_realize` (legacy off by default behind a PCIe port, on elsewhere; PCIe + PM
 * capabilities only behind a port), then `virtio_pci_device_plugged` (IDs, the five vendor capabilities
 * common/isr/device/notify/pci-cfg, the 64-bit prefetchable modern BAR 4, MSI-X in its own BAR 1, the
 * legacy I/O BAR 0). One class serves every `virtio-*-pci` type; {@link VirtioPciSpec} holds what differs.
 */
import { QdevPciDevice, PCI_PM_CTRL } from '../pci/qdev-pci.js';
import { pcieAerInit, PCI_ERR_SIZEOF } from '../pci/caps.js';
import { QemuError } from '../../errors.js';
import * as R from '../pci/regs.js';
import { pciProps } from '../pci/device.js';
import { defineProp, type PropBag, type QdevPropDef } from '../core/qdev-properties.js';
import type { BuildContext, QdevTypeInfo } from '../core/qdev.js';

const PCI_VENDOR_ID_REDHAT_QUMRANET = 0x1af4;
const PCI_DEVICE_ID_VIRTIO_10_BASE = 0x1040;
const VIRTIO_QUEUE_MAX = 1024;

// virtio_pci.h: cfg_type values and structure sizes
const VIRTIO_PCI_CAP_COMMON_CFG = 1;
const VIRTIO_PCI_CAP_NOTIFY_CFG = 2;
const VIRTIO_PCI_CAP_ISR_CFG = 3;
const VIRTIO_PCI_CAP_DEVICE_CFG = 4;
const VIRTIO_PCI_CAP_PCI_CFG = 5;
const VIRTIO_PCI_CAP_SIZE = 16;
const VIRTIO_PCI_NOTIFY_CAP_SIZE = 20;
const VIRTIO_PCI_CFG_CAP_SIZE = 20;

/** What one virtio-*-pci type is (its VirtioPCIDeviceTypeInfo and class_init). */
export interface VirtioPciSpec {
  /** virtio device ID (include/standard-headers/linux/virtio_ids.h) */
  virtioId: number;
  /** `k->device_id`: the legacy/transitional PCI device ID */
  legacyDeviceId: number;
  /** `k->class_id` */
  classId: number;
  /** `k->revision` */
  revision: number;
  /** virtio_legacy_allowed() */
  legacyAllowed: boolean;
  /** vhost-vsock-pci forces virtio 1 in its realize (machine types >= 5.1) */
  forceVirtio1: boolean;
}

/** The virtio-pci proxy's properties once parsed (virtio_pci_properties + the generic type's two). */
export interface VirtioPciConfig {
  disableLegacy: 'on' | 'off' | 'auto';
  disableModern: boolean;
  /** `vectors` after the type's realize resolved DEV_NVECTORS_UNSPECIFIED */
  nvectors: number;
  modernPioNotify: boolean;
  disablePcie: boolean;
  pagePerVq: boolean;
  ats: boolean;
  atsPageAligned: boolean;
  deverrInit: boolean;
  lnkctlInit: boolean;
  pmInit: boolean;
  flrInit: boolean;
  aer: boolean;
  /** the `class` property (0: keep the type's class) */
  classCode: number;
  /** the virtio device's config-space length, which sizes the legacy BAR */
  configLen: number;
  /** `iommu_platform` */
  iommuPlatform: boolean;
}

/** pow2ceil() */
export function pow2ceil(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

/** One region of the modern BAR (VirtIOPCIRegion): where it sits and how long it is. */
export interface VirtioPciRegion {
  offset: number;
  size: number;
}

/** A virtio-*-pci function. */
export class VirtioPciDevice extends QdevPciDevice {
  legacy = false;
  modern = false;
  /** offset of the VIRTIO_PCI_CAP_PCI_CFG capability (proxy->config_cap) */
  configCap = 0;
  /**
   * The BAR indices virtio_pci_realize() starts from (legacy_io_bar_idx, msix_bar_idx, modern_io_bar_idx,
   * modern_mem_bar_idx); a type's own realize may move them (virtio-vga does).
   */
  readonly barIdx = { legacyIo: 0, msix: 1, modernIo: 2, modernMem: 4 };
  /** proxy->common, isr, device and notify as virtio_pci_realize() lays them out; set in realizeDevice */
  readonly modernRegions: { common: VirtioPciRegion; isr: VirtioPciRegion; device: VirtioPciRegion; notify: VirtioPciRegion } = {
    common: { offset: 0, size: 0 },
    isr: { offset: 0, size: 0 },
    device: { offset: 0, size: 0 },
    notify: { offset: 0, size: 0 },
  };
  /** the size of proxy->modern_bar */
  modernBarSize = 0;

  constructor(
    typeName: string,
    readonly spec: VirtioPciSpec,
    readonly cfg: VirtioPciConfig,
    /** the bus the device goes on: Express behind a port only (virtio_pci_dc_realize + virtio_pci_realize) */
    bus: { isExpress: boolean; isRoot: boolean },
    /** `VirtioPCIClass::realize`, the type's own realize, which runs before the virtio device is plugged */
    private readonly proxyRealize?: (proxy: VirtioPciDevice) => void,
  ) {
    super({
      typeName,
      vendorId: PCI_VENDOR_ID_REDHAT_QUMRANET,
      deviceId: spec.legacyDeviceId,
      revision: spec.revision,
      classId: spec.classId,
      // QEMU_PCI_CAP_EXPRESS is set when modern and cleared again unless on a port (pci_config_size 256)
      isExpress: !cfg.disablePcie && !cfg.disableModern && bus.isExpress && !bus.isRoot,
    });
  }

  protected override realizeDevice(): void {
    const cfg = this.cfg;
    // virtio_pci_realize()
    let disableLegacy = cfg.disableLegacy;
    if (disableLegacy === 'auto') disableLegacy = this.onPciePort ? 'on' : 'off';
    let modern = !cfg.disableModern;
    let legacy = disableLegacy === 'off';
    if (!modern && !legacy) {
      throw new QemuError('BAD_PROPERTY_VALUE', 'device cannot work as neither modern nor legacy mode is enabled');
    }
    // the modern BAR's regions: 4 KiB each, the notify area one multiplier per queue
    const mult = cfg.pagePerVq ? 0x1000 : 4; // virtio_pci_queue_mem_mult()
    const r = this.modernRegions;
    r.common = { offset: 0x0000, size: 0x1000 };
    r.isr = { offset: 0x1000, size: 0x1000 };
    r.device = { offset: 0x2000, size: 0x1000 };
    r.notify = { offset: 0x3000, size: mult * VIRTIO_QUEUE_MAX };
    this.modernBarSize = pow2ceil(r.notify.offset + r.notify.size);
    if (this.onPciePort && this.isExpress) {
      this.pcieEndpointCapInitV2(0);
      const pm = this.addPm12Capability();
      let lastPcieCapOffset = R.PCI_CONFIG_SPACE_SIZE;
      if (cfg.aer) {
        pcieAerInit(this, lastPcieCapOffset, PCI_ERR_SIZEOF, 0);
        lastPcieCapOffset += PCI_ERR_SIZEOF;
      }
      if (cfg.deverrInit) this.pcieCapDeverrInit();
      if (cfg.lnkctlInit) this.pcieCapLnkctlInit();
      if (cfg.pmInit) this.setWord(pm + PCI_PM_CTRL, 0x0003, this.wmask); // PCI_PM_CTRL_STATE_MASK
      if (cfg.ats) this.pcieAtsInit(lastPcieCapOffset, cfg.atsPageAligned);
      if (cfg.flrInit) this.pcieCapFlrInit();
    } else {
      this.expressCap = false;
    }
    // the type's own realize (k->realize): vhost-vsock-pci and the GPUs force virtio 1 (virtio_pci_force_virtio_1)
    this.proxyRealize?.(this);
    if (this.spec.forceVirtio1) {
      modern = true;
      legacy = false;
    }
    // virtio_bus_device_plugged() → virtio_pci_device_plugged()
    this.legacy = legacy;
    this.modern = modern;
    if (cfg.classCode) this.setWord(R.PCI_CLASS_DEVICE, cfg.classCode);
    if (legacy) {
      if (!this.spec.legacyAllowed) {
        throw new QemuError('BAD_PROPERTY_VALUE', 'device is modern-only, use disable-legacy=on');
      }
      if (cfg.iommuPlatform) {
        throw new QemuError(
          'BAD_PROPERTY_VALUE',
          'VIRTIO_F_IOMMU_PLATFORM was supported by neither legacy nor transitional device',
        );
      }
      // legacy and transitional devices carry the virtio ID as subsystem ID
      this.setWord(R.PCI_SUBSYSTEM_ID, this.spec.virtioId);
    } else {
      this.setWord(R.PCI_VENDOR_ID, PCI_VENDOR_ID_REDHAT_QUMRANET);
      this.setWord(R.PCI_DEVICE_ID, PCI_DEVICE_ID_VIRTIO_10_BASE + this.spec.virtioId);
      this.config[R.PCI_REVISION_ID] = 1;
    }
    this.config[R.PCI_INTERRUPT_PIN] = 1;

    if (modern) {
      const memBar = this.barIdx.modernMem;
      const r = this.modernRegions;
      this.addVirtioCap(VIRTIO_PCI_CAP_SIZE, VIRTIO_PCI_CAP_COMMON_CFG, memBar, r.common.offset, r.common.size);
      this.addVirtioCap(VIRTIO_PCI_CAP_SIZE, VIRTIO_PCI_CAP_ISR_CFG, memBar, r.isr.offset, r.isr.size);
      this.addVirtioCap(VIRTIO_PCI_CAP_SIZE, VIRTIO_PCI_CAP_DEVICE_CFG, memBar, r.device.offset, r.device.size);
      const notify = this.addVirtioCap(VIRTIO_PCI_NOTIFY_CAP_SIZE, VIRTIO_PCI_CAP_NOTIFY_CFG, memBar, r.notify.offset, r.notify.size);
      this.setLong(notify + 16, mult); // notify_off_multiplier
      if (cfg.modernPioNotify) {
        // "virtio-pci-io", one notify register, multiplier 0
        this.registerBar(this.barIdx.modernIo, R.PCI_BASE_ADDRESS_SPACE_IO, 4);
        const pio = this.addVirtioCap(VIRTIO_PCI_NOTIFY_CAP_SIZE, VIRTIO_PCI_CAP_NOTIFY_CFG, this.barIdx.modernIo, 0, 4);
        this.setLong(pio + 16, 0);
      }
      this.registerBar(
        memBar,
        R.PCI_BASE_ADDRESS_SPACE_MEMORY | R.PCI_BASE_ADDRESS_MEM_PREFETCH | R.PCI_BASE_ADDRESS_MEM_TYPE_64,
        this.modernBarSize,
      );
      const c = this.addVirtioCap(VIRTIO_PCI_CFG_CAP_SIZE, VIRTIO_PCI_CAP_PCI_CFG, 0, 0, 0);
      this.configCap = c;
      this.wmask[c + 4] = 0xff; // cap.bar
      this.setLong(c + 8, 0xffffffff, this.wmask); // cap.offset
      this.setLong(c + 12, 0xffffffff, this.wmask); // cap.length
      this.setLong(c + 16, 0xffffffff, this.wmask); // pci_cfg_data
    }

    if (cfg.nvectors > 0 && cfg.nvectors <= 2048) {
      msixInitExclusiveBar(this, cfg.nvectors, this.barIdx.msix);
    }

    if (legacy) {
      // VIRTIO_PCI_REGION_SIZE(): 20 bytes of common header, 24 with MSI-X, then the device config
      const size = (this.msixCap ? 24 : 20) + cfg.configLen;
      this.registerBar(this.barIdx.legacyIo, R.PCI_BASE_ADDRESS_SPACE_IO, pow2ceil(size));
    }
  }

  /** virtio_pci_add_mem_cap(): a vendor capability holding a virtio_pci_cap */
  private addVirtioCap(len: number, cfgType: number, bar: number, offset: number, length: number): number {
    const pos = this.addCapability(R.PCI_CAP_ID_VNDR, 0, len);
    this.config[pos + 2] = len;
    this.config[pos + 3] = cfgType;
    this.config[pos + 4] = bar;
    this.setLong(pos + 8, offset);
    this.setLong(pos + 12, length);
    return pos;
  }

  /**
   * virtio_write_config(): the default write; clearing bus-master stops the device (no config effect);
   * FLR and ATS hooks. The pci-cfg window's data forwards to the BAR's registers, which pcisim does not model.
   */
  override configWrite(addr: number, val: number, len: number): void {
    super.configWrite(addr, val, len);
    if (this.cfg.flrInit && this.expCap) {
      const devctl = this.expCap + R.PCI_EXP_DEVCTL;
      if (this.getWord(devctl) & 0x8000) {
        // pcie_cap_flr_write_config(): reset the function, then clear BCR_FLR
        this.reset();
        this.setWord(devctl, this.getWord(devctl) & ~0x8000);
      }
    }
  }

  /** virtio_pci_bus_reset() (the proxy's dc->reset): nothing in config space unless Express */
  override deviceReset(): void {
    if (this.expressCap && this.expCap) {
      this.pcieCapDeverrReset();
      this.pcieCapLnkctlReset();
      this.setWord(this.pmCap + PCI_PM_CTRL, 0);
    }
  }
}


/** msix_init_exclusive_bar(): table at 0, PBA in the upper half of a (normally 4 KiB) 32-bit memory BAR */
export function msixInitExclusiveBar(dev: QdevPciDevice, nentries: number, barNr: number): void {
  let barSize = 4096;
  let pbaOffset = barSize / 2;
  const pbaSize = (Math.ceil(nentries / 64) * 64) / 8;
  if (nentries * 16 > pbaOffset) pbaOffset = nentries * 16;
  if (pbaOffset + pbaSize > 4096) barSize = pbaOffset + pbaSize;
  barSize = pow2ceil(barSize);
  dev.msixInit(nentries, barNr, 0, barNr, pbaOffset, 0);
  dev.registerBar(barNr, R.PCI_BASE_ADDRESS_SPACE_MEMORY, barSize);
}

/** virtio_pci_properties[] */
function virtioPciProps(owner: string): QdevPropDef[] {
  return [
    defineProp(owner, 'virtio-pci-bus-master-bug-migration', 'bool', false),
    defineProp(owner, 'migrate-extra', 'bool', true),
    defineProp(owner, 'modern-pio-notify', 'bool', false),
    defineProp(owner, 'x-disable-pcie', 'bool', false),
    defineProp(owner, 'page-per-vq', 'bool', false),
    defineProp(owner, 'x-ignore-backend-features', 'bool', false),
    defineProp(owner, 'ats', 'bool', false),
    defineProp(owner, 'x-ats-page-aligned', 'bool', true),
    defineProp(owner, 'x-pcie-deverr-init', 'bool', true),
    defineProp(owner, 'x-pcie-lnkctl-init', 'bool', true),
    defineProp(owner, 'x-pcie-pm-init', 'bool', true),
    defineProp(owner, 'x-pcie-flr-init', 'bool', true),
    defineProp(owner, 'aer', 'bool', false),
  ];
}

/** virtio_properties[] of TYPE_VIRTIO_DEVICE, aliased onto the proxy */
function virtioDeviceProps(owner: string): QdevPropDef[] {
  return [
    defineProp(owner, 'indirect_desc', 'bool', true),
    defineProp(owner, 'event_idx', 'bool', true),
    defineProp(owner, 'notify_on_empty', 'bool', true),
    defineProp(owner, 'any_layout', 'bool', true),
    defineProp(owner, 'iommu_platform', 'bool', false),
    defineProp(owner, 'packed', 'bool', false),
    defineProp(owner, 'queue_reset', 'bool', true),
    defineProp(owner, 'use-started', 'bool', true),
    defineProp(owner, 'use-disabled-flag', 'bool', true),
    defineProp(owner, 'x-disable-legacy-check', 'bool', false),
  ];
}

export const DEV_NVECTORS_UNSPECIFIED = 0xffffffff;

/** virtio_pci_optimal_num_queues() */
export function optimalNumQueues(smpCpus: number, fixed: number): number {
  return Math.min(smpCpus, 0x7ff - fixed, 1024 - fixed);
}

/** One virtio device's PCI proxy types (virtio_pci_types_register()): generic, transitional and non-transitional names over an abstract base. */
export interface VirtioPciTypeDef {
  base: string;
  generic?: string;
  transitional?: string;
  nonTransitional?: string;
  vdev: string;
  spec: VirtioPciSpec;
  proxyProps: (owner: string) => QdevPropDef[];
  vdevProps: (owner: string) => QdevPropDef[];
  romfile?: string;
  /** the proxy's nvectors once the type's realize resolved DEV_NVECTORS_UNSPECIFIED */
  vectors: (ctx: BuildContext) => number;
  /** the device config length (virtio_init's config_size) */
  configLen: (props: PropBag) => number;
  /** the inner device's realize checks, before the PCI side is built */
  check?: (ctx: BuildContext) => void;
  classCode?: (props: PropBag) => number;
  /** `VirtioPCIClass::realize`: what the type does to the proxy before its virtio device is plugged */
  proxyRealize?: (proxy: VirtioPciDevice) => void;
  /** QOM properties the type adds besides its Property list (object_class_property_add_bool) */
  classProps?: (owner: string) => QdevPropDef[];
}

/** virtio_pci_types_register(): the proxy types of one virtio device, each with its properties and builder */
export function virtioPciTypes(t: VirtioPciTypeDef): QdevTypeInfo[] {
  const out: QdevTypeInfo[] = [];
  {
    const variants: [string | undefined, 'generic' | 'transitional' | 'non-transitional'][] = [
      [t.generic, 'generic'],
      [t.transitional, 'transitional'],
      [t.nonTransitional, 'non-transitional'],
    ];
    for (const [name, variant] of variants) {
      if (name === undefined) continue;
      const props: QdevPropDef[] = [
        ...pciProps(name),
        ...virtioPciProps(name),
        ...(variant === 'generic'
          ? [defineProp(name, 'disable-legacy', 'onoffauto', 'auto'), defineProp(name, 'disable-modern', 'bool', false)]
          : []),
        ...t.proxyProps(name),
        ...virtioDeviceProps(t.vdev),
        ...t.vdevProps(t.vdev),
        ...(t.classProps?.(name) ?? []),
      ];
      const info: QdevTypeInfo = {
        name,
        ancestors: [name, t.base, 'virtio-pci', 'pci-device', 'device'],
        innerAncestors: [t.vdev, 'virtio-device', 'device'],
        busType: 'PCI',
        props,
        kind: 'pci',
        build: (ctx) => {
          t.check?.(ctx);
          const pr = ctx.props;
          const disableLegacy =
            variant === 'transitional' ? 'off' : variant === 'non-transitional' ? 'on' : (pr.values.get('disable-legacy') as 'on' | 'off' | 'auto');
          const disableModern = variant === 'generic' ? pr.bool('disable-modern') : false;
          return new VirtioPciDevice(
            name,
            t.spec,
            {
              disableLegacy,
              disableModern,
              nvectors: t.vectors(ctx),
              modernPioNotify: pr.bool('modern-pio-notify'),
              disablePcie: pr.bool('x-disable-pcie'),
              pagePerVq: pr.bool('page-per-vq'),
              ats: pr.bool('ats'),
              atsPageAligned: pr.bool('x-ats-page-aligned'),
              deverrInit: pr.bool('x-pcie-deverr-init'),
              lnkctlInit: pr.bool('x-pcie-lnkctl-init'),
              pmInit: pr.bool('x-pcie-pm-init'),
              flrInit: pr.bool('x-pcie-flr-init'),
              aer: pr.bool('aer'),
              classCode: t.classCode?.(pr) ?? 0,
              configLen: t.configLen(pr),
              iommuPlatform: pr.bool('iommu_platform'),
            },
            { isExpress: ctx.bus.isExpress, isRoot: ctx.bus.isRoot },
            t.proxyRealize,
          );
        },
      };
      if (t.romfile !== undefined) info.romfile = t.romfile;
      out.push(info);
    }
    out.push({ name: t.base, ancestors: [t.base, 'virtio-pci', 'pci-device', 'device'], abstract: true, busType: 'PCI', props: [], kind: 'pci' });
  }
  // the virtio device itself (`virtio-net-device` …): on microvm's virtio-mmio transports, no PCI function
  out.push({
    name: t.vdev,
    ancestors: [t.vdev, 'virtio-device', 'device'],
    busType: 'virtio-bus',
    kind: 'virtio-mmio',
    props: [...virtioDeviceProps(t.vdev), ...t.vdevProps(t.vdev)],
  });
  return out;
}

/** TYPE_VIRTIO_PCI: the abstract parent of every virtio PCI proxy */
export const VIRTIO_PCI_TYPE: QdevTypeInfo = { name: 'virtio-pci', ancestors: ['virtio-pci', 'pci-device', 'device'], abstract: true, busType: 'PCI', props: [], kind: 'pci' };
