/**
 * @module
 * The `-device` types pcisim models, as QEMU 7.2's QOM registers them: name, ancestry (for `-global` and
 * "a non-abstract device type"), the bus type they plug into, every property with its type, default and
 * owning type (virtio properties are aliases owned by the inner `virtio-*-device`), and how to build the
 * PCI function once the properties are known.
 */
import type { PciBus } from '../pci/bus.js';
import type { PciDevice } from '../pci/device.js';
import type { PropDef, PropKind, PropValue } from '../cmdline/props.js';
import { QemuError } from '../errors.js';
import { VirtioPciDevice, type VirtioPciSpec } from './virtio-pci.js';
import { PciBridgeDev, PciePciBridge, type ResReserve } from './pci-bridge.js';
import { PcieRootPort, PCIE_LINK_SPEEDS, type PcieChassisRegistry } from './pcie-root-port.js';
import { QemuXhci } from './xhci.js';
import { E1000 } from './e1000.js';
import { E1000e } from './e1000e.js';
import { StdVga } from './vga.js';

/** The bus types pcisim knows (QEMU's bus type names). */
export type QdevBusType = 'PCI' | 'PCIE' | 'virtio-serial-bus' | 'virtio-bus' | 'usb-bus' | 'SCSI';

/** A property definition with its default (undefined: not set, like a NULL string or link). */
export interface QdevPropDef extends PropDef {
  def?: PropValue;
}

/** Property values after defaults, globals and the command line. */
export class PropBag {
  constructor(
    readonly values: Map<string, PropValue>,
    /** the names the command line (or a global) set explicitly */
    readonly explicit: Set<string>,
  ) {}
  bool(name: string): boolean {
    return this.values.get(name) === true;
  }
  num(name: string): number {
    const v = this.values.get(name);
    return typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : 0;
  }
  big(name: string): bigint | null {
    const v = this.values.get(name);
    return typeof v === 'bigint' ? v : typeof v === 'number' ? BigInt(v) : null;
  }
  str(name: string): string | undefined {
    const v = this.values.get(name);
    return typeof v === 'string' ? v : undefined;
  }
  mac(name: string): number[] | undefined {
    const v = this.values.get(name);
    return typeof v === 'object' && v !== null && 'mac' in v ? v.mac : undefined;
  }
  has(name: string): boolean {
    return this.explicit.has(name);
  }
}

/** What a type's builder gets. */
export interface BuildContext {
  typeName: string;
  props: PropBag;
  bus: PciBus;
  /** number of vCPUs (virtio_pci_optimal_num_queues) */
  smpCpus: number;
  /** queues of the -netdev a NIC is attached to (1 when none) */
  netdevQueues: number;
  /** the default x-native-hotplug for PCIe slots (false when q35's ACPI hot-plug took over) */
  nativeHotplugDefault: boolean;
  chassis: PcieChassisRegistry;
  /** the MAC a NIC gets when `mac=` is not given (qemu_macaddr_default_if_unset) */
  defaultMac: () => number[];
  hotplugged: boolean;
  /** the option ROM BAR size pci_add_option_rom() settled on (0: none) */
  romSize: number;
}

/** One QOM device type. */
export interface QdevTypeInfo {
  name: string;
  /** this type and its parents, most derived first */
  ancestors: readonly string[];
  /** the ancestry of the inner device whose properties are aliased (virtio, xhci) */
  innerAncestors?: readonly string[];
  abstract?: boolean;
  busType: QdevBusType;
  props: readonly QdevPropDef[];
  /** `PCIDeviceClass::romfile` */
  romfile?: string;
  /** PCI functions: build the model (called after the bus is known, before plug) */
  build?: (ctx: BuildContext) => PciDevice;
  /** pcisim's kind of device */
  kind: 'pci' | 'virtio-serial-port';
  /** INTERFACE_PCIE_DEVICE without INTERFACE_CONVENTIONAL_PCI_DEVICE */
  pcieOnly?: boolean;
}

function p(owner: string, name: string, kind: PropKind, def?: PropValue, extra?: Partial<PropDef>): QdevPropDef {
  const d: QdevPropDef = { name, kind, owner, ...extra };
  if (def !== undefined) d.def = def;
  return d;
}

/** pci_props[] (hw/pci/pci.c) */
function pciProps(owner: string): QdevPropDef[] {
  return [
    p(owner, 'addr', 'devfn', -1),
    p(owner, 'romfile', 'string'),
    p(owner, 'romsize', 'uint32', 0xffffffff),
    p(owner, 'rombar', 'uint32', 1),
    p(owner, 'multifunction', 'bool', false),
    p(owner, 'x-pcie-lnksta-dllla', 'bool', true),
    p(owner, 'x-pcie-extcap-init', 'bool', true),
    p(owner, 'failover_pair_id', 'string'),
    p(owner, 'acpi-index', 'uint32', 0),
  ];
}

/** virtio_pci_properties[] */
function virtioPciProps(owner: string): QdevPropDef[] {
  return [
    p(owner, 'virtio-pci-bus-master-bug-migration', 'bool', false),
    p(owner, 'migrate-extra', 'bool', true),
    p(owner, 'modern-pio-notify', 'bool', false),
    p(owner, 'x-disable-pcie', 'bool', false),
    p(owner, 'page-per-vq', 'bool', false),
    p(owner, 'x-ignore-backend-features', 'bool', false),
    p(owner, 'ats', 'bool', false),
    p(owner, 'x-ats-page-aligned', 'bool', true),
    p(owner, 'x-pcie-deverr-init', 'bool', true),
    p(owner, 'x-pcie-lnkctl-init', 'bool', true),
    p(owner, 'x-pcie-pm-init', 'bool', true),
    p(owner, 'x-pcie-flr-init', 'bool', true),
    p(owner, 'aer', 'bool', false),
  ];
}

/** virtio_properties[] of TYPE_VIRTIO_DEVICE, aliased onto the proxy */
function virtioDeviceProps(owner: string): QdevPropDef[] {
  return [
    p(owner, 'indirect_desc', 'bool', true),
    p(owner, 'event_idx', 'bool', true),
    p(owner, 'notify_on_empty', 'bool', true),
    p(owner, 'any_layout', 'bool', true),
    p(owner, 'iommu_platform', 'bool', false),
    p(owner, 'packed', 'bool', false),
    p(owner, 'queue_reset', 'bool', true),
    p(owner, 'use-started', 'bool', true),
    p(owner, 'use-disabled-flag', 'bool', true),
    p(owner, 'x-disable-legacy-check', 'bool', false),
  ];
}

const DEV_NVECTORS_UNSPECIFIED = 0xffffffff;
const BLOCKDEV_ON_ERROR = ['report', 'ignore', 'enospc', 'stop', 'auto'] as const;

/** virtio_pci_optimal_num_queues() */
function optimalNumQueues(smpCpus: number, fixed: number): number {
  return Math.min(smpCpus, 0x7ff - fixed, 1024 - fixed);
}

interface VirtioTypeDef {
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
}

const nicProps = (o: string) => [p(o, 'mac', 'mac'), p(o, 'netdev', 'netdev')];

const VIRTIO_TYPES: VirtioTypeDef[] = [
  {
    base: 'virtio-net-pci-base',
    generic: 'virtio-net-pci',
    transitional: 'virtio-net-pci-transitional',
    nonTransitional: 'virtio-net-pci-non-transitional',
    vdev: 'virtio-net-device',
    romfile: 'efi-virtio.rom',
    spec: { virtioId: 1, legacyDeviceId: 0x1000, classId: 0x0200, revision: 0, legacyAllowed: true, forceVirtio1: false },
    proxyProps: (o) => [p(o, 'ioeventfd', 'bool', true), p(o, 'vectors', 'uint32', DEV_NVECTORS_UNSPECIFIED)],
    vdevProps: (o) => [
      ...[
        ['csum', true], ['guest_csum', true], ['gso', true], ['guest_tso4', true], ['guest_tso6', true],
        ['guest_ecn', true], ['guest_ufo', true], ['guest_announce', true], ['host_tso4', true],
        ['host_tso6', true], ['host_ecn', true], ['host_ufo', true], ['mrg_rxbuf', true], ['status', true],
        ['ctrl_vq', true], ['ctrl_rx', true], ['ctrl_vlan', true], ['ctrl_rx_extra', true],
        ['ctrl_mac_addr', true], ['ctrl_guest_offloads', true], ['mq', false], ['rss', false], ['hash', false],
        ['guest_rsc_ext', false],
      ].map(([n, d]) => p(o, n as string, 'bool', d as boolean)),
      p(o, 'rsc_interval', 'uint32', 300000),
      ...nicProps(o),
      p(o, 'x-txtimer', 'uint32', 150000),
      p(o, 'x-txburst', 'int32', 256),
      p(o, 'tx', 'string'),
      p(o, 'rx_queue_size', 'uint16', 256),
      p(o, 'tx_queue_size', 'uint16', 256),
      p(o, 'host_mtu', 'uint16', 0),
      p(o, 'x-mtu-bypass-backend', 'bool', true),
      p(o, 'speed', 'int32', -1),
      p(o, 'duplex', 'string'),
      p(o, 'failover', 'bool', false),
      p(o, 'bootindex', 'int32', -1),
    ],
    vectors: (ctx) => {
      const v = ctx.props.num('vectors');
      return v === DEV_NVECTORS_UNSPECIFIED ? 2 * Math.max(ctx.netdevQueues, 1) + 2 : v;
    },
    configLen: (pr) => {
      // virtio_net_set_config_size(): the end of the last field a feature enables (MAC always)
      let len = 6;
      if (pr.bool('status')) len = 8;
      if (pr.bool('mq')) len = 10;
      if (pr.num('host_mtu')) len = 12;
      if (pr.str('duplex') !== undefined || pr.num('speed') >= 0) len = 17;
      if (pr.bool('rss') || pr.bool('hash')) len = 24;
      return len;
    },
    check: (ctx) => {
      const d = ctx.props.str('duplex');
      if (d !== undefined && d !== 'half' && d !== 'full') {
        throw new QemuError('BAD_PROPERTY_VALUE', "'duplex' must be 'half' or 'full'");
      }
      if (ctx.props.num('speed') < -1) throw new QemuError('BAD_PROPERTY_VALUE', "'speed' must be between 0 and INT_MAX");
    },
  },
  {
    base: 'virtio-blk-pci-base',
    generic: 'virtio-blk-pci',
    transitional: 'virtio-blk-pci-transitional',
    nonTransitional: 'virtio-blk-pci-non-transitional',
    vdev: 'virtio-blk-device',
    spec: { virtioId: 2, legacyDeviceId: 0x1001, classId: 0x0100, revision: 0, legacyAllowed: true, forceVirtio1: false },
    proxyProps: (o) => [
      p(o, 'class', 'uint32', 0),
      p(o, 'ioeventfd', 'bool', true),
      p(o, 'vectors', 'uint32', DEV_NVECTORS_UNSPECIFIED),
    ],
    vdevProps: (o) => [
      p(o, 'drive', 'drive'),
      p(o, 'backend_defaults', 'onoffauto', 'auto'),
      p(o, 'logical_block_size', 'size', 0n),
      p(o, 'physical_block_size', 'size', 0n),
      p(o, 'min_io_size', 'size32', 0),
      p(o, 'opt_io_size', 'size32', 0),
      p(o, 'discard_granularity', 'size32', 0xffffffff),
      p(o, 'write-cache', 'onoffauto', 'auto'),
      p(o, 'share-rw', 'bool', false),
      p(o, 'account-invalid', 'onoffauto', 'auto'),
      p(o, 'account-failed', 'onoffauto', 'auto'),
      p(o, 'rerror', 'enum', 'auto', { values: BLOCKDEV_ON_ERROR }),
      p(o, 'werror', 'enum', 'auto', { values: BLOCKDEV_ON_ERROR }),
      ...['cyls', 'heads', 'secs', 'lcyls', 'lheads', 'lsecs'].map((n) => p(o, n, 'uint32', 0)),
      p(o, 'serial', 'string'),
      p(o, 'config-wce', 'bool', true),
      p(o, 'scsi', 'bool', false),
      p(o, 'request-merging', 'bool', true),
      p(o, 'num-queues', 'uint16', 0xffff),
      p(o, 'queue-size', 'uint16', 256),
      p(o, 'seg-max-adjust', 'bool', true),
      p(o, 'iothread', 'link', undefined, { target: 'iothread' }),
      p(o, 'discard', 'bool', true),
      p(o, 'report-discard-granularity', 'bool', true),
      p(o, 'write-zeroes', 'bool', true),
      p(o, 'max-discard-sectors', 'uint32', 0x3fffff),
      p(o, 'max-write-zeroes-sectors', 'uint32', 0x3fffff),
      p(o, 'x-enable-wce-if-config-wce', 'bool', true),
      p(o, 'bootindex', 'int32', -1),
    ],
    vectors: (ctx) => {
      const v = ctx.props.num('vectors');
      if (v !== DEV_NVECTORS_UNSPECIFIED) return v;
      let q = ctx.props.num('num-queues');
      if (q === 0xffff) q = optimalNumQueues(ctx.smpCpus, 0);
      return q + 1;
    },
    configLen: (pr) => {
      // virtio_blk_cfg_size_params: up to num_queues, then discard and write-zeroes fields
      let len = 36;
      if (pr.bool('discard')) len = 48;
      if (pr.bool('write-zeroes')) len = 57;
      return len;
    },
    check: (ctx) => {
      if (ctx.props.str('drive') === undefined || ctx.props.str('drive') === '') {
        throw new QemuError('MISSING_BACKEND', 'drive property not set');
      }
    },
    classCode: (pr) => pr.num('class'),
  },
  {
    base: 'virtio-scsi-pci-base',
    generic: 'virtio-scsi-pci',
    transitional: 'virtio-scsi-pci-transitional',
    nonTransitional: 'virtio-scsi-pci-non-transitional',
    vdev: 'virtio-scsi-device',
    spec: { virtioId: 8, legacyDeviceId: 0x1004, classId: 0x0100, revision: 0, legacyAllowed: true, forceVirtio1: false },
    proxyProps: (o) => [p(o, 'ioeventfd', 'bool', true), p(o, 'vectors', 'uint32', DEV_NVECTORS_UNSPECIFIED)],
    vdevProps: (o) => [
      p(o, 'num_queues', 'uint32', 0xffffffff),
      p(o, 'virtqueue_size', 'uint32', 256),
      p(o, 'seg_max_adjust', 'bool', true),
      p(o, 'max_sectors', 'uint32', 0xffff),
      p(o, 'cmd_per_lun', 'uint32', 128),
      p(o, 'hotplug', 'bool', true),
      p(o, 'param_change', 'bool', true),
      p(o, 'iothread', 'link', undefined, { target: 'iothread' }),
    ],
    vectors: (ctx) => {
      const v = ctx.props.num('vectors');
      if (v !== DEV_NVECTORS_UNSPECIFIED) return v;
      let q = ctx.props.num('num_queues');
      if (q === 0xffffffff) q = optimalNumQueues(ctx.smpCpus, 2);
      return q + 2 + 1; // VIRTIO_SCSI_VQ_NUM_FIXED + config
    },
    configLen: () => 36,
  },
  {
    base: 'virtio-serial-pci-base',
    generic: 'virtio-serial-pci',
    transitional: 'virtio-serial-pci-transitional',
    nonTransitional: 'virtio-serial-pci-non-transitional',
    vdev: 'virtio-serial-device',
    spec: { virtioId: 3, legacyDeviceId: 0x1003, classId: 0x0780, revision: 0, legacyAllowed: true, forceVirtio1: false },
    proxyProps: (o) => [
      p(o, 'ioeventfd', 'bool', true),
      p(o, 'vectors', 'uint32', 2),
      p(o, 'class', 'uint32', 0),
    ],
    vdevProps: (o) => [p(o, 'max_ports', 'uint32', 31), p(o, 'emergency-write', 'bool', true)],
    vectors: (ctx) => {
      const v = ctx.props.num('vectors');
      return v === DEV_NVECTORS_UNSPECIFIED ? ctx.props.num('max_ports') + 1 : v;
    },
    configLen: (pr) => (pr.bool('emergency-write') ? 12 : 8),
    check: (ctx) => {
      const m = ctx.props.num('max_ports');
      if (!m) throw new QemuError('BAD_PROPERTY_VALUE', 'Maximum number of serial ports not specified');
      if (m > 511) throw new QemuError('BAD_PROPERTY_VALUE', 'maximum ports supported: 511');
    },
    // virtio_serial_pci_realize(): only three class codes are accepted, others become 0x0780
    classCode: (pr) => {
      const c = pr.num('class');
      return c === 0x0780 || c === 0x0380 || c === 0x00ff ? c : 0x0780;
    },
  },
  {
    base: 'virtio-rng-pci-base',
    generic: 'virtio-rng-pci',
    transitional: 'virtio-rng-pci-transitional',
    nonTransitional: 'virtio-rng-pci-non-transitional',
    vdev: 'virtio-rng-device',
    spec: { virtioId: 4, legacyDeviceId: 0x1005, classId: 0x00ff, revision: 0, legacyAllowed: true, forceVirtio1: false },
    proxyProps: (o) => [p(o, 'ioeventfd', 'bool', true), p(o, 'vectors', 'uint32', DEV_NVECTORS_UNSPECIFIED)],
    vdevProps: (o) => [
      p(o, 'max-bytes', 'uint64', (1n << 63n) - 1n),
      p(o, 'period', 'uint32', 1 << 16),
      p(o, 'rng', 'link', undefined, { target: 'rng-backend' }),
    ],
    vectors: (ctx) => {
      const v = ctx.props.num('vectors');
      return v === DEV_NVECTORS_UNSPECIFIED ? 2 : v;
    },
    configLen: () => 0,
    check: (ctx) => {
      if (!ctx.props.num('period')) throw new QemuError('BAD_PROPERTY_VALUE', "'period' parameter expects a positive integer");
      const mb = ctx.props.big('max-bytes') ?? 0n;
      if (mb > (1n << 63n) - 1n) {
        throw new QemuError('BAD_PROPERTY_VALUE', `'max-bytes' parameter must be non-negative, and less than 2^63`);
      }
    },
  },
  {
    base: 'virtio-balloon-pci-base',
    generic: 'virtio-balloon-pci',
    transitional: 'virtio-balloon-pci-transitional',
    nonTransitional: 'virtio-balloon-pci-non-transitional',
    vdev: 'virtio-balloon-device',
    spec: { virtioId: 5, legacyDeviceId: 0x1002, classId: 0x00ff, revision: 0, legacyAllowed: true, forceVirtio1: false },
    proxyProps: () => [],
    vdevProps: (o) => [
      p(o, 'deflate-on-oom', 'bool', false),
      p(o, 'free-page-hint', 'bool', false),
      p(o, 'page-poison', 'bool', true),
      p(o, 'free-page-reporting', 'bool', false),
      p(o, 'qemu-4-0-config-size', 'bool', false),
      p(o, 'iothread', 'link', undefined, { target: 'iothread' }),
      p(o, 'guest-stats-polling-interval', 'int64', 0n),
    ],
    // no vectors property: nvectors stays 0, so no MSI-X
    vectors: () => 0,
    configLen: (pr) => {
      // virtio_balloon_config_size()
      if (pr.bool('qemu-4-0-config-size') || pr.bool('page-poison')) return 16;
      return pr.bool('free-page-hint') ? 12 : 8;
    },
    classCode: () => 0x00ff,
  },
  {
    base: 'vhost-vsock-pci-base',
    generic: 'vhost-vsock-pci',
    nonTransitional: 'vhost-vsock-pci-non-transitional',
    vdev: 'vhost-vsock-device',
    spec: { virtioId: 19, legacyDeviceId: 0x1012, classId: 0x0780, revision: 0, legacyAllowed: false, forceVirtio1: true },
    proxyProps: (o) => [p(o, 'vectors', 'uint32', 3)],
    vdevProps: (o) => [
      p(o, 'guest-cid', 'uint64', 0n),
      p(o, 'vhostfd', 'string'),
      p(o, 'seqpacket', 'onoffauto', 'auto'),
    ],
    vectors: (ctx) => ctx.props.num('vectors'),
    configLen: () => 8,
    check: (ctx) => {
      // vhost_vsock_device_realize(); the vhost fd itself (host side) is not modelled
      const cid = ctx.props.big('guest-cid') ?? 0n;
      if (cid <= 2n) throw new QemuError('BAD_PROPERTY_VALUE', 'guest-cid property must be greater than 2');
      if (cid > 0xffffffffn) throw new QemuError('BAD_PROPERTY_VALUE', 'guest-cid property must be a 32-bit number');
    },
  },
  {
    base: 'vhost-user-fs-pci-base',
    nonTransitional: 'vhost-user-fs-pci',
    vdev: 'vhost-user-fs-device',
    spec: { virtioId: 26, legacyDeviceId: 0, classId: 0x0180, revision: 0, legacyAllowed: false, forceVirtio1: false },
    proxyProps: (o) => [p(o, 'vectors', 'uint32', DEV_NVECTORS_UNSPECIFIED)],
    vdevProps: (o) => [
      p(o, 'chardev', 'chardev'),
      p(o, 'tag', 'string'),
      p(o, 'num-request-queues', 'uint16', 1),
      p(o, 'queue-size', 'uint16', 128),
      p(o, 'bootindex', 'int32', -1),
    ],
    vectors: (ctx) => {
      const v = ctx.props.num('vectors');
      return v === DEV_NVECTORS_UNSPECIFIED ? ctx.props.num('num-request-queues') + 2 : v;
    },
    configLen: () => 40,
    check: (ctx) => {
      // vuf_device_realize(); the vhost-user connection (host side) is not modelled
      if (!ctx.props.str('chardev')) throw new QemuError('MISSING_BACKEND', 'missing chardev');
      const tag = ctx.props.str('tag');
      if (tag === undefined) throw new QemuError('BAD_PROPERTY_VALUE', 'missing tag property');
      const tagLen = new TextEncoder().encode(tag).length;
      if (tagLen === 0) throw new QemuError('BAD_PROPERTY_VALUE', 'tag property cannot be empty');
      if (tagLen > 36) throw new QemuError('BAD_PROPERTY_VALUE', 'tag property must be 36 bytes or less');
      if (ctx.props.num('num-request-queues') === 0) {
        throw new QemuError('BAD_PROPERTY_VALUE', 'num-request-queues property must be larger than 0');
      }
      const qs = ctx.props.num('queue-size');
      if (qs & (qs - 1)) throw new QemuError('BAD_PROPERTY_VALUE', 'queue-size property must be a power of 2');
      if (qs > 1024) throw new QemuError('BAD_PROPERTY_VALUE', 'queue-size property must be 1024 or smaller');
    },
  },
];

function virtioTypes(): QdevTypeInfo[] {
  const out: QdevTypeInfo[] = [];
  for (const t of VIRTIO_TYPES) {
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
          ? [p(name, 'disable-legacy', 'onoffauto', 'auto'), p(name, 'disable-modern', 'bool', false)]
          : []),
        ...t.proxyProps(name),
        ...virtioDeviceProps(t.vdev),
        ...t.vdevProps(t.vdev),
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
          );
        },
      };
      if (t.romfile !== undefined) info.romfile = t.romfile;
      out.push(info);
    }
    out.push({ name: t.base, ancestors: [t.base, 'virtio-pci', 'pci-device', 'device'], abstract: true, busType: 'PCI', props: [], kind: 'pci' });
  }
  return out;
}

/** DEFINE_PROP_SIZE reserve properties (-1: unset) */
function reserveProps(o: string): QdevPropDef[] {
  const unset = (1n << 64n) - 1n;
  return [
    p(o, 'bus-reserve', 'uint32', 0xffffffff),
    p(o, 'io-reserve', 'size', unset),
    p(o, 'mem-reserve', 'size', unset),
    p(o, 'pref32-reserve', 'size', unset),
    p(o, 'pref64-reserve', 'size', unset),
  ];
}

function reserveOf(pr: PropBag): ResReserve {
  const unset = (1n << 64n) - 1n;
  const s = (n: string) => {
    const v = pr.big(n);
    return v === null || v === unset ? null : v;
  };
  const bus = pr.num('bus-reserve');
  return {
    bus: bus === 0xffffffff ? null : bus,
    io: s('io-reserve'),
    memNonPref: s('mem-reserve'),
    memPref32: s('pref32-reserve'),
    memPref64: s('pref64-reserve'),
  };
}

function bridgeTypes(): QdevTypeInfo[] {
  const pciBridge = (name: string, deviceId: number): QdevTypeInfo => ({
    name,
    ancestors: name === 'pci-bridge' ? [name, 'base-pci-bridge', 'pci-device', 'device'] : [name, 'pci-bridge', 'base-pci-bridge', 'pci-device', 'device'],
    busType: 'PCI',
    kind: 'pci',
    props: [
      ...pciProps(name),
      p(name, 'chassis_nr', 'uint8', 0),
      p(name, 'msi', 'onoffauto', 'auto'),
      p(name, 'shpc', 'bool', true),
      ...reserveProps(name),
    ],
    build: (ctx) =>
      new PciBridgeDev(name, deviceId, {
        chassisNr: ctx.props.num('chassis_nr'),
        msi: ctx.props.values.get('msi') as 'on' | 'off' | 'auto',
        shpc: ctx.props.bool('shpc'),
        reserve: reserveOf(ctx.props),
      }),
  });
  const rp = 'pcie-root-port';
  const speedToEnum: Record<string, number> = { '2_5': 1, '5': 2, '8': 3, '16': 4 };
  return [
    pciBridge('pci-bridge', 0x0001),
    pciBridge('pci-bridge-seat', 0x000a),
    {
      name: 'pcie-pci-bridge',
      ancestors: ['pcie-pci-bridge', 'base-pci-bridge', 'pci-device', 'device'],
      busType: 'PCI',
      kind: 'pci',
      pcieOnly: true,
      props: [...pciProps('pcie-pci-bridge'), p('pcie-pci-bridge', 'msi', 'onoffauto', 'auto')],
      build: (ctx) => new PciePciBridge('pcie-pci-bridge', ctx.props.values.get('msi') as 'on' | 'off' | 'auto'),
    },
    {
      name: rp,
      ancestors: [rp, 'pcie-root-port-base', 'pcie-slot', 'pcie-port', 'base-pci-bridge', 'pci-device', 'device'],
      busType: 'PCI',
      kind: 'pci',
      pcieOnly: true,
      props: [
        ...pciProps(rp),
        p(rp, 'port', 'uint8', 0),
        p(rp, 'aer_log_max', 'uint16', 8),
        p(rp, 'chassis', 'uint8', 0),
        p(rp, 'slot', 'uint16', 0),
        p(rp, 'hotplug', 'bool', true),
        p(rp, 'x-native-hotplug', 'bool', true),
        p(rp, 'power_controller_present', 'bool', true),
        p(rp, 'disable-acs', 'bool', false),
        p(rp, 'x-migrate-msix', 'bool', true),
        ...reserveProps(rp),
        p(rp, 'x-speed', 'enum', '16', { values: PCIE_LINK_SPEEDS }),
        p(rp, 'x-width', 'enum', '32', { values: ['1', '2', '4', '8', '12', '16', '32'] }),
      ],
      build: (ctx) => {
        const pr = ctx.props;
        return new PcieRootPort(
          rp,
          {
            port: pr.num('port'),
            aerLogMax: pr.num('aer_log_max'),
            chassis: pr.num('chassis'),
            slot: pr.num('slot'),
            hotplug: pr.bool('hotplug'),
            nativeHotplug: pr.has('x-native-hotplug') ? pr.bool('x-native-hotplug') : ctx.nativeHotplugDefault,
            powerControllerPresent: pr.bool('power_controller_present'),
            disableAcs: pr.bool('disable-acs'),
            reserve: reserveOf(pr),
            speed: speedToEnum[pr.str('x-speed') ?? '16'] ?? 4,
            width: Number(pr.str('x-width') ?? '32'),
            lnkstaDllla: pr.bool('x-pcie-lnksta-dllla'),
          },
          ctx.chassis,
        );
      },
    },
    { name: 'pcie-root-port-base', ancestors: ['pcie-root-port-base', 'pcie-slot', 'pcie-port', 'base-pci-bridge', 'pci-device', 'device'], abstract: true, busType: 'PCI', props: [], kind: 'pci' },
    { name: 'base-pci-bridge', ancestors: ['base-pci-bridge', 'pci-device', 'device'], abstract: true, busType: 'PCI', props: [], kind: 'pci' },
  ];
}

function otherPciTypes(): QdevTypeInfo[] {
  const x = 'qemu-xhci';
  const e1000 = (name: string, deviceId: number): QdevTypeInfo => ({
    name,
    ancestors: [name, 'e1000-base', 'pci-device', 'device'],
    busType: 'PCI',
    kind: 'pci',
    romfile: 'efi-e1000.rom',
    props: [
      ...pciProps(name),
      ...nicProps(name),
      ...['autonegotiation', 'mitigation', 'extra_mac_registers', 'migrate_tso_props', 'init-vet'].map((n) =>
        p(name, n, 'bool', true),
      ),
      p(name, 'bootindex', 'int32', -1),
    ],
    build: () => new E1000(name, deviceId),
  });
  return [
    {
      name: x,
      ancestors: [x, 'pci-xhci', 'pci-device', 'device'],
      innerAncestors: ['base-xhci', 'device'],
      busType: 'PCI',
      kind: 'pci',
      props: [
        ...pciProps(x),
        p('base-xhci', 'streams', 'bool', true),
        p('base-xhci', 'p2', 'uint32', 4),
        p('base-xhci', 'p3', 'uint32', 4),
      ],
      build: (ctx) => new QemuXhci(x, { p2: ctx.props.num('p2'), p3: ctx.props.num('p3'), streams: ctx.props.bool('streams') }),
    },
    e1000('e1000', 0x100e),
    e1000('e1000-82544gc', 0x1008),
    e1000('e1000-82545em', 0x100f),
    {
      name: 'e1000e',
      ancestors: ['e1000e', 'pci-device', 'device'],
      busType: 'PCI',
      kind: 'pci',
      pcieOnly: true,
      romfile: 'efi-e1000e.rom',
      props: [
        ...pciProps('e1000e'),
        ...nicProps('e1000e'),
        p('e1000e', 'subsys_ven', 'uint16', 0x8086),
        p('e1000e', 'subsys', 'uint16', 0),
        p('e1000e', 'init-vet', 'bool', true),
        p('e1000e', 'migrate-timadj', 'bool', true),
        p('e1000e', 'bootindex', 'int32', -1),
        p('e1000e', 'disable_vnet_hdr', 'uint8', 0),
        p('e1000e', 'intr_mode', 'uint8', 0),
      ],
      build: (ctx) => new E1000e({ romSize: ctx.romSize, mac: ctx.props.mac('mac') ?? ctx.defaultMac() }),
    },
    {
      name: 'VGA',
      ancestors: ['VGA', 'pci-vga', 'pci-device', 'device'],
      busType: 'PCI',
      kind: 'pci',
      romfile: 'vgabios-stdvga.bin',
      props: [
        ...pciProps('VGA'),
        p('VGA', 'vgamem_mb', 'uint32', 16),
        p('VGA', 'mmio', 'bool', true),
        p('VGA', 'qemu-extended-regs', 'bool', true),
        p('VGA', 'edid', 'bool', true),
        p('VGA', 'xres', 'uint32', 0),
        p('VGA', 'yres', 'uint32', 0),
        p('VGA', 'xmax', 'uint32', 0),
        p('VGA', 'ymax', 'uint32', 0),
        p('VGA', 'refresh_rate', 'uint32', 0),
        p('VGA', 'global-vmstate', 'bool', false),
      ],
      build: (ctx) => new StdVga({ vgamemMb: ctx.props.num('vgamem_mb'), mmio: ctx.props.bool('mmio'), romSize: ctx.romSize }),
    },
    { name: 'pci-device', ancestors: ['pci-device', 'device'], abstract: true, busType: 'PCI', props: [], kind: 'pci' },
    { name: 'virtio-pci', ancestors: ['virtio-pci', 'pci-device', 'device'], abstract: true, busType: 'PCI', props: [], kind: 'pci' },
  ];
}

function serialPortTypes(): QdevTypeInfo[] {
  const port = (name: string, ancestors: string[]): QdevTypeInfo => ({
    name,
    ancestors,
    busType: 'virtio-serial-bus',
    kind: 'virtio-serial-port',
    props: [
      p('virtio-serial-port', 'nr', 'uint32', 0xffffffff),
      p('virtio-serial-port', 'name', 'string'),
      p(name, 'chardev', 'chardev'),
    ],
  });
  return [
    port('virtserialport', ['virtserialport', 'virtio-serial-port', 'device']),
    port('virtconsole', ['virtconsole', 'virtserialport', 'virtio-serial-port', 'device']),
  ];
}

const ALL: QdevTypeInfo[] = [...virtioTypes(), ...bridgeTypes(), ...otherPciTypes(), ...serialPortTypes()];
const BY_NAME = new Map(ALL.map((t) => [t.name, t]));

/**
 * qdev_alias_table[] entries that apply to x86 (QEMU_ARCH_VIRTIO_PCI and the unconditional ones).
 */
const ALIASES: Record<string, string> = {
  'e1000-82540em': 'e1000',
  ahci: 'ich9-ahci',
  'virtio-balloon': 'virtio-balloon-pci',
  'virtio-blk': 'virtio-blk-pci',
  'virtio-net': 'virtio-net-pci',
  'virtio-rng': 'virtio-rng-pci',
  'virtio-scsi': 'virtio-scsi-pci',
  'virtio-serial': 'virtio-serial-pci',
  'virtio-9p': 'virtio-9p-pci',
  'virtio-gpu': 'virtio-gpu-pci',
  'virtio-iommu': 'virtio-iommu-pci',
  'virtio-keyboard': 'virtio-keyboard-pci',
  'virtio-mouse': 'virtio-mouse-pci',
  'virtio-tablet': 'virtio-tablet-pci',
  'virtio-input-host': 'virtio-input-host-pci',
  'virtio-gpu-gl': 'virtio-gpu-gl-pci',
  lsi: 'lsi53c895a',
};

/**
 * Device types QEMU 7.2 (Debian's x86 build) has and pcisim does not model: naming one is not QEMU's
 * "not a valid device model name" but pcisim's own refusal.
 */
const KNOWN_UNMODELLED = new Set([
  'ich9-ahci', 'ich9-usb-ehci1', 'ich9-usb-ehci2', 'ich9-usb-uhci1', 'ich9-usb-uhci2', 'ich9-usb-uhci3',
  'ich9-usb-uhci4', 'ich9-usb-uhci5', 'ich9-usb-uhci6', 'ich9-intel-hda', 'intel-hda', 'ac97', 'es1370',
  'usb-ehci', 'piix3-usb-uhci', 'piix4-usb-uhci', 'nec-usb-xhci', 'pci-ohci', 'nvme', 'nvme-subsys', 'nvme-ns',
  'megasas', 'megasas-gen2', 'mptsas1068', 'lsi53c895a', 'lsi53c810', 'am53c974', 'dc390', 'pvscsi',
  'rtl8139', 'ne2k_pci', 'pcnet', 'i82550', 'i82551', 'i82557a', 'i82557b', 'i82557c', 'i82558a', 'i82558b',
  'i82559a', 'i82559b', 'i82559c', 'i82559er', 'i82562', 'i82801', 'vmxnet3', 'igb', 'virtio-9p-pci',
  'virtio-gpu-pci', 'virtio-vga', 'virtio-gpu-gl-pci', 'virtio-vga-gl', 'virtio-keyboard-pci',
  'virtio-mouse-pci', 'virtio-tablet-pci', 'virtio-input-host-pci', 'virtio-iommu-pci', 'virtio-mem-pci',
  'virtio-pmem-pci', 'virtio-crypto-pci', 'vhost-user-blk-pci', 'vhost-user-scsi-pci', 'vhost-scsi-pci',
  'vhost-user-net-pci', 'vhost-user-vsock-pci', 'vhost-user-input-pci', 'vhost-user-gpu-pci',
  'vhost-user-vga', 'vhost-user-rng-pci', 'vfio-pci', 'vfio-pci-nohotplug', 'ivshmem-plain',
  'ivshmem-doorbell', 'pci-serial', 'pci-serial-2x', 'pci-serial-4x', 'pci-testdev', 'pvpanic-pci', 'edu',
  'cirrus-vga', 'qxl', 'qxl-vga', 'secondary-vga', 'bochs-display', 'ramfb', 'vmware-svga', 'ati-vga',
  'x3130-upstream', 'xio3130-downstream', 'ioh3420', 'pxb', 'pxb-pcie', 'i6300esb', 'ib700', 'intel-iommu',
  'amd-iommu', 'AMDVI-PCI', 'usb-tablet', 'usb-kbd', 'usb-mouse', 'usb-storage', 'usb-host', 'usb-hub',
  'usb-redir', 'scsi-hd', 'scsi-cd', 'scsi-generic', 'scsi-block', 'ide-hd', 'ide-cd', 'floppy', 'isa-serial',
  'isa-debugcon', 'isa-debug-exit', 'pvpanic', 'vmcoreinfo', 'tpm-tis', 'tpm-crb', 'nvdimm', 'pc-dimm',
  'virtio-net-device', 'virtio-blk-device', 'virtio-scsi-device', 'virtio-serial-device',
  'virtio-rng-device', 'virtio-balloon-device', 'vhost-vsock-device', 'vhost-user-fs-device', 'sga', 'hpet',
  'qemu-xhci-nec', 'ES1370', 'AC97', 'hda-duplex', 'hda-micro', 'hda-output', 'virtio-sound-pci',
]);

/** Result of qdev_get_device_class(). */
export type DeviceLookup =
  | { kind: 'found'; info: QdevTypeInfo; name: string }
  | { kind: 'unmodelled'; name: string }
  | { kind: 'none' };

/** qdev_get_device_class(): the type, through the alias table */
export function lookupDeviceType(driver: string): DeviceLookup {
  let name = driver;
  let info = BY_NAME.get(name);
  if (!info && !KNOWN_UNMODELLED.has(name)) {
    const alias = ALIASES[driver];
    if (alias !== undefined) {
      name = alias;
      info = BY_NAME.get(name);
    }
  }
  if (info) return { kind: 'found', info, name };
  if (KNOWN_UNMODELLED.has(name)) return { kind: 'unmodelled', name };
  return { kind: 'none' };
}

/** Every modelled, creatable type name (for `-device help`-like listings and tests). */
export function modelledDeviceTypes(): string[] {
  return ALL.filter((t) => !t.abstract).map((t) => t.name);
}

/** The types of -device that make QEMU drop its default VGA (vl.c default_list). */
export const VGA_DEVICE_TYPES: readonly string[] = [
  'VGA', 'cirrus-vga', 'isa-vga', 'isa-cirrus-vga', 'vmware-svga', 'qxl-vga', 'virtio-vga', 'ati-vga',
  'vhost-user-vga', 'virtio-vga-gl',
];

