/**
 * @module
 * Creating what a command line asks for, in QEMU's order (softmmu/vl.c `qemu_init`): early `-object`s,
 * `-chardev`s, `-blockdev`s and `-drive`s, `-netdev`s, late `-object`s, the board (with its default NIC),
 * then every `-device` in command-line order (`qdev_device_add_from_qdict`: driver, bus, globals, id,
 * properties in QDict order, realize, hot-plug handler), and finally the system reset. Errors carry QEMU's
 * text after the `-option arg: ` location QEMU prints.
 */
import { QemuError } from '../errors.js';
import type { PciBus } from '../hw/pci/bus.js';
import type { PciDevice } from '../hw/pci/device.js';
import * as R from '../hw/pci/regs.js';
import { systemReset, type Machine } from '../hw/core/machine.js';
import { lookupDeviceType } from '../hw/registry.js';
import { NOT_HOTPLUGGABLE } from '../hw/i386/acpi-pci.js';
import type { KvmIrqchip, QdevTypeInfo, VfioHostAttachment } from '../hw/core/qdev.js';
import type { VfioHostDevice } from '../hw/vfio/host.js';
import { x86IommuGetDefault } from '../hw/i386/x86-iommu.js';
import { pcMachineIommuPrePlug, x86IommuMachineAllowed } from '../hw/i386/x86-iommu.js';
import { QdevPciDevice, resetBus } from '../hw/pci/qdev-pci.js';
import { PciBridgeBase, PciBridgeDev, PciePciBridge } from '../hw/pci-bridge/pci-bridge.js';
import { PcieSlot } from '../hw/pci/pcie.js';
import { PxbDevice } from '../hw/pci-bridge/pci-expander-bridge.js';
import { PcieChassisRegistry } from '../hw/pci/pcie-port.js';
import { VirtioPciDevice } from '../hw/virtio/virtio-pci.js';
import { ich9LpcDefaults, ich9LpcGlobal } from '../hw/pci-host/q35.js';
import { QDict } from '../qobject/qdict.js';
import { invalidParameterValue, parseScalar, propertyCantFind, PropBag, type PropValue, type QdevPropDef } from '../hw/core/qdev-properties.js';
import { located, parseQemuCommandLine, type DeviceOption, type JsonValue, type ParsedCommandLine } from './vl.js';
import { idWellformed, parseQemuOpts, type QemuOpt } from '../util/qemu-option.js';
import { qemuStrtosz } from '../util/cutils.js';
import { UsbBus } from '../hw/usb/bus.js';
import { hdaCodecAddress } from '../hw/audio/hda-codec.js';
import { ISA_SERIAL_IO, MAX_ISA_SERIAL_PORTS } from '../hw/char/serial-isa.js';

/** How a realize run is configured beyond the command line. */
export interface RealizeOptions {
  /** vCPUs (virtio queue counts follow them); default: the command line's -smp, else 1 */
  smpCpus?: number;
  /**
   * Who serves hot-plug on the root bus and behind cold-plugged bridges: `bridges` (q35's ICH9 with
   * acpi-pci-hotplug-with-bridge-support, 7.2's default), `root` (ACPI on the root bus only), `off`.
   * Default: from the machine (q35: its acpiPciHotplugWithBridgeSupport option).
   */
  acpiPciHotplug?: 'bridges' | 'root' | 'off';
  /** sizes in bytes of option ROM files beyond the Debian ones pcisim knows */
  romSizes?: Readonly<Record<string, number>>;
  /** plug as `device_add` after boot does (hotplugged devices) */
  hotplugged?: boolean;
  /** the interrupt controller as `-accel` and `-machine kernel-irqchip=` set it; default KVM's (in the kernel, not split) */
  irqchip?: KvmIrqchip;
  /** the host functions vfio-pci may pass through, by `DDDD:BB:DD.F` (pcisim's --vfio-config) */
  vfioHosts?: Readonly<Record<string, VfioHostDevice>>;
}

/** A device the command line created. */
export interface RealizedDevice {
  /** `-device` argument (or `-drive ...,if=virtio`) it came from */
  arg: string;
  typeName: string;
  id: string | undefined;
  /** the PCI function, if it is one */
  pci: PciDevice | null;
  /** the bus it went on (QEMU's bus name) */
  bus: string;
  /** `bootindex` (-1, or absent for a type without one: not in the boot order) */
  bootindex?: number;
  /** a device on a controller's own bus (a disk on a SCSI bus, a port on virtio-serial): the controller's PCI function */
  controller?: PciDevice | null;
}

/** One node of the topology report: a bus and what sits on it. */
export interface TopologyBus {
  /** QEMU's bus name: `pcie.0`, or the bridge's id */
  name: string;
  /** bus number as the firmware/guest programmed it (0 before enumeration for secondary buses) */
  number: number;
  express: boolean;
  functions: TopologyFunction[];
}

/** One function of the topology report. */
export interface TopologyFunction {
  /** "BB:DD.F" */
  bdf: string;
  slot: number;
  function: number;
  typeName: string;
  id: string | undefined;
  vendor: string;
  device: string;
  class: string;
  /** header type with the multi-function bit */
  headerType: number;
  /** a bridge's secondary bus */
  secondary?: TopologyBus;
}

// ---------------------------------------------------------------------------------------------------
// the qdev tree (buses and devices), as far as bus lookup needs it

/** QOM bus type → its type ancestry (object_dynamic_cast) */
const BUS_TYPE_CHAIN: Record<string, readonly string[]> = {
  PCIE: ['PCIE', 'PCI', 'bus'],
  PCI: ['PCI', 'bus'],
  'virtio-pci-bus': ['virtio-pci-bus', 'virtio-bus', 'bus'],
  'virtio-serial-bus': ['virtio-serial-bus', 'bus'],
  'usb-bus': ['usb-bus', 'bus'],
  HDA: ['HDA', 'bus'],
  SCSI: ['SCSI', 'bus'],
  ISA: ['ISA', 'bus'],
  IDE: ['IDE', 'bus'],
  'i2c-bus': ['i2c-bus', 'bus'],
  'virtio-mmio-bus': ['virtio-mmio-bus', 'virtio-bus', 'bus'],
  'nvme-bus': ['nvme-bus', 'bus'],
};

interface VserState {
  maxPorts: number;
  /** ids of the ports plugged */
  ports: Set<number>;
  /** ports_map: ids taken, with 0 kept for a console from the start */
  map: Set<number>;
}

class QBus {
  readonly children: QDev[] = [];
  vser: VserState | null = null;
  /** a USB bus's ports (hw/usb/bus.c USBBus) */
  usb: UsbBus | null = null;
  /** an HDA codec bus: the next codec address (HDACodecBus::next_cad) */
  hda: { nextCad: number } | null = null;
  /** a virtio-mmio transport's bus: the transport's index */
  mmioTransport = -1;
  constructor(
    readonly name: string,
    readonly type: string,
    readonly pci: PciBus | null,
    readonly parent: QDev | null,
    /** BusClass::max_dev (0: no limit) */
    readonly maxDev = 0,
  ) {}
  isA(type: string): boolean {
    return (BUS_TYPE_CHAIN[this.type] ?? [this.type]).includes(type);
  }
  /** qbus_is_full() */
  get full(): boolean {
    return this.maxDev > 0 && this.children.length >= this.maxDev;
  }
}

class QDev {
  readonly childBuses: QBus[] = [];
  constructor(
    readonly typeName: string,
    readonly id: string | undefined,
    readonly pci: PciDevice | null,
    readonly parentBus: QBus | null,
  ) {}
}

type HotplugHandler =
  | { kind: 'acpi' }
  | { kind: 'pcie-slot'; port: PcieSlot }
  | { kind: 'shpc'; bridge: PciBridgeDev | PciePciBridge }
  | null;

interface NetdevState {
  type: string;
  queues: number;
  peer: string | undefined;
}
interface BlockState {
  /** -drive with if != none: connected to a device by the board */
  autoConnected: boolean;
  attached: string | undefined;
}
interface ChardevState {
  backend: string;
  mux: boolean;
  users: number;
}

/** Everything realize remembers about one machine (QEMU keeps it in globals). */
interface MachineRealizeState {
  root: QBus;
  qbusOf: Map<PciBus, QBus>;
  handlerOf: Map<PciBus, HotplugHandler>;
  qdevIds: Set<string>;
  autoIds: Map<string, number>;
  chassis: PcieChassisRegistry;
  acpiIndexes: Set<number>;
  macIndex: number;
  netdevs: Map<string, NetdevState>;
  blocks: Map<string, BlockState>;
  chardevs: Map<string, ChardevState>;
  objects: Map<string, string>;
  /** each -object's options, by id */
  objectOpts: Map<string, QemuOpt[]>;
  /** graphic consoles created so far (the board's VGA, then each display -device) */
  graphicConsoles: number;
  /** -audiodev ids (audio_state_by_name) */
  audiodevs: Set<string>;
  /** memory backends a device or the machine's RAM maps (HostMemoryBackend::is_mapped) */
  mappedMemdevs: Set<string>;
  globals: { driver: string; property: string; value: string }[];
  serialPortNames: Set<string>;
  smpCpus: number;
  /** ms->numa_state->num_nodes: the `-numa node` options */
  numaNodes: number;
  acpi: 'bridges' | 'root' | 'off';
  nativeHotplugDefault: boolean;
  romSizes: Record<string, number>;
  realized: RealizedDevice[];
  irqchip: KvmIrqchip;
  vfio: Map<string, VfioHostAttachment>;
  /** serial_isa_realizefn()'s static index: ISA serial ports realized so far, the board's first */
  isaSerialIndex: number;
  /** pc_dimm_get_free_slot(): DIMM slots taken */
  dimmSlots: Set<number>;
}

const STATES = new WeakMap<Machine, MachineRealizeState>();

/** option ROMs of Debian's ipxe-qemu/seabios packages, as the BAR sizes them (pow2ceil of the file) */
const KNOWN_ROM_SIZES: Record<string, number> = {
  'efi-virtio.rom': 0x40000,
  'efi-e1000.rom': 0x40000,
  'efi-e1000e.rom': 0x40000,
  'efi-rtl8139.rom': 0x40000,
  'vgabios-stdvga.bin': 0x10000,
  // Debian's seabios package: 39 KiB SeaVGABIOS images, the bochs-display one 28 KiB
  'vgabios-virtio.bin': 0x10000,
  'vgabios-qxl.bin': 0x10000,
  'vgabios-cirrus.bin': 0x10000,
  'vgabios-bochs-display.bin': 0x8000,
};

function machineAcpiDefault(machine: Machine): 'bridges' | 'root' | 'off' {
  const opts = (machine as { opts?: { acpiPciHotplugWithBridgeSupport?: boolean } }).opts;
  if (machine.name === 'q35') return opts?.acpiPciHotplugWithBridgeSupport === false ? 'off' : 'bridges';
  if (machine.name === 'pc') return opts?.acpiPciHotplugWithBridgeSupport === false ? 'root' : 'bridges';
  return 'off';
}

function stateOf(machine: Machine, options: RealizeOptions = {}, parsed?: ParsedCommandLine): MachineRealizeState {
  let st = STATES.get(machine);
  if (st) return st;
  const rootBus = machine.rootBus;
  // without PCI (microvm, pcie=off) the root is sysbus, holding the virtio-mmio transports
  const root = rootBus ? new QBus(rootBus.name, rootBus.isExpress ? 'PCIE' : 'PCI', rootBus, null) : new QBus('main-system-bus', 'System', null, null);
  const acpi = options.acpiPciHotplug ?? machineAcpiDefault(machine);
  // compat properties of the machine type (MachineClass::compat_props), then -global, as qdev_new applies them
  const globals = [...machine.compatProps, ...(parsed?.globals ?? [])].map((g) => ({ driver: g.driver, property: g.property, value: g.value }));
  // pc_q35_init(): with ACPI hot-plug of bridges and x-keep-pci-slot-hpc=off, PCIe slots lose native hot-plug
  const lpc = ich9LpcDefaults();
  for (const g of parsed?.globals ?? []) if (g.driver === 'ICH9-LPC') ich9LpcGlobal(lpc, g.property, g.value, g.arg);
  st = {
    root,
    qbusOf: new Map(rootBus ? [[rootBus, root]] : []),
    handlerOf: new Map(rootBus ? [[rootBus, acpi === 'off' ? null : { kind: 'acpi' }]] : []),
    qdevIds: new Set(),
    autoIds: new Map(),
    chassis: new PcieChassisRegistry(),
    acpiIndexes: new Set(),
    macIndex: 0,
    netdevs: new Map(),
    blocks: new Map(),
    chardevs: new Map(),
    objects: new Map(),
    objectOpts: new Map(),
    mappedMemdevs: new Set([/(?:^|,)memory-backend=([^,]+)/.exec(parsed?.machine ?? '')?.[1]].filter((x): x is string => x !== undefined)),
    // pc_vga_init(): the board's display, if any, made the first console
    graphicConsoles: (rootBus?.devices ?? []).filter((d) => d !== null && d.getByte(R.PCI_CLASS_DEVICE + 1) === 0x03).length,
    audiodevs: new Set(parsed?.audiodevs.map((a) => a.id) ?? []),
    globals,
    serialPortNames: new Set(),
    smpCpus: options.smpCpus ?? parsed?.smpCpus ?? 1,
    numaNodes: (parsed?.rest ?? []).filter((o) => o.option === '-numa' && /^(?:type=)?node(?:,|$)/.test(o.arg ?? '')).length,
    acpi,
    nativeHotplugDefault: !(machine.name === 'q35' && acpi === 'bridges' && !lpc.keepPciSlotHpc),
    romSizes: { ...KNOWN_ROM_SIZES, ...(options.romSizes ?? {}) },
    realized: [],
    irqchip: options.irqchip ?? { inKernel: true, split: false },
    vfio: new Map(Object.entries(options.vfioHosts ?? {}).map(([bdf, host]) => [bdf, { host, attached: false }])),
    isaSerialIndex: boardSerialPorts(machine, parsed),
    dimmSlots: new Set(),
  };
  // microvm_devices_init(): the virtio-mmio transports, each a sysbus device with a one-slot virtio bus
  const transports = (machine as { transports?: readonly { index: number }[] }).transports ?? [];
  for (const t of transports) {
    const node = new QDev('virtio-mmio', undefined, null, root);
    const vbus = new QBus(`virtio-mmio-bus.${t.index}`, 'virtio-mmio-bus', null, node, 1);
    vbus.mmioTransport = t.index;
    node.childBuses.push(vbus);
    root.children.unshift(node);
  }
  // the functions the board already created, and the buses the q35 chipset brings
  for (const dev of rootBus?.devices ?? []) {
    if (!dev) continue;
    const node = new QDev(dev.typeName, dev.id, dev, root);
    root.children.unshift(node);
    if (machine.name === 'q35') {
      if (dev.typeName === 'ICH9-LPC') node.childBuses.unshift(new QBus('isa.0', 'ISA', null, node));
      if (dev.typeName === 'ich9-ahci') {
        for (let i = 0; i < 6; i++) node.childBuses.unshift(new QBus(`ide.${i}`, 'IDE', null, node, 1));
      }
      if (dev.typeName === 'ICH9 SMB') node.childBuses.unshift(new QBus('i2c', 'i2c-bus', null, node));
    }
    // piix3_realize(): isa_bus_new() under the PIIX3
    if (machine.name === 'pc' && dev.typeName === 'PIIX3') node.childBuses.unshift(new QBus('isa.0', 'ISA', null, node));
  }
  // the USB controllers the board created (q35's usb=on, pc's -usb): the EHCI's bus first, then its companions
  for (const dev of rootBus?.devices ?? []) {
    const info = dev ? lookupDeviceType(dev.typeName) : null;
    if (!dev || info?.kind !== 'found' || !info.info.usbHost || info.info.usbHost.companion) continue;
    usbHostRealize(st, info.info, root.children.find((n) => n.pci === dev)!, boardProps(info.info), null);
  }
  for (const dev of rootBus?.devices ?? []) {
    const info = dev ? lookupDeviceType(dev.typeName) : null;
    if (!dev || info?.kind !== 'found' || !info.info.usbHost?.companion) continue;
    // ehci_create_ich9_with_companions(): masterbus = the EHCI's bus, firstport 0, 2, 4 by function
    const master = findUsbBus(root, (n) => n.usb?.takesCompanions === true);
    usbHostRealize(st, info.info, root.children.find((n) => n.pci === dev)!, boardProps(info.info), { masterbus: master?.name, firstport: 2 * R.PCI_FUNC(dev.devfn) });
  }
  STATES.set(machine, st);
  return st;
}

/**
 * serial_hds_isa_init(): the ISA serial ports the board made for `-serial` (one by default, none with
 * -nodefaults; `-serial none` makes none), which serial_isa_realizefn()'s index counter starts after
 */
function boardSerialPorts(machine: Machine, parsed: ParsedCommandLine | undefined): number {
  if (!parsed) return 0;
  const serials = parsed.rest.filter((o) => o.option === '-serial');
  const n = serials.filter((o) => o.arg !== 'none').length;
  // vl.c default_serial: off with -nodefaults, -serial, or a -device isa-serial
  const isaSerialDevice = parsed.devices.some((d) => d.opts.filter((o) => o.name === 'driver').pop()?.value === 'isa-serial');
  if (serials.length === 0) return parsed.nodefaults || isaSerialDevice ? 0 : 1;
  return Math.min(n, machine.name === 'microvm' ? 1 : 4);
}

/** qbus_init(): a bus named by the caller, else "<parent id>.<n>", else "<type in lower case>.<counter>" */
function autoBusName(st: MachineRealizeState, type: string, parentId: string | undefined, index: number): string {
  if (parentId) return `${parentId}.${index}`;
  const n = st.autoIds.get(type) ?? 0;
  st.autoIds.set(type, n + 1);
  return `${type.toLowerCase()}.${n}`;
}

/** qbus_find_recursive(): depth first, children newest first; a full bus only as a last resort */
function findBusRecursive(bus: QBus, name: string | null, type: string | null): QBus | null {
  const match = name !== null ? bus.name === name : bus.isA(type!);
  if (match && !bus.full) return bus;
  let pick: QBus | null = match ? bus : null;
  for (const kid of bus.children) {
    for (const child of kid.childBuses) {
      const ret = findBusRecursive(child, name, type);
      if (ret && !ret.full) return ret;
      if (ret && !pick) pick = ret;
    }
  }
  return pick;
}

/** qbus_find() for the forms pcisim supports: a bus name, optionally a device id and its bus after '/' */
function qbusFind(st: MachineRealizeState, path: string): QBus {
  if (path.startsWith('/')) throw new QemuError('UNSUPPORTED', `pcisim: absolute bus paths are not supported`);
  const [first = '', ...restParts] = path.split('/').filter((s, i) => i === 0 || s !== '');
  const start = findBusRecursive(st.root, first, null);
  if (!start) throw new QemuError('BUS_NOT_FOUND', `Bus '${first}' not found`);
  let bus: QBus = start;
  for (let i = 0; i < restParts.length; i++) {
    const devName = restParts[i]!;
    const dev: QDev | undefined =
      bus.children.find((d) => d.id === devName) ?? bus.children.find((d) => d.typeName === devName);
    if (!dev) throw new QemuError('BUS_NOT_FOUND', `Device '${devName}' not found`);
    const next = restParts[i + 1];
    if (next === undefined) {
      if (dev.childBuses.length === 1) {
        bus = dev.childBuses[0]!;
        break;
      }
      if (dev.childBuses.length) throw new QemuError('BUS_NOT_FOUND', `Device '${devName}' has multiple child buses`);
      throw new QemuError('BUS_NOT_FOUND', `Device '${devName}' has no child bus`);
    }
    const b: QBus | undefined = dev.childBuses.find((x) => x.name === next);
    if (!b) throw new QemuError('BUS_NOT_FOUND', `Bus '${next}' not found`);
    bus = b;
    i++;
  }
  if (bus.full) throw new QemuError('BUS_NOT_FOUND', `Bus '${path}' is full`);
  return bus;
}

// ---------------------------------------------------------------------------------------------------
// backends

function lastOpt(opts: QemuOpt[], name: string): string | undefined {
  return opts.filter((o) => o.name === name).pop()?.value;
}

const CHARDEV_BACKENDS = new Set(
  (
    'file serial tty parallel parport pipe socket udp pty null mux msmouse wctablet braille testdev stdio vc ' +
    'ringbuf memory spicevmc spiceport qemu-vdagent dbus'
  ).split(' '),
);

const NETDEV_TYPES = new Set(['user', 'tap', 'l2tpv3', 'socket', 'stream', 'dgram', 'vde', 'bridge', 'hubport', 'vhost-user', 'vhost-vdpa']);
const NETDEV_ALL_TYPES = new Set([...NETDEV_TYPES, 'nic', 'netmap', 'none']);

function createBackends(st: MachineRealizeState, parsed: ParsedCommandLine): void {
  // qemu_create_early_backends(): objects except the late ones, then chardevs, then block devices
  const late = (t: string) => t === 'rng-egd' || t === 'qtest' || t.startsWith('memory-backend-') || t.startsWith('filter-') || t === 'colo-compare' || t === 'cryptodev-vhost-user';
  for (const o of parsed.objects) st.objectOpts.set(o.id!, o.opts);
  for (const o of parsed.objects) if (!late(o.qomType!)) st.objects.set(o.id!, o.qomType!);
  for (const c of parsed.chardevs) {
    try {
      if (c.id === undefined) throw new QemuError('BAD_OPTION', 'chardev: no id specified');
      const backend = c.backend;
      if (backend === undefined) throw new QemuError('BAD_OPTION', `chardev: "${c.id}" missing backend`);
      if (!CHARDEV_BACKENDS.has(backend)) throw new QemuError('BAD_OPTION', `'${backend}' is not a valid char driver name`);
      if (st.chardevs.has(c.id)) throw new QemuError('DUPLICATE_ID', `Chardev with id '${c.id}' already exists`);
      const mux = ['on', 'yes', 'true', 'y'].includes(lastOpt(c.opts, 'mux') ?? 'off');
      st.chardevs.set(c.id, { backend, mux, users: 0 });
    } catch (e) {
      throw located('-chardev', c.arg, e);
    }
  }
  for (const b of parsed.blockdevs) {
    try {
      const nodeName = b.tree['node-name'];
      if (typeof nodeName !== 'string') throw new QemuError('BAD_OPTION', "'node-name' must be specified for the root node");
      if (!idWellformed(nodeName)) throw new QemuError('BAD_OPTION', `Invalid node-name: '${nodeName}'`);
      if (st.blocks.has(nodeName)) throw new QemuError('DUPLICATE_ID', `Duplicate nodes with node-name='${nodeName}'`);
      st.blocks.set(nodeName, { autoConnected: false, attached: undefined });
    } catch (e) {
      throw located('-blockdev', b.arg, e);
    }
  }
  for (const d of parsed.drives) {
    try {
      const iface = lastOpt(d.opts, 'if') ?? 'ide';
      if (!['ide', 'scsi', 'floppy', 'pflash', 'mtd', 'sd', 'virtio', 'none', 'xen'].includes(iface)) {
        throw new QemuError('BAD_OPTION', `unsupported bus type '${iface}'`);
      }
      if (d.id !== undefined) st.blocks.set(d.id, { autoConnected: iface !== 'none', attached: undefined });
    } catch (e) {
      throw located('-drive', d.arg, e);
    }
  }
  // qemu_create_late_backends(): net_init_clients(), then the late objects
  for (const n of parsed.netdevs) {
    try {
      const type = n.type;
      if (type === undefined) throw new QemuError('BAD_OPTION', "Parameter 'type' is missing");
      if (!NETDEV_ALL_TYPES.has(type)) throw new QemuError('BAD_OPTION', `Parameter 'type' does not accept value '${type}'`);
      if (n.id === undefined) throw new QemuError('BAD_OPTION', "Parameter 'id' is missing");
      if (!NETDEV_TYPES.has(type)) {
        throw new QemuError('UNSUPPORTED', `network backend '${type}' is not compiled into this binary`);
      }
      if (st.netdevs.has(n.id)) throw new QemuError('DUPLICATE_ID', `Duplicate ID '${n.id}'`);
      let queues = 1;
      const q = lastOpt(n.opts, 'queues');
      if (q !== undefined && (type === 'tap' || type === 'vhost-user' || type === 'vhost-vdpa')) queues = Number.parseInt(q, 10) || 1;
      const fds = lastOpt(n.opts, 'fds');
      if (type === 'tap' && fds !== undefined) queues = fds.split(':').length;
      if (type === 'vhost-user') {
        const chr = lastOpt(n.opts, 'chardev');
        if (chr === undefined) throw new QemuError('BAD_OPTION', "Parameter 'chardev' is missing");
        if (!st.chardevs.has(chr)) throw new QemuError('MISSING_BACKEND', `chardev "${chr}" not found`);
      }
      st.netdevs.set(n.id, { type, queues, peer: undefined });
    } catch (e) {
      throw located('-netdev', n.arg, e);
    }
  }
  for (const o of parsed.objects) {
    if (!late(o.qomType!)) continue;
    try {
      if (o.qomType === 'rng-egd') {
        const chr = lastOpt(o.opts, 'chardev')!;
        if (!st.chardevs.has(chr)) throw new QemuError('MISSING_BACKEND', `Device '${chr}' not found`);
      }
      st.objects.set(o.id!, o.qomType!);
    } catch (e) {
      throw located('-object', o.arg, e);
    }
  }
}

/** TYPE_RNG_BACKEND and friends: which object types a link<> property accepts */
function objectIsA(qomType: string, target: string): boolean {
  if (target === 'rng-backend') return qomType.startsWith('rng-');
  if (target === 'memory-backend') return qomType.startsWith('memory-backend-');
  return qomType === target;
}

// ---------------------------------------------------------------------------------------------------
// -device

/** the property table of a type, by name */
function propTable(info: QdevTypeInfo): Map<string, QdevPropDef> {
  return new Map(info.props.map((d) => [d.name, d]));
}

/**
 * Parse and check one property value the way its setter does, including the backend lookups.
 * Returns the value to store.
 */
function setProperty(
  st: MachineRealizeState,
  info: QdevTypeInfo,
  def: QdevPropDef,
  raw: string,
  deviceId: string | undefined,
  claims: (() => void)[],
): PropValue {
  const v = parseScalar(def, raw);
  switch (def.kind) {
    case 'netdev': {
      const nd = st.netdevs.get(raw);
      if (!nd || nd.type === 'hubport') throw propertyCantFind(def.owner, def.name, raw);
      if (nd.peer !== undefined) {
        throw new QemuError('MISSING_BACKEND', `Property '${def.owner}.${def.name}' can't take value '${raw}', it's in use`);
      }
      // vhost_user_check_peer_type(): the property's owner must be a virtio-net device
      if (nd.type === 'vhost-user' && !def.owner.startsWith('virtio-net-')) {
        throw new QemuError('UNSUPPORTED', 'vhost-user requires frontend driver virtio-net-*');
      }
      claims.push(() => (nd.peer = deviceId ?? info.name));
      return v;
    }
    case 'drive': {
      if (raw === '') return v;
      const b = st.blocks.get(raw);
      if (!b) throw propertyCantFind(def.owner, def.name, raw);
      if (b.autoConnected) {
        throw new QemuError(
          'MISSING_BACKEND',
          `Drive '${raw}' is already in use because it has been automatically connected to another device (did you need 'if=none' in the drive options?)`,
        );
      }
      if (b.attached !== undefined) throw new QemuError('MISSING_BACKEND', `Drive '${raw}' is already in use by another device`);
      claims.push(() => (b.attached = deviceId ?? info.name));
      return v;
    }
    case 'chardev': {
      if (raw === '') return v;
      const c = st.chardevs.get(raw);
      if (!c) throw propertyCantFind(def.owner, def.name, raw);
      if (c.users > 0 && !c.mux) {
        throw new QemuError('MISSING_BACKEND', `Property '${def.owner}.${def.name}' can't take value '${raw}': Device '${raw}' is in use`);
      }
      claims.push(() => c.users++);
      return v;
    }
    case 'audiodev': {
      // set_audiodev(): audio_state_by_name()
      if (!st.audiodevs.has(raw)) throw propertyCantFind(def.owner, def.name, raw);
      return v;
    }
    case 'link': {
      // object_resolve_link(): by type first, then any object of that name
      const t = st.objects.get(raw);
      if (t !== undefined && objectIsA(t, def.target ?? '')) return v;
      if (t !== undefined || st.qdevIds.has(raw)) {
        throw new QemuError('BAD_PROPERTY_VALUE', `Invalid parameter type for '${def.name}', expected: ${def.target ?? ''}`);
      }
      throw new QemuError('MISSING_BACKEND', `Device '${raw}' not found`);
    }
    default:
      return v;
  }
}

/**
 * The qobject input visitor (from_json = true) on one property: JSON types are strict ("Invalid parameter
 * type"), integers range-checked. Returns the value, or the string to hand to the string setter.
 */
function jsonPropValue(def: QdevPropDef, v: JsonValue): PropValue {
  const typeErr = (expected: string) =>
    new QemuError('BAD_PROPERTY_VALUE', `Invalid parameter type for '${def.name}', expected: ${expected}`);
  const isInt = (x: JsonValue): x is number => typeof x === 'number' && Number.isInteger(x);
  switch (def.kind) {
    case 'bool':
      if (typeof v !== 'boolean') throw typeErr('boolean');
      return v;
    case 'uint8':
    case 'uint16':
    case 'uint32':
    case 'uint64':
    case 'size':
    case 'size32': {
      // qobject_input_type_uint64(): negative integers are accepted and wrap
      if (!isInt(v)) throw invalidParameterValue(def.name, 'uint64');
      const u = BigInt(v) & ((1n << 64n) - 1n);
      const max = { uint8: 0xffn, uint16: 0xffffn, uint32: 0xffffffffn, size32: 0xffffffffn }[def.kind as string];
      if (max !== undefined && u > max) {
        if (def.kind === 'size32') {
          throw new QemuError('BAD_PROPERTY_VALUE', `Property ${def.owner}.${def.name} doesn't take value ${u} (maximum: 4294967295)`);
        }
        throw invalidParameterValue(def.name, `${def.kind}_t`);
      }
      return def.kind === 'uint64' || def.kind === 'size' ? u : Number(u);
    }
    case 'int32':
    case 'int64': {
      if (!isInt(v)) throw typeErr('integer');
      if (def.kind === 'int32' && (v > 0x7fffffff || v < -0x80000000)) throw invalidParameterValue(def.name, 'int32_t');
      return def.kind === 'int32' ? v : BigInt(v);
    }
    case 'devfn':
      // set_pci_devfn(): an alternate of int and str
      if (typeof v === 'string') return v;
      if (isInt(v)) {
        if (v < -1 || v > 255) throw invalidParameterValue(def.name, 'a value between -1 and 255');
        return v;
      }
      throw new QemuError('BAD_PROPERTY_VALUE', `Invalid parameter type for '${def.name}', expected int or str`);
    default:
      if (typeof v !== 'string') throw typeErr('string');
      return v;
  }
}

function pow2(n: number): boolean {
  return n > 0 && (n & (n - 1)) === 0;
}

/** The machine-wide side of qdev_device_add(): one -device on a machine, realized. */
function deviceAdd(
  machine: Machine,
  st: MachineRealizeState,
  optArg: string,
  opts: QemuOpt[],
  optId: string | undefined,
  hotplugged: boolean,
  json?: [string, JsonValue][],
): RealizedDevice {
  // qemu_opts_to_qdict(): "id" first, then the options in order (a repeated name keeps the last value);
  // a JSON -device is its object as parsed
  const qdict = new QDict<JsonValue>();
  if (json) {
    for (const [k, v] of json) qdict.put(k, v);
  } else {
    if (optId !== undefined) qdict.put('id', optId);
    for (const o of opts) qdict.put(o.name, o.value);
  }
  const tryStr = (k: string) => {
    const v = qdict.get(k);
    return typeof v === 'string' ? v : undefined;
  };
  const driver = tryStr('driver');
  if (driver === undefined) throw new QemuError('BAD_OPTION', "Parameter 'driver' is missing");
  if (driver === 'help' || driver === '?') throw new QemuError('UNSUPPORTED', 'pcisim: -device help is not supported');

  // qdev_get_device_class()
  const found = lookupDeviceType(driver);
  if (found.kind === 'none') throw new QemuError('UNKNOWN_DEVICE', `'${driver}' is not a valid device model name`);
  if (found.kind === 'unmodelled') {
    throw new QemuError('UNSUPPORTED', `pcisim: device type '${found.name}' is not modelled`);
  }
  const info = found.info;
  if (info.abstract) throw new QemuError('BAD_OPTION', "Parameter 'driver' expects a non-abstract device type");
  if (info.kind === 'sysbus' && !info.realizeSysbus) return sysbusDeviceAdd(machine, st, info, optArg, qdict, optId, hotplugged);
  // qdev_get_device_class(): a sysbus device only where the machine type allows it dynamically
  if (info.kind === 'sysbus' && !x86IommuMachineAllowed(machine)) {
    throw new QemuError('BAD_OPTION', "Parameter 'driver' expects a dynamic sysbus device type for the machine");
  }

  // find the bus
  const busType = info.busType;
  const path = tryStr('bus');
  let qbus: QBus | null;
  if (info.kind === 'sysbus' && path === undefined) {
    // sysbus_get_default(): main-system-bus, outside the PCI tree
    qbus = new QBus('main-system-bus', 'System', null, null);
  } else if (busType === 'none') {
    // a device without a bus type (pc-dimm, nvdimm) plugs into the machine's hot-plug handler
    if (path !== undefined) throw new QemuError('BUS_NOT_FOUND', `Device '${found.name}' can't go on a bus`);
    qbus = null;
  } else if (path !== undefined) {
    qbus = qbusFind(st, path);
    if (!qbus.isA(busType)) throw new QemuError('BUS_NOT_FOUND', `Device '${found.name}' can't go on ${qbus.type} bus`);
  } else {
    const b = findBusRecursive(st.root, null, busType);
    if (!b || b.full) throw new QemuError('BUS_NOT_FOUND', `No '${busType}' bus found for device '${found.name}'`);
    qbus = b;
  }
  // qdev_device_add(): main-system-bus takes no hot-plug; device_set_realized(): virtio-iommu-pci is not hotpluggable
  if (hotplugged && info.kind === 'sysbus') throw new QemuError('UNSUPPORTED', "Bus 'main-system-bus' does not support hotplugging");
  if (hotplugged && found.name === 'virtio-iommu-pci') {
    throw new QemuError('UNSUPPORTED', `Device '${found.name}' does not support hotplugging`);
  }
  if (hotplugged && qbus?.pci && st.handlerOf.get(qbus.pci) === null) {
    throw new QemuError('UNSUPPORTED', `Bus '${qbus.name}' does not support hotplugging`);
  }
  // device_set_realized(): QERR_DEVICE_NO_HOTPLUG for a class with hotpluggable = false (the primary displays)
  if (hotplugged && NOT_HOTPLUGGABLE.has(found.name)) {
    throw new QemuError('UNSUPPORTED', `Device '${found.name}' does not support hotplugging`);
  }

  // qdev_new(): defaults, then the matching -global properties (object_apply_global_props)
  const table = propTable(info);
  const values = new Map<string, PropValue>();
  for (const d of info.props) if (d.def !== undefined) values.set(d.name, d.def);
  const explicit = new Set<string>();
  const claims: (() => void)[] = [];
  const ancestry = [...info.ancestors, ...(info.innerAncestors ?? [])];
  for (const g of st.globals) {
    if (!ancestry.includes(g.driver)) continue;
    const def = table.get(g.property);
    try {
      if (!def) throw new QemuError('UNKNOWN_PROPERTY', `Property '${found.name}.${g.property}' not found`);
      values.set(def.name, setProperty(st, info, def, g.value, optId, claims));
      explicit.add(def.name);
    } catch (e) {
      if (e instanceof QemuError) {
        throw new QemuError(e.code, `can't apply global ${g.driver}.${g.property}=${g.value}: ${e.message}`);
      }
      throw e;
    }
  }

  // qdev_set_id()
  if (optId !== undefined) {
    if (st.qdevIds.has(optId)) throw new QemuError('DUPLICATE_ID', `Duplicate device ID '${optId}'`);
  }

  // object_set_properties_from_keyval(): the QDict without driver/bus/id, in its own order
  const props = qdict.cloneShallow();
  props.delete('driver');
  props.delete('bus');
  props.delete('id');
  for (const [name, raw] of props.entries()) {
    const def = table.get(name);
    if (!def) throw new QemuError('UNKNOWN_PROPERTY', `Property '${found.name}.${name}' not found`);
    // the JSON visitor checks the value's JSON type and range; what survives is set like a string
    const value = json ? jsonPropValue(def, raw) : (raw as string);
    if (typeof value === 'string') values.set(name, setProperty(st, info, def, value, optId, claims));
    else values.set(name, value);
    explicit.add(name);
  }
  const bag = new PropBag(values, explicit);

  let pci: PciDevice | null = null;
  // qxl_realize_primary(): its graphic console must be the first ("console 0")
  if (found.name === 'qxl-vga' && st.graphicConsoles > 0) {
    throw new QemuError('BAD_OPTION', 'primary qxl-vga device must be console 0 (first display device on the command line)');
  }
  // pc_machine_device_pre_plug_cb(): one vIOMMU per machine, an x86 one or virtio-iommu-pci
  if (ancestry.includes('x86-iommu') || found.name === 'virtio-iommu-pci') pcMachineIommuPrePlug(machine, found.name);
  if (info.kind === 'virtio-serial-port') {
    realizeSerialPort(st, info, qbus!, bag);
  } else if (info.kind === 'usb-device') {
    realizeUsbDevice(st, info, qbus!, bag, optId);
  } else if (info.kind === 'hda-codec') {
    realizeHdaCodec(info, qbus!, bag, optId);
  } else if (info.kind === 'sysbus') {
    info.realizeSysbus!({
      typeName: found.name,
      props: bag,
      machine,
      irqchip: st.irqchip,
      plugRootPci: (dev) => {
        dev.id = undefined;
        machine.rootBus!.plug(dev, -1);
        st.root.children.unshift(new QDev(dev.typeName, undefined, dev, st.root));
        pci = dev;
      },
    });
  } else if (info.kind === 'pci') {
    pci = realizePci(st, info, found.name, qbus!, bag, optId, hotplugged);
  } else {
    realizeNoPci(machine, st, info, qbus, bag, optId);
  }
  st.graphicConsoles += graphicConsoles(found.name, bag);
  for (const c of claims) c();
  if (optId !== undefined) st.qdevIds.add(optId);
  const rec: RealizedDevice = { arg: optArg, typeName: found.name, id: optId, pci, bus: qbus?.name ?? '' };
  // add_boot_device_path(): the device's bootindex, and for one that is not a PCI function the PCI function above it
  if (table.has('bootindex')) rec.bootindex = bag.num('bootindex');
  if (pci === null) {
    let up: QBus | null = qbus ?? null;
    while (up && !up.pci && up.parent && !up.parent.pci) up = up.parent.parentBus;
    rec.controller = up?.parent?.pci ?? null;
  }
  st.realized.push(rec);
  return rec;
}

/**
 * A dynamic sysbus device (ramfb): no bus to find and no PCI function. validate_sysbus_device(): only where
 * the machine allows it (pc, q35 and microvm allow ramfb); sysbus devices cannot be hot-plugged.
 */
/** graphic_console_init() calls of a display's realize: one per output of virtio-gpu, one for the others */
function graphicConsoles(typeName: string, props: PropBag): number {
  if (typeName === 'virtio-vga' || typeName === 'virtio-gpu-pci') return props.num('max_outputs');
  return ['VGA', 'secondary-vga', 'cirrus-vga', 'qxl-vga', 'qxl', 'bochs-display', 'ramfb'].includes(typeName) ? 1 : 0;
}

function sysbusDeviceAdd(
  machine: Machine,
  st: MachineRealizeState,
  info: QdevTypeInfo,
  optArg: string,
  qdict: QDict<JsonValue>,
  optId: string | undefined,
  hotplugged: boolean,
): RealizedDevice {
  if (hotplugged) throw new QemuError('UNSUPPORTED', `Device '${info.name}' can not be hotplugged on this machine`);
  for (const [name] of qdict.entries()) {
    if (name !== 'driver' && name !== 'id' && !info.props.some((d) => d.name === name)) {
      throw new QemuError('UNKNOWN_PROPERTY', `Property '${info.name}.${name}' not found`);
    }
  }
  if (optId !== undefined && st.qdevIds.has(optId)) throw new QemuError('DUPLICATE_ID', `Duplicate device ID '${optId}'`);
  if (machine.name !== 'pc' && machine.name !== 'q35' && machine.name !== 'microvm') {
    throw new QemuError('UNSUPPORTED', `Option '-device ${info.name}' cannot be handled by this machine`);
  }
  if (optId !== undefined) st.qdevIds.add(optId);
  st.graphicConsoles += graphicConsoles(info.name, new PropBag(new Map(), new Set()));
  const rec: RealizedDevice = { arg: optArg, typeName: info.name, id: optId, pci: null, bus: 'main-system-bus' };
  st.realized.push(rec);
  return rec;
}

/**
 * A USB host controller's realize, as far as its bus goes: usb_bus_new() with the root hub's ports, or for a
 * companion UHCI with `masterbus=` set, usb_register_companion() on that EHCI's bus instead.
 */
function usbHostRealize(
  st: MachineRealizeState,
  info: QdevTypeInfo,
  node: QDev,
  bag: PropBag,
  companion: { masterbus: string | undefined; firstport: number } | null,
): void {
  const host = info.usbHost!;
  const ports = typeof host.ports === 'number' ? host.ports : host.ports(bag);
  if (companion?.masterbus !== undefined) {
    const name = companion.masterbus;
    const master = findUsbBus(st.root, (b) => b.name === name);
    if (!master) throw new QemuError('BAD_PROPERTY_VALUE', `USB bus '${name}' not found`);
    master.usb!.registerCompanion(ports, companion.firstport);
    return;
  }
  const bus = new QBus(autoBusName(st, 'usb-bus', node.id, 0), 'usb-bus', null, node);
  bus.usb = new UsbBus(bus.name, host.takesCompanions ?? false);
  bus.usb.registerRootPorts(ports);
  node.childBuses.unshift(bus);
}

/** the properties of a function the board created: its type's defaults */
function boardProps(info: QdevTypeInfo): PropBag {
  const values = new Map<string, PropValue>();
  for (const d of info.props) if (d.def !== undefined) values.set(d.name, d.def);
  return new PropBag(values, new Set());
}

/** usb_register_companion()'s walk of the USB buses (`busses`, in creation order) */
function findUsbBus(root: QBus, match: (b: QBus) => boolean): QBus | null {
  const all: QBus[] = [];
  const walk = (b: QBus): void => {
    if (b.usb) all.push(b);
    for (const kid of [...b.children].reverse()) for (const c of [...kid.childBuses].reverse()) walk(c);
  };
  walk(root);
  return all.find(match) ?? null;
}

/** usb_qdev_realize(): claim a port (usb_claim_port), then the device's realize; a hub's ports join the bus */
function realizeUsbDevice(st: MachineRealizeState, info: QdevTypeInfo, qbus: QBus, bag: PropBag, id: string | undefined): void {
  const usb = qbus.usb;
  if (!usb) throw new QemuError('BUS_NOT_FOUND', `No 'usb-bus' bus found for device '${info.name}'`);
  const dinfo = info.usbDevice!;
  const port = usb.claimPort(info.name, dinfo.productDesc, bag.str('port'));
  try {
    info.realizeCheck?.(bag);
    if (dinfo.hubPorts) usb.registerHubPorts(port, dinfo.hubPorts(bag));
  } catch (e) {
    // usb_release_port(): back at the tail of the free list
    usb.used.splice(usb.used.indexOf(port), 1);
    usb.free.push(port);
    throw e;
  }
  const node = new QDev(info.name, id, null, qbus);
  qbus.children.unshift(node);
  // usb-storage: scsi_bus_init() of its one-LUN bus
  if (dinfo.scsiBus) node.childBuses.unshift(new QBus(autoBusName(st, 'SCSI', id, 0), 'SCSI', null, node));
}

/** hda_codec_dev_realize(): the codec address, then the codec's init (which cannot fail) */
function realizeHdaCodec(info: QdevTypeInfo, qbus: QBus, bag: PropBag, id: string | undefined): void {
  const hda = qbus.hda;
  if (!hda) throw new QemuError('BUS_NOT_FOUND', `No 'HDA' bus found for device '${info.name}'`);
  const cad = hdaCodecAddress(bag.num('cad'), hda.nextCad);
  hda.nextCad = cad + 1;
  qbus.children.unshift(new QDev(info.name, id, null, qbus));
}

/** The machine as the devices without a PCI function see it (duck-typed: pc and q35 have these, microvm its transports). */
interface NoPciMachine {
  opts?: { nvdimm?: boolean; ramSlots?: number; acpi?: boolean };
  memoryLayout?: { deviceMemory: { base: number; size: number } | null };
  transports?: { index: number; device: string | null }[];
  isaSerialPortAdded?: (iobase: number) => void;
}

/**
 * Realize a device that is no PCI function: what it takes (an ISA I/O port, a DIMM slot, a virtio-mmio
 * transport) and the checks QEMU makes on the way, with QEMU's words.
 */
function realizeNoPci(machine: Machine, st: MachineRealizeState, info: QdevTypeInfo, qbus: QBus | null, bag: PropBag, id: string | undefined): void {
  const m = machine as Machine & NoPciMachine;
  switch (info.kind) {
    case 'isa-serial': {
      // serial_isa_realizefn()
      let index = bag.num('index');
      if (index === 0xffffffff) index = st.isaSerialIndex;
      if (index >= MAX_ISA_SERIAL_PORTS) throw new QemuError('BAD_PROPERTY_VALUE', `Max. supported number of ISA serial ports is ${MAX_ISA_SERIAL_PORTS}.`);
      let iobase = bag.num('iobase');
      if (iobase === 0xffffffff) iobase = ISA_SERIAL_IO[index]!;
      st.isaSerialIndex++;
      m.isaSerialPortAdded?.(iobase);
      break;
    }
    case 'memory-device': {
      // pc_memory_pre_plug() -> pc_dimm_pre_plug() -> memory_device_pre_plug()
      if (machine.name === 'microvm') throw new QemuError('UNSUPPORTED', `Device '${info.name}' can not be hotplugged on this machine`);
      if (m.opts?.acpi === false) throw new QemuError('UNSUPPORTED', 'memory hotplug is not enabled: missing acpi device or acpi disabled');
      if (info.name === 'nvdimm' && !m.opts?.nvdimm) throw new QemuError('UNSUPPORTED', "nvdimm is not enabled: missing 'nvdimm' in '-M'");
      const slots = m.opts?.ramSlots ?? 0;
      let slot = bag.num('slot');
      if ((slot < 0 || slot >= slots) && slot !== -1) {
        throw new QemuError('BAD_PROPERTY_VALUE', `invalid slot number ${slot}, valid range is [0-${slots - 1}]`);
      }
      if (!slots) throw new QemuError('BAD_PROPERTY_VALUE', "no slots where allocated, please specify the 'slots' option");
      if (slot !== -1 && st.dimmSlots.has(slot)) throw new QemuError('BAD_PROPERTY_VALUE', `slot ${slot} is busy`);
      if (slot === -1) {
        slot = [...Array(slots).keys()].find((i) => !st.dimmSlots.has(i)) ?? -1;
        if (slot === -1) throw new QemuError('BAD_PROPERTY_VALUE', 'no free slots available');
      }
      if (bag.str('memdev') === undefined) throw new QemuError('BAD_PROPERTY_VALUE', "'memdev' property must be set");
      if (!m.memoryLayout?.deviceMemory) {
        throw new QemuError('BAD_PROPERTY_VALUE', 'memory devices (e.g. for memory hotplug) are not enabled, please specify the maxmem option');
      }
      st.dimmSlots.add(slot);
      break;
    }
    case 'virtio-mmio': {
      // a virtio device on a microvm transport: virtio_mmio.device= on the command line, no PCI function
      const t = m.transports?.find((x) => x.index === qbus?.mmioTransport);
      if (t) t.device = info.name;
      break;
    }
    case 'nvme-ns':
      // nvme_ns_realize(): the namespace needs a drive
      if (bag.str('drive') === undefined) throw new QemuError('BAD_PROPERTY_VALUE', 'nvme-ns: drive property not set');
      break;
    default:
      break;
  }
  qbus?.children.unshift(new QDev(info.name, id, null, qbus));
}

function realizeSerialPort(st: MachineRealizeState, info: QdevTypeInfo, qbus: QBus, bag: PropBag): void {
  // virtser_port_device_realize()
  const vser = qbus.vser;
  if (!vser) throw new QemuError('BUS_NOT_FOUND', `No 'virtio-serial-bus' bus found for device '${info.name}'`);
  const isConsole = info.name === 'virtconsole';
  const plugging0 = isConsole && !vser.ports.has(0);
  const BAD_ID = 0xffffffff;
  let nr = bag.num('nr');
  const name = bag.str('name');
  if (vser.ports.has(nr)) {
    throw new QemuError('BAD_PROPERTY_VALUE', `virtio-serial-bus: A port already exists at id ${nr}`);
  }
  if (name !== undefined && st.serialPortNames.has(name)) {
    throw new QemuError('BAD_PROPERTY_VALUE', `virtio-serial-bus: A port already exists by name ${name}`);
  }
  if (nr === BAD_ID) {
    if (plugging0) nr = 0;
    else {
      // find_free_port_id(): the lowest clear bit of ports_map
      nr = BAD_ID;
      for (let i = 0; i < Math.ceil(vser.maxPorts / 32) * 32; i++) {
        if (!vser.map.has(i)) {
          nr = i;
          break;
        }
      }
      if (nr === BAD_ID) {
        throw new QemuError('BAD_PROPERTY_VALUE', 'virtio-serial-bus: Maximum port limit for this device reached');
      }
    }
  }
  if (nr >= vser.maxPorts) {
    throw new QemuError('BAD_PROPERTY_VALUE', `virtio-serial-bus: Out-of-range port id specified, max. allowed: ${vser.maxPorts - 1}`);
  }
  vser.ports.add(nr);
  vser.map.add(nr);
  if (name !== undefined) st.serialPortNames.add(name);
  qbus.children.unshift(new QDev(info.name, undefined, null, qbus));
}

/** the PCI half of qdev_realize(): pre-plug, pci_qdev_realize, option ROM, plug */
function realizePci(
  st: MachineRealizeState,
  info: QdevTypeInfo,
  typeName: string,
  qbus: QBus,
  bag: PropBag,
  id: string | undefined,
  hotplugged: boolean,
): PciDevice {
  const bus = qbus.pci!;
  const handler = st.handlerOf.get(bus) ?? null;

  // hotplug_handler_pre_plug()
  if (handler?.kind === 'acpi') {
    // acpi_pcihp_device_pre_plug_cb()
    const idx = bag.num('acpi-index');
    if (idx > 16383) throw new QemuError('BAD_PROPERTY_VALUE', 'acpi-index should be less or equal to 16383');
    if (idx && st.acpiIndexes.has(idx)) {
      throw new QemuError('BAD_PROPERTY_VALUE', `a PCI device with acpi-index = ${idx} already exist`);
    }
    if (idx) st.acpiIndexes.add(idx);
  } else if (handler?.kind === 'pcie-slot') {
    const err = handler.port.slotPrePlug(hotplugged);
    if (err) throw new QemuError('UNSUPPORTED', err);
  }

  // pci_qdev_realize(): romsize first
  const romsize = bag.num('romsize');
  if (romsize !== 0xffffffff && !pow2(romsize)) {
    throw new QemuError('BAD_PROPERTY_VALUE', `ROM size ${romsize} is not a power of two`);
  }
  const romfile = bag.str('romfile') ?? info.romfile;
  let romSize = 0;
  let romError: QemuError | null = null;
  if (romfile !== undefined && romfile !== '' && bag.num('rombar') !== 0) {
    const size = st.romSizes[romfile];
    if (size === undefined) romError = new QemuError('BAD_PROPERTY_VALUE', `failed to find romfile "${romfile}"`);
    else if (romsize !== 0xffffffff) {
      if (romsize < size / 2) {
        romError = new QemuError('UNSUPPORTED', `pcisim: the exact size of romfile "${romfile}" is not known; romsize=${romsize} is below it`);
      }
      romSize = romsize;
    } else romSize = size;
  } else if (romfile !== undefined && romfile !== '' && hotplugged) {
    romError = new QemuError('BAD_PROPERTY_VALUE', "Hot-plugged device without ROM bar can't have an option ROM");
  }

  const dev = info.build!({
    typeName,
    props: bag,
    bus,
    smpCpus: st.smpCpus,
    numaNodes: st.numaNodes,
    netdevQueues: netdevQueues(st, bag),
    nativeHotplugDefault: st.nativeHotplugDefault,
    chassis: st.chassis,
    defaultMac: () => [0x52, 0x54, 0x00, 0x12, 0x34, (0x56 + st.macIndex++) & 0xff],
    hotplugged,
    romSize,
    vfioHost: (bdf) => st.vfio.get(bdf),
    memdevSize: (objId) => {
      const o = st.objectOpts.get(objId);
      const size = o === undefined ? undefined : lastOpt(o, 'size');
      return size === undefined ? undefined : Number(qemuStrtosz(size) ?? Number.NaN);
    },
    mapMemdev: (objId) => {
      if (st.mappedMemdevs.has(objId)) return false;
      st.mappedMemdevs.add(objId);
      return true;
    },
  });
  dev.id = id;
  dev.multifunction = bag.bool('multifunction');
  dev.hotplugged = hotplugged;
  if (dev instanceof QdevPciDevice) {
    dev.romSize = romSize;
    dev.extcapInit = bag.bool('x-pcie-extcap-init');
  }
  if (dev instanceof PciBridgeBase) {
    // pci_bridge_initfn(): the secondary bus is named after the bridge's id
    dev.secBusName = id !== undefined && id !== '' ? id : autoBusName(st, dev.secondaryExpress ? 'PCIE' : 'PCI', undefined, 0);
  }

  if (dev instanceof PxbDevice) {
    // pci_root_bus_new(ds, dev_name): a pxb-pcie's root bus, or a pxb's internal pci-bridge's bus, is the id
    dev.busName = id !== undefined && id !== '' ? id : autoBusName(st, dev.express ? 'PCIE' : 'PCI', undefined, 0);
  }

  const devfn = bag.num('addr');
  try {
    bus.plug(dev, devfn === -1 ? -1 : devfn);
  } catch (e) {
    if (bus.devices[dev.devfn] === dev) bus.unplug(dev);
    if (dev instanceof PciBridgeBase) dev.removeSecondaryBus();
    if (dev instanceof PxbDevice) dev.removePxbBus();
    // do_pci_register_device() prints the occupant's NULL id through glibc's "%s": "(null)"
    if (e instanceof QemuError && e.code === 'SLOT_IN_USE' && e.message.endsWith(',id=')) {
      throw new QemuError(e.code, `${e.message}(null)`);
    }
    throw e;
  }
  const undo = () => {
    bus.unplug(dev);
    if (dev instanceof PciBridgeBase) dev.removeSecondaryBus();
    if (dev instanceof PcieSlot) dev.chassisDelSlot();
  };
  // the class's realize, past do_pci_register_device(): a UHCI companion joins its EHCI
  const node = new QDev(typeName, id, dev, qbus);
  if (info.usbHost) {
    try {
      usbHostRealize(st, info, node, bag, info.usbHost.companion ? { masterbus: bag.str('masterbus'), firstport: bag.num('firstport') } : null);
    } catch (e) {
      undo();
      throw e;
    }
  }
  if (romError) {
    undo();
    throw romError;
  }

  // hotplug_handler_plug()
  if (handler?.kind === 'shpc') {
    const err = handler.bridge.shpc?.plug(dev.devfn, hotplugged) ?? null;
    if (err) {
      undo();
      throw new QemuError('UNSUPPORTED', err);
    }
  } else if (handler?.kind === 'pcie-slot') {
    handler.port.slotPlug(bag.bool('x-pcie-lnksta-dllla'), dev.devfn, hotplugged);
  } else if (handler?.kind === 'acpi' && hotplugged) {
    const parent = bus.parentBridge;
    if (parent instanceof PcieSlot) parent.slotEnablePower();
  }

  // the qdev tree: the device on its bus, and the buses it brings
  qbus.children.unshift(node);
  if (dev instanceof PciBridgeBase && dev.secondaryBus) {
    const sec = dev.secondaryBus;
    const sq = new QBus(sec.name, sec.isExpress ? 'PCIE' : 'PCI', sec, node);
    node.childBuses.unshift(sq);
    st.qbusOf.set(sec, sq);
    // acpi_pcihp_device_plug_cb(): a cold-plugged bridge under ACPI hot-plug gets ACPI for its bus too
    let secHandler: HotplugHandler;
    if (handler?.kind === 'acpi' && !hotplugged && st.acpi === 'bridges') {
      secHandler = dev instanceof PcieSlot && !dev.cfg.hotplug ? null : { kind: 'acpi' };
    } else if (dev instanceof PcieSlot) {
      secHandler = { kind: 'pcie-slot', port: dev };
    } else if ((dev instanceof PciBridgeDev || dev instanceof PciePciBridge) && dev.shpc) {
      secHandler = { kind: 'shpc', bridge: dev };
    } else {
      secHandler = null;
    }
    st.handlerOf.set(sec, secHandler);
  }
  if (dev instanceof PxbDevice && dev.pxbBus) {
    // the expander's root bus (under its pxb-host in QEMU's tree): no hot-plug handler of its own
    const pb = dev.pxbBus;
    const pq = new QBus(pb.name, pb.isExpress ? 'PCIE' : 'PCI', pb, node);
    node.childBuses.unshift(pq);
    st.qbusOf.set(pb, pq);
    st.handlerOf.set(pb, null);
    const ib = dev.internalBridge;
    if (ib?.secondaryBus) {
      // pxb: the internal pci-bridge (shpc=off: no hot-plug controller) and the bus the devices go on
      const inode = new QDev('pci-bridge', ib.id, ib, pq);
      pq.children.unshift(inode);
      const sq = new QBus(ib.secondaryBus.name, 'PCI', ib.secondaryBus, inode);
      inode.childBuses.unshift(sq);
      st.qbusOf.set(ib.secondaryBus, sq);
      st.handlerOf.set(ib.secondaryBus, null);
    }
  }
  if (dev instanceof VirtioPciDevice) {
    // virtio_pci_bus_new(): the proxy's own one-slot virtio bus, holding the virtio device
    const vbus = new QBus(autoBusName(st, 'virtio-pci-bus', id, 0), 'virtio-pci-bus', null, node, 1);
    node.childBuses.unshift(vbus);
    const vdevType = info.innerAncestors?.[0] ?? 'virtio-device';
    const vnode = new QDev(vdevType, undefined, null, vbus);
    vbus.children.unshift(vnode);
    if (vdevType === 'virtio-serial-device') {
      const sbus = new QBus(autoBusName(st, 'virtio-serial-bus', id, 0), 'virtio-serial-bus', null, vnode);
      // virtio_serial_device_realize(): ports_map[0] = 1 keeps location 0 for a console
      sbus.vser = { maxPorts: bag.num('max_ports'), ports: new Set(), map: new Set([0]) };
      vnode.childBuses.unshift(sbus);
    } else if (vdevType === 'virtio-scsi-device') {
      vnode.childBuses.unshift(new QBus(autoBusName(st, 'SCSI', id, 0), 'SCSI', null, vnode));
    }
  } else if (info.hdaBus) {
    // hda_codec_bus_init()
    const hbus = new QBus(autoBusName(st, 'HDA', id, 0), 'HDA', null, node);
    hbus.hda = { nextCad: 0 };
    node.childBuses.unshift(hbus);
  } else if (typeName === 'nvme') {
    // nvme_realize(): qbus_init(&n->bus, TYPE_NVME_BUS, qdev, id): the bus is named after the controller's id
    node.childBuses.unshift(new QBus(id ?? autoBusName(st, 'nvme-bus', undefined, 0), 'nvme-bus', null, node));
  }
  if (hotplugged) resetDevice(dev);
  return dev;
}

function netdevQueues(st: MachineRealizeState, bag: PropBag): number {
  const nd = bag.str('netdev');
  return nd === undefined ? 1 : st.netdevs.get(nd)?.queues ?? 1;
}

/** a hot-plugged device is reset once realized (device_set_realized): the device and its buses */
function resetDevice(dev: PciDevice): void {
  if (dev instanceof QdevPciDevice && dev.secondaryBus) resetBus(dev.secondaryBus);
  dev.reset();
}

// ---------------------------------------------------------------------------------------------------
// entry points

/** The outcome of {@link realizeCommandLine}. */
export interface RealizeResult {
  devices: RealizedDevice[];
  /** whether QEMU's default NIC was created */
  defaultNic: boolean;
}

/**
 * Create the backends and devices of a parsed command line on a freshly built machine, in QEMU's order,
 * then run the system reset. The caller builds the machine (with `-nodefaults` or not) and must not add
 * the default NIC itself: this does it where QEMU does (board init, before any -device).
 */
export function realizeCommandLine(machine: Machine, parsed: ParsedCommandLine, options: RealizeOptions = {}): RealizeResult {
  if (STATES.has(machine)) throw new QemuError('UNSUPPORTED', 'pcisim: the command line was already realized on this machine');
  const st = stateOf(machine, options, parsed);
  createBackends(st, parsed);
  // pc_nic_init() during board init: the default NIC takes the first free slot before any -device
  let defaultNic = false;
  const m = machine as Machine & { addDefaultNic?: () => void };
  if (parsed.defaultNic && typeof m.addDefaultNic === 'function') {
    const bus = machine.rootBus!;
    const before = new Set(bus.devices.filter((d) => d !== null));
    m.addDefaultNic();
    const nic = bus.devices.find((d) => d !== null && !before.has(d)) ?? null;
    if (nic) {
      st.root.children.unshift(new QDev(nic.typeName, nic.id, nic, st.root));
      st.macIndex = 1; // qemu_macaddr_default_if_unset() gave it 52:54:00:12:34:56
      defaultNic = true;
    }
  }
  for (const d of parsed.devices) realizeDeviceOption(machine, d, options.hotplugged ?? false);
  // -drive if=virtio: drive_new() queued a virtio-blk-pci after the -device options
  for (const d of parsed.drives) {
    if (lastOpt(d.opts, 'if') !== 'virtio') continue;
    const drive = d.id ?? `virtio${parsed.drives.indexOf(d)}`;
    if (d.id === undefined) st.blocks.set(drive, { autoConnected: false, attached: undefined });
    else st.blocks.get(drive)!.autoConnected = false;
    const opts: QemuOpt[] = [
      { name: 'driver', value: 'virtio-blk-pci' },
      { name: 'drive', value: drive },
    ];
    const addr = lastOpt(d.opts, 'addr');
    if (addr !== undefined) opts.push({ name: 'addr', value: addr });
    try {
      deviceAdd(machine, st, d.arg, opts, undefined, false);
    } catch (e) {
      throw located('-drive', d.arg, e);
    }
  }
  // vtd_machine_done_hook(): assigned devices behind an intel-iommu need its caching mode
  const vtd = x86IommuGetDefault(machine)?.vtd;
  if (vtd && !vtd.cachingMode && st.realized.some((d) => d.typeName === 'vfio-pci' || d.typeName === 'vfio-pci-nohotplug')) {
    throw new QemuError('BAD_OPTION', 'We need to set caching-mode=on for intel-iommu to enable device assignment with IOMMU protection.');
  }
  systemReset(machine);
  return { devices: [...st.realized], defaultNic };
}

function realizeDeviceOption(machine: Machine, d: DeviceOption, hotplugged: boolean): RealizedDevice {
  const st = stateOf(machine);
  try {
    return deviceAdd(machine, st, d.arg, d.opts, d.id, hotplugged, d.json);
  } catch (e) {
    // device_add reports bare (QMP error / HMP "Error: "); a command-line -device with its location
    throw hotplugged ? e : located('-device', d.arg, e);
  }
}

/**
 * Plug one `-device` argument into a machine: what QEMU does for a -device at start-up, or for
 * `device_add` when `hotplugged`. Backends come from an earlier {@link realizeCommandLine} on the same
 * machine. A cold plug reads its errors as QEMU prints them for a -device (`-device <arg>: <message>`);
 * a hot plug gives the bare message, as QMP does. A second device with a taken id is qdev_set_id()'s
 * "Duplicate device ID" (QEMU drops a -device's QemuOpts once the device exists).
 */
export function plugDeviceOption(machine: Machine, arg: string, options: { hotplugged?: boolean } = {}): RealizedDevice {
  const hotplugged = options.hotplugged ?? false;
  let o;
  try {
    o = parseQemuOpts(arg, 'driver');
    if (o.id !== undefined && !idWellformed(o.id)) throw new QemuError('BAD_OPTION', "Parameter 'id' expects an identifier");
  } catch (e) {
    throw hotplugged ? e : located('-device', arg, e);
  }
  const rec = realizeDeviceOption(machine, { arg, id: o.id, opts: o.opts }, hotplugged);
  // a cold plug before boot: the system reset that follows machine creation, again
  if (!hotplugged) systemReset(machine);
  return rec;
}

/** Parse and realize in one step: `qemu-system-x86_64 …` minus the machine construction. */
export function realizeArgv(machine: Machine, argv: readonly string[], options: RealizeOptions = {}): RealizeResult {
  return realizeCommandLine(machine, parseQemuCommandLine(argv), options);
}

/** The bridge tree under a root bus, for the report: every bus, every function, bridges nested. */
export function describeTopology(rootBus: PciBus): TopologyBus {
  const h = (n: number, w: number) => n.toString(16).padStart(w, '0');
  const walk = (bus: PciBus): TopologyBus => {
    const fns: TopologyFunction[] = [];
    for (let devfn = 0; devfn < 256; devfn++) {
      const dev = bus.devices[devfn];
      if (!dev) continue;
      const f: TopologyFunction = {
        bdf: R.formatBdf(bus.number, devfn),
        slot: R.PCI_SLOT(devfn),
        function: R.PCI_FUNC(devfn),
        typeName: dev.typeName,
        id: dev.id,
        vendor: h(dev.getWord(R.PCI_VENDOR_ID), 4),
        device: h(dev.getWord(R.PCI_DEVICE_ID), 4),
        class: h(dev.getWord(R.PCI_CLASS_DEVICE), 4) + h(dev.config[R.PCI_CLASS_PROG]!, 2),
        headerType: dev.config[R.PCI_HEADER_TYPE]!,
      };
      const sec = bus.children.find((c) => c.parentBridge === dev);
      if (sec) f.secondary = walk(sec);
      fns.push(f);
    }
    return { name: bus.name, number: bus.number, express: bus.isExpress, functions: fns };
  };
  return walk(rootBus);
}

/**
 * The qdev side of a hot-unplugged PCI function (object_unparent() after the hot-plug handler's unplug):
 * its node leaves its bus, its id is free again, a root port gives back its chassis/slot, and the buses
 * it brought go. The function must already be off its PciBus.
 */
export function unrealizeDevice(machine: Machine, dev: PciDevice): void {
  const st = STATES.get(machine);
  if (!st) return;
  const drop = (q: QBus): void => {
    const i = q.children.findIndex((n) => n.pci === dev);
    if (i >= 0) {
      const node = q.children[i]!;
      q.children.splice(i, 1);
      for (const b of node.childBuses) if (b.pci) st.qbusOf.delete(b.pci);
    }
    for (const n of q.children) for (const b of n.childBuses) drop(b);
  };
  drop(st.root);
  const rec = st.realized.findIndex((r) => r.pci === dev);
  if (rec >= 0) st.realized.splice(rec, 1);
  if (dev.id !== undefined) st.qdevIds.delete(dev.id);
  if (dev instanceof PcieSlot) dev.chassisDelSlot();
}

/** What realize created on a machine so far. */
export function realizedDevices(machine: Machine): RealizedDevice[] {
  return [...(STATES.get(machine)?.realized ?? [])];
}


/**
 * pci_create_simple(bus, -1, name) for a board's own display (pci_vga_init() under pc_vga_init(), for
 * `-vga virtio|qxl|cirrus`): qdev_new() with the type's defaults and the matching `-global`s, the class's
 * option ROM, then the caller plugs it at the first free slot. The device is built here and realized by the plug.
 */
export function pciCreateSimple(bus: PciBus, typeName: string, globals: readonly { driver: string; property: string; value: string }[] = []): PciDevice {
  const found = lookupDeviceType(typeName);
  if (found.kind !== 'found' || !found.info.build) throw new QemuError('UNSUPPORTED', `pcisim: device type '${typeName}' is not modelled`);
  const info = found.info;
  const build = found.info.build;
  const values = new Map<string, PropValue>();
  const explicit = new Set<string>();
  for (const d of info.props) if (d.def !== undefined) values.set(d.name, d.def);
  const table = propTable(info);
  const ancestry = [...info.ancestors, ...(info.innerAncestors ?? [])];
  for (const g of globals) {
    const def = table.get(g.property);
    if (!ancestry.includes(g.driver) || !def) continue;
    try {
      values.set(def.name, parseScalar(def, g.value));
    } catch (e) {
      if (e instanceof QemuError) throw new QemuError(e.code, `can't apply global ${g.driver}.${g.property}=${g.value}: ${e.message}`);
      throw e;
    }
    explicit.add(def.name);
  }
  const romSize = info.romfile !== undefined ? (KNOWN_ROM_SIZES[info.romfile] ?? 0) : 0;
  const dev = build({
    typeName: found.name,
    props: new PropBag(values, explicit),
    bus,
    smpCpus: 1,
    netdevQueues: 1,
    nativeHotplugDefault: true,
    chassis: new PcieChassisRegistry(),
    defaultMac: () => [0x52, 0x54, 0x00, 0x12, 0x34, 0x56],
    hotplugged: false,
    romSize,
  });
  if (dev instanceof QdevPciDevice) dev.romSize = romSize;
  return dev;
}
