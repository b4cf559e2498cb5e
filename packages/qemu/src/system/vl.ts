/**
 * @module
 * softmmu/vl.c's `qemu_init()` option loop. {@link parseQemuCommandLine} reads every option QEMU knows, in
 * order: `-device`/`-netdev`/`-chardev`/`-drive`/`-object` through QemuOpts (ids checked as they come),
 * `-blockdev` through keyval, `-global` through `qemu_global_option()`. What the loop itself rejects is
 * rejected here, with QEMU's words after the `-option arg: ` location QEMU prints. Backends are checked
 * later, where QEMU creates them ({@link realizeCommandLine}). {@link parseQemuArgs} reads the command line
 * pcisim boots into a {@link QemuConfig} (machine type and release, RAM, CPU, firmware, kernel command line);
 * system/board.ts builds the machine from it.
 */
import type { VfioHostDevice } from '../hw/vfio/host.js';
import { QemuError } from '../errors.js';
import { parseKeyval, parseQemuOpts, QemuOptsIds, type KeyvalDict, type QemuOpt } from '../util/qemu-option.js';
import { qemuStrtosz, qemuStrtou64 } from '../util/cutils.js';
import { VGA_DEVICE_TYPES } from '../hw/registry.js';
import { ich9LpcDefaults, ich9LpcGlobal } from '../hw/pci-host/q35.js';
import type { FirmwareKind } from '../hw/core/machine.js';
import { parseBool } from '../hw/core/qdev-properties.js';
import { parseCpu, type HostCpu } from '../target/i386/cpu.js';

export type { HostCpu } from '../target/i386/cpu.js';

/** A JSON value as QEMU's JSON parser gives it (qobject). */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** One `-device`. */
export interface DeviceOption {
  /** the argument as given, for error locations */
  arg: string;
  id: string | undefined;
  /** every `name=value` but `id`, in order; the implied first one is `driver` (JSON values stringified) */
  opts: QemuOpt[];
  /** `-device '{"driver": …}'`: the members as typed, which QEMU visits with the strict JSON rules */
  json?: [string, JsonValue][];
}

/** One `-netdev` (QemuOpts list "netdev", implied name "type"). */
export interface NetdevOption {
  arg: string;
  id: string | undefined;
  type: string | undefined;
  opts: QemuOpt[];
}

/** One `-object` (implied name "qom-type"). */
export interface ObjectOption {
  arg: string;
  id: string | undefined;
  qomType: string | undefined;
  opts: QemuOpt[];
}

/** One `-blockdev` (keyval, implied key "driver"). */
export interface BlockdevOption {
  arg: string;
  tree: KeyvalDict;
}

/** One `-drive`. */
export interface DriveOption {
  arg: string;
  id: string | undefined;
  opts: QemuOpt[];
}

/** One `-chardev` (implied name "backend"). */
export interface ChardevOption {
  arg: string;
  id: string | undefined;
  backend: string | undefined;
  opts: QemuOpt[];
}

/** One `-global driver.property=value`. */
export interface GlobalOption {
  arg: string;
  driver: string;
  property: string;
  value: string;
}

/** One `-audiodev` (keyval, implied key "driver"). */
export interface AudiodevOption {
  arg: string;
  id: string;
  driver: string;
}

/** An option this parser leaves to its caller (-m, -cpu, -kernel, -append …). */
export interface OtherOption {
  option: string;
  arg: string | undefined;
}

/** A whole command line, split by what it configures. */
export interface ParsedCommandLine {
  /** the last `-M`/`-machine` argument, unparsed */
  machine: string | undefined;
  nodefaults: boolean;
  /** `-smp`'s CPU count (1 when absent) */
  smpCpus: number;
  devices: DeviceOption[];
  netdevs: NetdevOption[];
  objects: ObjectOption[];
  blockdevs: BlockdevOption[];
  drives: DriveOption[];
  chardevs: ChardevOption[];
  globals: GlobalOption[];
  /** `-audiodev`s: the audio backends `audiodev=` properties name */
  audiodevs: AudiodevOption[];
  /** QEMU's default NIC: not with -nodefaults, -netdev, -net or -nic (vl.c default_net) */
  defaultNic: boolean;
  /** QEMU's default VGA: not with -nodefaults, any -vga, or a display -device (vl.c default_vga) */
  defaultVga: boolean;
  /** the last -vga (vl.c vga_model), which select_vgahw() honours whatever default_vga says */
  vgaModel?: string;
  rest: OtherOption[];
  /** what QEMU would print as warnings (deprecated short-form booleans …) */
  warnings: string[];
}

/** qemu-options.hx: options that take an argument (x86) */
const WITH_ARG = new Set(
  (
    'machine M cpu accel smp numa add-fd set global boot m mem-path k audio audiodev device name uuid fda fdb ' +
    'hda hdb hdc hdd cdrom blockdev drive mtdblock sd fsdev virtfs iscsi usbdevice display spice rotate vga g ' +
    'vnc acpitable smbios netdev nic net chardev tpmdev bios pflash kernel append initrd dtb compat fw_cfg ' +
    'serial parallel monitor qmp qmp-pretty mon debugcon pidfile overcommit gdb d D dfilter seed L xen-domid ' +
    'action loadvm option-rom rtc icount watchdog-action echr incoming chroot runas prom-env ' +
    'semihosting-config sandbox readconfig trace plugin qtest qtest-log msg dump-vmstate object'
  ).split(' '),
);
/** qemu-options.hx: options without an argument */
const FLAGS = new Set(
  (
    'help version mem-prealloc audio-help snapshot usb nographic portrait full-screen win2k-hack no-fd-bootchk ' +
    'no-acpi no-hpet singlestep preconfig S s enable-kvm xen-attach xen-domid-restrict no-reboot no-shutdown ' +
    'daemonize only-migratable nodefaults semihosting old-param no-user-config async-teardown ' +
    'enable-sync-profile h'
  ).split(' '),
);

/** qobject_from_json() for an option argument that must be a JSON object */
export function parseJsonObject(arg: string): [string, JsonValue][] {
  let v: unknown;
  try {
    v = JSON.parse(arg);
  } catch (e) {
    throw new QemuError('BAD_OPTION', `JSON parse error, ${(e as Error).message}`);
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new QemuError('BAD_OPTION', 'JSON object expected');
  return Object.entries(v as Record<string, JsonValue>);
}

function jsonToString(v: JsonValue): string {
  return typeof v === 'string' ? v : typeof v === 'boolean' ? (v ? 'on' : 'off') : JSON.stringify(v);
}

/** `error_report()` with the option as location, as QEMU prints it after its program name */
export function located(option: string, arg: string | undefined, e: unknown): unknown {
  if (!(e instanceof QemuError)) return e;
  const where = arg === undefined ? option : `${option} ${arg}`;
  return new QemuError(e.code, `${where}: ${e.message}`);
}

function at<T>(option: string, arg: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    throw located(option, arg, e);
  }
}

/** qemu_global_option(): `driver.prop=value`, or the QemuOpts form `driver=d,property=p,value=v` */
export function parseGlobal(arg: string): GlobalOption {
  const m = /^([^.=]{1,63})\.([^=]{1,63})=/.exec(arg);
  if (m) return { arg, driver: m[1]!, property: m[2]!, value: arg.slice(m[0].length) };
  const o = parseQemuOpts(arg, null, false);
  const get = (n: string) => o.opts.filter((x) => x.name === n).pop()?.value;
  for (const x of o.opts) {
    if (x.name !== 'driver' && x.name !== 'property' && x.name !== 'value') {
      throw new QemuError('BAD_OPTION', `Invalid parameter '${x.name}'`);
    }
  }
  const driver = get('driver');
  const property = get('property');
  const value = get('value');
  if (driver === undefined || property === undefined || value === undefined) {
    throw new QemuError('BAD_OPTION', "options 'driver', 'property', and 'value' are required");
  }
  return { arg, driver, property, value };
}

/** -smp: `N`, `cpus=N`, or the product of sockets/dies/cores/threads */
function parseSmp(arg: string): number {
  const o = parseQemuOpts(arg, 'cpus', false);
  const get = (n: string) => {
    const v = o.opts.filter((x) => x.name === n).pop()?.value;
    return v === undefined ? undefined : Number.parseInt(v, 10);
  };
  const cpus = get('cpus');
  if (cpus !== undefined && cpus > 0) return cpus;
  const product = (get('sockets') ?? 1) * (get('dies') ?? 1) * (get('cores') ?? 1) * (get('threads') ?? 1);
  return product > 0 ? product : 1;
}

/**
 * The whole argv (with or without the program name). Throws {@link QemuError} for what QEMU's option
 * loop rejects: unknown options, a missing argument, malformed or duplicate ids, bad -object/-blockdev
 * syntax.
 */
export function parseQemuCommandLine(argv: readonly string[]): ParsedCommandLine {
  const out: ParsedCommandLine = {
    machine: undefined,
    nodefaults: false,
    smpCpus: 1,
    devices: [],
    netdevs: [],
    objects: [],
    blockdevs: [],
    drives: [],
    chardevs: [],
    globals: [],
    audiodevs: [],
    defaultNic: true,
    defaultVga: true,
    rest: [],
    warnings: [],
  };
  const ids = {
    device: new QemuOptsIds('device'),
    netdev: new QemuOptsIds('netdev'),
    object: new QemuOptsIds('object'),
    drive: new QemuOptsIds('drive'),
    chardev: new QemuOptsIds('chardev'),
  };
  let i = 0;
  if (argv.length > 0 && !argv[0]!.startsWith('-') && /qemu/.test(argv[0]!)) i = 1;
  let netSeen = false;
  for (; i < argv.length; i++) {
    const raw = argv[i]!;
    if (!raw.startsWith('-') || raw === '-') {
      // a lone argument is the disk image (-hda)
      out.rest.push({ option: '-hda', arg: raw });
      continue;
    }
    const name = raw.startsWith('--') ? raw.slice(2) : raw.slice(1);
    const option = `-${name}`;
    if (FLAGS.has(name)) {
      if (name === 'nodefaults') out.nodefaults = true;
      else out.rest.push({ option, arg: undefined });
      continue;
    }
    if (!WITH_ARG.has(name)) throw new QemuError('UNKNOWN_OPTION', `${option}: invalid option`);
    const arg = argv[++i];
    if (arg === undefined) throw new QemuError('BAD_OPTION', `${option}: requires an argument`);
    switch (name) {
      case 'device':
        at(option, arg, () => {
          if (arg.startsWith('{')) {
            // JSON -device: no QemuOpts, so no id check here (qdev_set_id() checks at creation)
            const json = parseJsonObject(arg);
            const idv = json.find(([k]) => k === 'id')?.[1];
            out.devices.push({
              arg,
              id: typeof idv === 'string' ? idv : undefined,
              opts: json.filter(([k]) => k !== 'id').map(([name, v]) => ({ name, value: jsonToString(v) })),
              json,
            });
            const drv = json.find(([k]) => k === 'driver')?.[1];
            if (typeof drv === 'string' && VGA_DEVICE_TYPES.includes(drv)) out.defaultVga = false;
            return;
          }
          const o = parseQemuOpts(arg, 'driver');
          for (const w of o.warnings) out.warnings.push(`${option} ${arg}: ${w}`);
          ids.device.claim(o.id);
          out.devices.push({ arg, id: o.id, opts: o.opts });
          const driver = o.opts.filter((x) => x.name === 'driver').pop()?.value;
          if (driver !== undefined && VGA_DEVICE_TYPES.includes(driver)) out.defaultVga = false;
        });
        break;
      case 'netdev':
        netSeen = true;
        at(option, arg, () => {
          if (arg.startsWith('{')) {
            // netdev_is_modern(): JSON goes through the QAPI Netdev visitor, type and id mandatory
            const json = parseJsonObject(arg);
            const get = (k: string) => json.find(([n]) => n === k)?.[1];
            const type = get('type');
            if (type === undefined) throw new QemuError('BAD_OPTION', "Parameter 'type' is missing");
            if (typeof type !== 'string') throw new QemuError('BAD_OPTION', "Invalid parameter type for 'type', expected: string");
            const id = get('id');
            if (id === undefined) throw new QemuError('BAD_OPTION', "Parameter 'id' is missing");
            if (typeof id !== 'string') throw new QemuError('BAD_OPTION', "Invalid parameter type for 'id', expected: string");
            out.netdevs.push({ arg, id, type, opts: json.filter(([k]) => k !== 'id').map(([name, v]) => ({ name, value: jsonToString(v) })) });
            return;
          }
          const o = parseQemuOpts(arg, 'type');
          ids.netdev.claim(o.id);
          out.netdevs.push({ arg, id: o.id, type: o.opts.filter((x) => x.name === 'type').pop()?.value, opts: o.opts });
        });
        break;
      case 'nic':
      case 'net':
        netSeen = true;
        out.rest.push({ option, arg });
        break;
      case 'object':
        at(option, arg, () => {
          if (arg.startsWith('{')) {
            const json = parseJsonObject(arg);
            const get = (k: string) => json.find(([n]) => n === k)?.[1];
            const qomType = get('qom-type');
            if (qomType === undefined) throw new QemuError('BAD_OPTION', "Parameter 'qom-type' is missing");
            const id = get('id');
            const opts = json.filter(([k]) => k !== 'id').map(([name, v]) => ({ name, value: jsonToString(v) }));
            checkObjectOptions(String(qomType), typeof id === 'string' ? id : undefined, opts);
            if (out.objects.some((o) => o.id === id)) {
              throw new QemuError('DUPLICATE_ID', `attempt to add duplicate property '${String(id)}' to object (type 'container')`);
            }
            out.objects.push({ arg, id: String(id), qomType: String(qomType), opts });
            return;
          }
          const o = parseQemuOpts(arg, 'qom-type');
          ids.object.claim(o.id);
          const qomType = o.opts.filter((x) => x.name === 'qom-type').pop()?.value;
          if (qomType === undefined) throw new QemuError('BAD_OPTION', "Parameter 'qom-type' is missing");
          checkObjectOptions(qomType, o.id, o.opts);
          out.objects.push({ arg, id: o.id, qomType, opts: o.opts });
        });
        break;
      case 'blockdev':
        at(option, arg, () => {
          const tree = parseKeyval(arg, 'driver');
          const driver = tree.driver;
          if (driver === undefined) throw new QemuError('BAD_OPTION', "Parameter 'driver' is missing");
          if (typeof driver !== 'string' || !BLOCKDEV_DRIVERS.has(driver)) {
            throw new QemuError('BAD_OPTION', `Parameter 'driver' does not accept value '${String(driver)}'`);
          }
          out.blockdevs.push({ arg, tree });
        });
        break;
      case 'drive':
        at(option, arg, () => {
          const o = parseQemuOpts(arg, null);
          ids.drive.claim(o.id);
          out.drives.push({ arg, id: o.id, opts: o.opts });
        });
        break;
      case 'chardev':
        at(option, arg, () => {
          const o = parseQemuOpts(arg, 'backend');
          ids.chardev.claim(o.id);
          out.chardevs.push({ arg, id: o.id, backend: o.opts.filter((x) => x.name === 'backend').pop()?.value, opts: o.opts });
        });
        break;
      case 'global':
        out.globals.push(at(option, arg, () => parseGlobal(arg)));
        break;
      case 'audiodev':
        out.audiodevs.push(at(option, arg, () => parseAudiodev(arg)));
        break;
      case 'M':
      case 'machine':
        out.machine = arg;
        out.rest.push({ option, arg });
        break;
      case 'smp':
        out.smpCpus = parseSmp(arg);
        out.rest.push({ option, arg });
        break;
      case 'vga':
        out.vgaModel = arg;
        out.defaultVga = false;
        out.rest.push({ option, arg });
        break;
      default:
        out.rest.push({ option, arg });
    }
  }
  if (out.nodefaults || netSeen) out.defaultNic = false;
  if (out.nodefaults) out.defaultVga = false;
  return out;
}

/** AudiodevDriver (qapi/audio.json) */
const AUDIODEV_DRIVERS = new Set(['none', 'alsa', 'coreaudio', 'dbus', 'dsound', 'jack', 'oss', 'pa', 'sdl', 'sndio', 'spice', 'wav']);

/**
 * audio_parse_option(): the keyval string through visit_type_Audiodev() (`driver` and `id` mandatory, the
 * driver one of AudiodevDriver). The backend plays nothing the guest's PCI enumeration sees: its options are
 * not checked further.
 */
export function parseAudiodev(arg: string): AudiodevOption {
  if (arg === 'help' || arg === '?') throw new QemuError('UNSUPPORTED', 'pcisim: -audiodev help is not supported');
  const tree = parseKeyval(arg, 'driver');
  const id = tree.id;
  const driver = tree.driver;
  if (id === undefined) throw new QemuError('BAD_OPTION', "Parameter 'id' is missing");
  if (typeof id !== 'string') throw new QemuError('BAD_OPTION', "Invalid parameter type for 'id', expected: string");
  if (driver === undefined) throw new QemuError('BAD_OPTION', "Parameter 'driver' is missing");
  if (typeof driver !== 'string' || !AUDIODEV_DRIVERS.has(driver)) {
    throw new QemuError('BAD_OPTION', `Parameter 'driver' does not accept value '${String(driver)}'`);
  }
  return { arg, id, driver };
}

/** BlockdevDriver (qapi/block-core.json) in Debian's build */
const BLOCKDEV_DRIVERS = new Set(
  (
    'blkdebug blklogwrites blkreplay blkverify bochs cloop compress copy-before-write copy-on-read dmg file ' +
    'snapshot-access ftp ftps gluster host_cdrom host_device http https iscsi luks nbd nfs null-aio null-co ' +
    'nvme parallels preallocate qcow qcow2 qed quorum raw rbd replication ssh throttle vdi vhdx ' +
    'virtio-blk-vfio-pci virtio-blk-vhost-user virtio-blk-vhost-vdpa vmdk vpc vvfat io_uring'
  ).split(' '),
);

/** ObjectType (qapi/qom.json) values of Debian's x86 build */
const OBJECT_TYPES = new Set(
  (
    'authz-list authz-listfile authz-pam authz-simple can-bus can-host-socketcan colo-compare cryptodev-backend ' +
    'cryptodev-backend-builtin cryptodev-vhost-user dbus-vmstate filter-buffer filter-dump filter-mirror ' +
    'filter-redirector filter-replay filter-rewriter input-barrier input-linux iothread main-loop ' +
    'memory-backend-epc memory-backend-file memory-backend-memfd memory-backend-ram pr-manager-helper ' +
    'qtest rng-builtin rng-egd rng-random secret secret_keyring sev-guest thread-context throttle-group ' +
    'tls-creds-anon tls-creds-psk tls-creds-x509 tls-cipher-suites x-remote-object x-vfio-user-server'
  ).split(' '),
);

/** the members the opts visitor accepts for the object types whose schema pcisim checks */
const OBJECT_MEMBERS: Record<string, readonly string[]> = {
  'rng-random': ['opened', 'filename'],
  'rng-builtin': ['opened'],
  'rng-egd': ['opened', 'chardev'],
};

/**
 * object_option_parse() → visit_type_ObjectOptions() through the opts visitor: the type, the mandatory
 * id, then (for the types pcisim knows the schema of) no unknown member.
 */
function checkObjectOptions(qomType: string, id: string | undefined, opts: QemuOpt[]): void {
  if (!OBJECT_TYPES.has(qomType)) {
    throw new QemuError('BAD_OPTION', `Parameter 'qom-type' does not accept value '${qomType}'`);
  }
  if (id === undefined) throw new QemuError('BAD_OPTION', "Parameter 'id' is missing");
  const members = OBJECT_MEMBERS[qomType];
  if (qomType === 'rng-egd' && !opts.some((o) => o.name === 'chardev')) {
    throw new QemuError('BAD_OPTION', "Parameter 'chardev' is missing");
  }
  if (members) {
    for (const o of opts) {
      if (o.name !== 'qom-type' && !members.includes(o.name)) {
        throw new QemuError('BAD_OPTION', `Invalid parameter '${o.name}'`);
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------------
// the command line pcisim boots: machine, memory, firmware, kernel command line

/**
 * The QEMU releases pcisim models. A release decides the machine types there are and the compat properties
 * (`hw_compat_X_Y`) an older machine type applies; the command line selects it through its machine type.
 */
export type QemuRelease = '7.2';

/** The release a command line runs on unless its machine type names another: QEMU 7.2 (Debian 12's). */
export const DEFAULT_QEMU_RELEASE: QemuRelease = '7.2';

/** The machine types pcisim builds. */
export type MachineType = 'q35' | 'pc' | 'microvm';

/**
 * A QEMU command line as pcisim boots it: what `qemu_init()` settles before it creates the machine
 * (machine type and properties, RAM, CPU, firmware, kernel command line, the `-global`s that shape the
 * board), and the whole argv, whose devices and backends are created with the machine.
 */
export interface QemuConfig {
  /** the QEMU release whose machine types and defaults apply */
  release: QemuRelease;
  /** -machine's type */
  machine: MachineType;
  /** -machine properties after the type, in order (`pcie=on`, `acpi=off` …) */
  machineProps: [string, string][];
  /** -serial given (decides pc's ISA serial ports with -nodefaults) */
  serial: number;
  /** -nodefaults: no default VGA, NIC or serial port */
  nodefaults: boolean;
  /** -m, in bytes (128 MiB by default), or the size of `-machine memory-backend=`'s backend */
  ramBytes: number;
  /** -m maxmem=, in bytes (ramBytes when not given): above ramBytes, the board has a device-memory region */
  maxramBytes: number;
  /** -m slots= (0 when not given) */
  ramSlots: number;
  /** -cpu (undefined: QEMU's default model) */
  cpu: string | undefined;
  /** -smp's CPU count (cpus=, else sockets × dies × cores × threads; 1 when absent): each vCPU the guest brings up */
  smpCpus: number;
  /** -append: the kernel command line */
  append: string;
  /** -accel: `kvm` or `tcg` */
  accel: string;
  /** -global ICH9-LPC.acpi-pci-hotplug-with-bridge-support */
  acpiPciHotplugWithBridgeSupport: boolean;
  /** the accurate-MCFG proposal: spare buses declared beyond those in use (undefined: QEMU's MCFG) */
  accurateMcfgReserve?: number;
  /** -bios or --firmware: the firmware image; undefined: the machine's default (SeaBIOS on q35/pc, qboot on microvm) */
  firmware?: FirmwareKind;
  /**
   * the display the board adds (pc_vga_init()): the last `-vga`'s (vl.c vga_model), else `std` unless
   * `-nodefaults` or a display `-device` (VGA, virtio-vga, …) clears default_vga
   */
  vga: VgaInterface;
  /**
   * the machine's `usb` property (machine_usb()): `-usb` sets it, as `-machine usb=on|off` does, the last one
   * winning; on, pc adds a piix3-usb-uhci at 01.2 and q35 an ich9-usb-ehci1 with three UHCI companions in slot 0x1d
   */
  usb: boolean;
  /** the command line as given */
  qemuArgs: string[];
  /**
   * the options QEMU would act on that pcisim accepts and does not model (`-smp 4`, `-vga none`, `-kernel
   * vmlinuz`…), as given: a report lists them as "accepted, not modelled" rather than dropping them silently
   */
  notModelled: string[];
  /** vfio-pci's host functions, by `DDDD:BB:DD.F`: pcisim's stand-in for the host (--vfio-config) */
  vfioHosts?: Record<string, VfioHostDevice>;
  /**
   * the options QEMU acts on that cannot change what the guest finds on PCI (`-name`, `-uuid`, `-rtc`, `-vnc`,
   * `-sandbox` …), as given: a report lists them as "accepted, no effect on PCI"
   */
  noPciEffect: string[];
  /** `-boot strict=on`: SeaBIOS boots only what the boot order names, and skips the set-up of the other disks */
  bootStrict: boolean;
  /** the host CPU `-cpu host` (and `max` under KVM) stands for: pcisim's `--host-cpu` (Intel by default) */
  hostCpu: HostCpu;
}

/**
 * Options QEMU acts on that pcisim does not model, or models only as far as the simulation reaches: accepted,
 * and listed in {@link QemuConfig.notModelled}. The kernel and initrd: pcisim boots its own model of Linux 6.1
 * whatever the image.
 */
const NOT_MODELLED = new Set([
  '-kernel', '-initrd', '-dtb', '-numa', '-fw_cfg', '-acpitable', '-smbios', '-option-rom', '-L', '-pflash', '-mem-path',
  '-mem-prealloc', '-hda', '-hdb', '-hdc', '-hdd', '-cdrom', '-fda', '-fdb', '-mtdblock', '-sd', '-fsdev', '-virtfs',
  '-usbdevice', '-parallel', '-debugcon', '-tpmdev', '-incoming', '-loadvm', '-icount', '-snapshot', '-no-acpi',
  '-add-fd', '-set', '-readconfig', '-net', '-nic', '-xen-domid', '-xen-attach', '-xen-domid-restrict', '-semihosting',
  '-semihosting-config', '-plugin', '-qtest', '-qtest-log', '-watchdog-action', '-preconfig', '-only-migratable',
]);

/**
 * Options that cannot change a config access: names, identifiers and messages (`-name`, `-uuid`, `-msg`), the
 * clock (`-rtc`), displays and remote consoles (`-vnc`, `-spice`, `-display`, `-nographic`), the host side
 * (`-sandbox`, `-overcommit`, `-runas`, `-chroot`, `-pidfile`, `-daemonize`), monitors, start and stop
 * (`-S`: libvirt starts the CPUs over QMP; `-no-shutdown`, `-no-reboot`, `-action`), audio back-ends and the
 * trace. Accepted, and listed in {@link QemuConfig.noPciEffect}.
 */
const NO_PCI_EFFECT = new Set([
  '-name', '-uuid', '-msg', '-rtc', '-sandbox', '-vnc', '-spice', '-display', '-nographic', '-no-user-config', '-S',
  '-no-shutdown', '-no-reboot', '-overcommit', '-monitor', '-qmp', '-qmp-pretty', '-mon', '-pidfile', '-daemonize',
  '-runas', '-chroot', '-action', '-audiodev', '-audio', '-k', '-trace', '-d', '-D', '-dfilter', '-seed', '-gdb', '-s',
  '-echr', '-prom-env', '-full-screen', '-portrait', '-rotate', '-g', '-win2k-hack', '-no-fd-bootchk', '-singlestep',
  '-async-teardown', '-enable-sync-profile', '-dump-vmstate', '-no-hpet', '-old-param', '-xen-domid-restrict',
]);

/**
 * `-global` properties whose effect pcisim knows reaches no config access. `kvm-pit.lost_tick_policy`: how the
 * in-kernel PIT catches up lost ticks. `ICH9-LPC.disable_s3`/`disable_s4` (`PIIX4_PM.` on pc): whether the
 * DSDT has `\_S3`/`\_S4` (hw/i386/acpi-build.c build_dsdt()) and the `etc/system-states` fw_cfg file; Linux reads
 * those packages for suspend, and neither is a PCI_Config op-region. Other `-global`s are qdev properties,
 * applied where the device is created.
 */
const GLOBALS_NO_PCI_EFFECT = new Set([
  'kvm-pit.lost_tick_policy', 'ICH9-LPC.disable_s3', 'ICH9-LPC.disable_s4', 'PIIX4_PM.disable_s3', 'PIIX4_PM.disable_s4',
  'isa-fdc.driveA', 'isa-fdc.driveB', 'cfi.pflash01.secure', 'driver=cfi.pflash01',
]);

/** `-object` types that are host-side only: secrets, TLS credentials and authorization, iothreads, throttling */
const OBJECTS_NO_PCI_EFFECT = /^(secret|secret_keyring|tls-.*|authz-.*|iothread|main-loop|thread-context|throttle-group|input-linux|input-barrier)$/;

/**
 * The properties of QEMU 7.2's pc and q35 machines (hw/core/machine.c, hw/i386/x86.c, hw/i386/pc.c), each
 * with what it does to PCI: `none` accepted with no effect on PCI, `not-modelled` accepted and listed,
 * `modelled` taken by the board. hpet: the HPET is an MMIO block at 0xfed00000, not a PCI function, and its DSDT
 * device reads MMIO (build_hpet_aml()); libvirt's `hpet=off` and `-no-hpet` leave every config access as it is
 * (reference/q35-libvirt-headless has it). `memory-backend`: the RAM's host backend (its size is -m's,
 * machineSetMem()).
 */
export const X86_MACHINE_PROPERTIES: Readonly<Record<string, 'none' | 'not-modelled' | 'modelled'>> = {
  accel: 'modelled',
  // the board takes it (board.ts): intel-iommu's intremap=on needs `split`; where the IOAPIC is emulated changes
  // no config access
  'kernel-irqchip': 'modelled',
  'kvm-shadow-mem': 'none',
  'dump-guest-core': 'none',
  'mem-merge': 'none',
  'memory-backend': 'none',
  'suppress-vmdesc': 'none',
  graphics: 'none',
  vmport: 'none',
  hpet: 'none',
  'bus-lock-ratelimit': 'none',
  'oem-id': 'not-modelled',
  'oem-table-id': 'not-modelled',
  // on: pc's piix3-usb-uhci, q35's EHCI with its UHCI companions (the boards); microvm has no controller to add
  usb: 'modelled',
  // on and auto: QEMU's tables; off: SeaBIOS's own (board.ts x86MachineAcpi(), firmware/seabios-acpi.ts)
  acpi: 'modelled',
  // NVDIMM support: the NFIT and the DSDT's NVDR device, which the cloud kernel's modular nfit driver never binds
  nvdimm: 'none',
  'nvdimm-persistence': 'none',
  smm: 'not-modelled',
  sata: 'not-modelled',
  smbus: 'not-modelled',
  pit: 'not-modelled',
  pic: 'not-modelled',
  'max-ram-below-4g': 'not-modelled',
  'max-fw-size': 'not-modelled',
  'default-bus-bypass-iommu': 'not-modelled',
  'sgx-epc': 'not-modelled',
  firmware: 'not-modelled',
  'memory-encryption': 'not-modelled',
  'confidential-guest-support': 'not-modelled',
  hmat: 'not-modelled',
  'x-oem-id': 'not-modelled',
  'x-oem-table-id': 'not-modelled',
};

/** values each property has by default in 7.2: setting it to them changes nothing (listed as no effect) */
const MACHINE_PROPERTY_DEFAULTS: Readonly<Record<string, readonly string[]>> = {
  usb: ['off', 'false', 'no'],
  acpi: ['on', 'auto', 'true', 'yes'],
  nvdimm: ['off', 'false', 'no'],
  smm: ['on', 'auto', 'true', 'yes'],
  sata: ['on', 'true', 'yes'],
  smbus: ['on', 'true', 'yes'],
  pit: ['on', 'true', 'yes'],
  pic: ['on', 'true', 'yes'],
};

/**
 * `-machine`'s properties for pc and q35, checked as object_set_properties_from_keyval() checks them: an unknown
 * one is QEMU's "Property '<type>-machine.<name>' not found". Exported for the board.
 */
export function checkX86MachineProperties(cfg: Pick<QemuConfig, 'machine' | 'release' | 'machineProps'>): void {
  if (cfg.machine === 'microvm') return;
  const type = cfg.machine === 'pc' ? `pc-i440fx-${cfg.release}` : `pc-q35-${cfg.release}`;
  for (const [k] of cfg.machineProps) {
    if (X86_MACHINE_PROPERTIES[k] === undefined) throw new QemuError('UNKNOWN_PROPERTY', `Property '${type}-machine.${k}' not found`);
  }
}

/** `-machine`'s properties sorted into the report's lists */
function classifyMachineProperties(s: QemuConfig, option: string, from: number): void {
  for (const [k, v] of s.machineProps.slice(Math.max(0, from))) {
    const what = X86_MACHINE_PROPERTIES[k];
    const text = `${option} ${k}=${v}`;
    if (k === 'accel') {
      if (v.split(':')[0] !== 'kvm') s.notModelled.push(text);
    } else if (k === 'usb' && s.machine === 'microvm' && !MACHINE_PROPERTY_DEFAULTS['usb']!.includes(v)) {
      s.notModelled.push(text);
    } else if (what === 'none' || MACHINE_PROPERTY_DEFAULTS[k]?.includes(v)) s.noPciEffect.push(text);
    else if (what === 'not-modelled') s.notModelled.push(text);
    // microvm's own properties (pcie, rtc, isa-serial, …) are its board's (hw/i386/microvm.ts)
  }
}

/** `-boot [order=drives][,once=drives][,menu=on|off][,splash=…][,splash-time=…][,reboot-timeout=…][,strict=on|off]` */
function parseBoot(arg: string): boolean {
  const o = parseQemuOpts(arg, 'order', false);
  let strict = false;
  for (const x of o.opts) {
    if (x.name === 'strict') {
      if (['on', 'yes', 'true', 'y'].includes(x.value)) strict = true;
      else if (['off', 'no', 'false', 'n'].includes(x.value)) strict = false;
      else throw new QemuError('BAD_OPTION', `Parameter 'strict' expects 'on' or 'off'`);
    } else if (!['order', 'once', 'menu', 'splash', 'splash-time', 'reboot-timeout'].includes(x.name)) {
      throw new QemuError('BAD_OPTION', `Invalid parameter '${x.name}'`);
    }
  }
  return strict;
}

/**
 * UEFI firmware by its file name (OVMF.fd, OVMF_CODE.fd, OVMF_CODE_4M.secboot.fd, edk2-x86_64-code.fd …): pcisim
 * models SeaBIOS and qboot, and OVMF's PCI set-up (its own enumeration and resource assignment) differs.
 */
const UEFI_IMAGE = /ovmf|edk2|uefi/i;

/** the one line for UEFI firmware, until OVMF is modelled */
function uefiNotModelled(arg: string): QemuError {
  return new QemuError('UNSUPPORTED', `pcisim: UEFI firmware (OVMF) is not modelled yet (${arg}); pcisim models SeaBIOS and qboot: drop it, or --firmware seabios|qboot|none`);
}

/** bios-256k.bin is the SeaBIOS build q35 and pc load; Debian's bios-microvm.bin is qboot */
const BIOS_FILES: Record<string, FirmwareKind> = {
  'bios-256k.bin': 'seabios',
  'qboot.rom': 'qboot',
  'bios-microvm.bin': 'qboot',
};

/** the machine type names of each release (MachineClass name and alias), and the release a versioned name pins */
const MACHINE_TYPES: Record<string, { type: MachineType; release?: QemuRelease }> = {
  q35: { type: 'q35' },
  'pc-q35-7.2': { type: 'q35', release: '7.2' },
  pc: { type: 'pc' },
  'pc-i440fx-7.2': { type: 'pc', release: '7.2' },
  microvm: { type: 'microvm' },
};

const MACHINE_HELP = `Supported machines are:
microvm              microvm (i386)
pc                   Standard PC (i440FX + PIIX, 1996) (alias of pc-i440fx-7.2)
pc-i440fx-7.2        Standard PC (i440FX + PIIX, 1996) (default)
q35                  Standard PC (Q35 + ICH9, 2009) (alias of pc-q35-7.2)
pc-q35-7.2           Standard PC (Q35 + ICH9, 2009)`;

/**
 * qemu_init()'s option loop for the command line pcisim boots: the machine type (`-M help` lists them; none
 * given is QEMU's default, `pc`), `-m`, `-cpu`, `-append`, `-accel`, `-bios`, `-serial`, `-nodefaults`, `-boot`
 * and the `-global ICH9-LPC.*` that shape the board. Devices and backends are checked when the machine is built
 * ({@link parseQemuCommandLine}, which also refuses an option QEMU does not know, in QEMU's words). Every other
 * option QEMU knows is accepted and listed: in {@link QemuConfig.noPciEffect} when it cannot change a config
 * access, in {@link QemuConfig.notModelled} when it might and pcisim does not model it.
 */
export function parseQemuArgs(argv: readonly string[]): QemuConfig {
  const lpc = ich9LpcDefaults();
  const s: QemuConfig = {
    release: DEFAULT_QEMU_RELEASE,
    // vl.c: no -machine means the default machine type, pc-i440fx-7.2 (MachineClass::is_default) on x86
    machine: 'pc',
    machineProps: [],
    serial: 0,
    nodefaults: false,
    ramBytes: DEFAULT_RAM_SIZE,
    maxramBytes: DEFAULT_RAM_SIZE,
    ramSlots: 0,
    cpu: undefined,
    smpCpus: 1,
    append: '',
    accel: 'kvm',
    acpiPciHotplugWithBridgeSupport: lpc.acpiPciHotplugWithBridgeSupport,
    qemuArgs: [...argv],
    notModelled: [],
    noPciEffect: [],
    bootStrict: false,
    hostCpu: 'intel',
    vga: 'std',
    usb: false,
  };
  /** the "memory" QemuOpts list: every -m merges into it (merge_lists) */
  const memOpts: QemuOpt[] = [];
  // unknown options, missing arguments, bad ids and JSON: QEMU's option loop, in QEMU's words
  const parsed = parseQemuCommandLine(argv);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('-') || a === '-') continue; // a disk image (-hda): listed by parseQemuCommandLine's rest
    const opt = a.startsWith('--') ? a.slice(1) : a;
    const name = opt.slice(1);
    const takesArg = WITH_ARG.has(name);
    const v = takesArg ? argv[++i]! : undefined;
    const text = v === undefined ? a : `${a} ${v}`;
    if (NO_PCI_EFFECT.has(opt)) s.noPciEffect.push(text);
    else if (NOT_MODELLED.has(opt)) s.notModelled.push(text);
    if (v === undefined) {
      if (opt === '-nodefaults') s.nodefaults = true;
      if (opt === '-usb') s.usb = true; // vl.c: qdict_put_str(machine_opts_dict, "usb", "on")
      continue;
    }
    switch (opt) {
      case '-M':
      case '-machine': {
        let type: string | undefined;
        const before = s.machineProps.length;
        for (const p of v.split(',')) {
          const eq = p.indexOf('=');
          if (eq < 0 && type === undefined) type = p;
          else if (p.startsWith('type=')) type = p.slice(5);
          else if (eq > 0) s.machineProps.push([p.slice(0, eq), p.slice(eq + 1)]);
          else s.machineProps.push([p, 'on']);
          // machine_set_usb()
          if (p.startsWith('usb=')) s.usb = parseBool('usb', p.slice(4));
          else if (p === 'usb') s.usb = true;
        }
        if (type === 'help') throw new QemuError('BAD_OPTION', MACHINE_HELP);
        if (type !== undefined) {
          const mt = MACHINE_TYPES[type];
          if (!mt) throw new QemuError('UNKNOWN_MACHINE', `unsupported machine type\nUse -machine help to list supported machines`);
          s.machine = mt.type;
          s.release = mt.release ?? DEFAULT_QEMU_RELEASE;
        }
        classifyMachineProperties(s, a, before);
        break;
      }
      case '-serial':
        s.serial++;
        break;
      case '-m':
        memOpts.push(...at(a, v, () => parseMemoryOpts(v)));
        break;
      case '-cpu':
        s.cpu = v;
        break;
      case '-append':
        s.append = v;
        break;
      case '-accel':
        s.accel = parseQemuOpts(v, 'accel', false).opts.find((x) => x.name === 'accel')?.value ?? v;
        if (s.accel !== 'kvm' && s.accel !== 'tcg') throw new QemuError('BAD_OPTION', `invalid accelerator ${s.accel}`);
        // the model is KVM's: under TCG the same config accesses happen, but there are no exits (--cost tcg-reference times them)
        if (s.accel === 'tcg') s.notModelled.push(text);
        break;
      case '-boot':
        s.bootStrict = at(a, v, () => parseBoot(v));
        {
          // strict is modelled (SeaBIOS's is_bootprio_strict()); order, once, menu, splash and reboot-timeout touch no config register
          const others = v.split(',').filter((p) => !p.startsWith('strict='));
          if (others.length > 0) s.noPciEffect.push(`${a} ${others.join(',')}`);
        }
        break;
      case '-global': {
        const g = at(a, v, () => parseGlobal(v));
        if (g.driver === 'ICH9-LPC') {
          ich9LpcGlobal(lpc, g.property, g.value, v);
          s.acpiPciHotplugWithBridgeSupport = lpc.acpiPciHotplugWithBridgeSupport;
        }
        if (GLOBALS_NO_PCI_EFFECT.has(`${g.driver}.${g.property}`)) s.noPciEffect.push(text);
        break;
      }
      case '-bios': {
        // the file QEMU would load, by its name in Debian's /usr/share/qemu
        const name = v.replace(/^.*\//, '');
        if (UEFI_IMAGE.test(name)) throw uefiNotModelled(`${a} ${v}`);
        const fw = BIOS_FILES[name];
        if (!fw) throw new QemuError('BAD_OPTION', `could not load PC BIOS '${v}'`);
        s.firmware = fw;
        break;
      }
      case '-vga':
        s.vga = selectVgahw(v);
        break;
      case '-drive': {
        // drive_new(): if=pflash on x86 is the UEFI firmware's code and variables (OVMF_CODE.fd, OVMF_VARS.fd)
        const iface = /(?:^|,)if=([^,]*)/.exec(v)?.[1];
        if (iface === 'pflash') throw uefiNotModelled(`${a} ${v}`);
        // if=none is a backend a -device uses, if=virtio a virtio-blk-pci (both modelled); the others attach
        // a disk to a controller whose disks pcisim does not model (ide, floppy) or add one it does not (scsi)
        if (iface !== 'none' && iface !== 'virtio') s.notModelled.push(`${a} ${v}`);
        break;
      }
      default:
        // -device and the backends are created with the machine, with QEMU's errors
        break;
    }
  }
  // -object: host-side objects no device reads config space through (libvirt's master-key secret, iothreads, TLS)
  for (const o of parsed.objects) if (o.qomType !== undefined && OBJECTS_NO_PCI_EFFECT.test(o.qomType)) s.noPciEffect.push(`-object ${o.arg}`);
  // -cpu: a model QEMU does not have fails here, as in QEMU, before the machine is made
  if (s.cpu !== undefined) parseCpu(s.cpu, { accel: s.accel, host: s.hostCpu });
  // qemu_create_default_devices(): without -vga, the default VGA unless -nodefaults or a display -device
  if (parsed.vgaModel === undefined && !parsed.defaultVga) s.vga = 'none';
  Object.assign(s, machineSetMem(memOpts, s.machineProps, parsed.objects));
  numaCheckMemory(argv, parsed.objects, s.ramBytes);
  // ivshmem-doorbell: its shared memory (BAR 2) is whatever the server sends, which the command line does not say
  for (const d of parsed.devices) {
    if (d.opts.find((o) => o.name === 'driver')?.value === 'ivshmem-doorbell') {
      s.notModelled.push(`-device ${d.arg} (shared memory size: the server's; pcisim takes ivshmem-server's default, 4 MiB)`);
    }
  }
  s.smpCpus = parsed.smpCpus;
  return s;
}

/** The `-vga` interfaces pcisim builds (pci_vga_init()): the device each one adds, none for `none`. */
export type VgaInterface = 'std' | 'none' | 'virtio' | 'qxl' | 'cirrus';

/** vga_interfaces[] of QEMU 7.2's x86 build, in table order: the device (class_names[0]) and the name */
const VGA_INTERFACES: readonly { opt: string; device: string; name: string; available: boolean }[] = [
  { opt: 'none', device: '', name: 'no graphic card', available: true },
  { opt: 'std', device: 'VGA', name: 'standard VGA', available: true },
  { opt: 'cirrus', device: 'cirrus-vga', name: 'Cirrus VGA', available: true },
  { opt: 'vmware', device: 'vmware-svga', name: 'VMWare SVGA', available: true },
  { opt: 'virtio', device: 'virtio-vga', name: 'Virtio VGA', available: true },
  { opt: 'qxl', device: 'qxl-vga', name: 'QXL VGA', available: true },
  { opt: 'tcx', device: 'sun-tcx', name: 'TCX framebuffer', available: false },
  { opt: 'cg3', device: 'cgthree', name: 'CG3 framebuffer', available: false },
  { opt: 'xenfb', device: '', name: 'Xen paravirtualized framebuffer', available: true },
];

/** The -vga interface names pci_vga_init() maps to a device (VGA_DEVICE_TYPES' default-VGA siblings). */
export const VGA_INTERFACE_DEVICES: Readonly<Record<Exclude<VgaInterface, 'none'>, string>> = {
  std: 'VGA',
  virtio: 'virtio-vga',
  qxl: 'qxl-vga',
  cirrus: 'cirrus-vga',
};

/** MachineClass::default_ram_size of the x86 machines */
const DEFAULT_RAM_SIZE = 128 << 20;

const SIZE_HINT = 'Optional suffix k, M, G, T, P or E means kilo-, mega-, giga-, tera-, peta-\nand exabytes, respectively.';

/** parse_option_size(): qemu_strtosz(), with QEMU's error and hint */
function parseOptionSize(name: string, value: string): number {
  const v = qemuStrtosz(value);
  if (v === null) throw new QemuError('BAD_OPTION', `Parameter '${name}' expects a non-negative number below 2^64\n${SIZE_HINT}`);
  return Number(v);
}

/** qemu_mem_opts: `-m [size=]N[,slots=n][,maxmem=M]`, each value checked against its type as QemuOpts does */
function parseMemoryOpts(v: string): QemuOpt[] {
  const o = parseQemuOpts(v, 'size', false);
  for (const x of o.opts) {
    if (x.name === 'size' || x.name === 'maxmem') parseOptionSize(x.name, x.value);
    else if (x.name === 'slots') {
      if (qemuStrtou64(x.value).status !== 'ok') throw new QemuError('BAD_OPTION', "Parameter 'slots' expects a number");
    } else throw new QemuError('BAD_OPTION', `Invalid parameter '${x.name}'`);
  }
  if (o.id !== undefined) throw new QemuError('BAD_OPTION', "Invalid parameter 'id'");
  return o.opts;
}

/**
 * parse_memory_options() (a size of 0 is no size; a size ending in a digit is MiB), machine_set_mem() (the
 * default size, 8 KiB alignment, maxmem and slots checks) and qemu_resolve_machine_memdev() (`-machine
 * memory-backend=id`: the backend's size when -m gives none, which must match it otherwise).
 */
function machineSetMem(memOpts: QemuOpt[], machineProps: [string, string][], objects: ObjectOption[]): Pick<QemuConfig, 'ramBytes' | 'maxramBytes' | 'ramSlots'> {
  const last = (n: string) => memOpts.filter((x) => x.name === n).pop()?.value;
  let sizeStr = last('size');
  if (sizeStr !== undefined && parseOptionSize('size', sizeStr) === 0) sizeStr = undefined;
  if (sizeStr !== undefined && /[0-9]$/.test(sizeStr)) sizeStr += 'M'; // legacy suffix-less format
  const maxStr = last('maxmem');
  const slotsStr = last('slots');
  const haveCustomRamSize = sizeStr !== undefined;
  let size = DEFAULT_RAM_SIZE;
  let maxram = DEFAULT_RAM_SIZE;
  let slots = 0;
  if (memOpts.length > 0) {
    size = sizeStr === undefined ? DEFAULT_RAM_SIZE : parseOptionSize('size', sizeStr);
    size = Math.ceil(size / 8192) * 8192;
    const hex = (n: number) => `0x${n.toString(16)}`;
    if (maxStr !== undefined) {
      const max = parseOptionSize('maxmem', maxStr);
      slots = slotsStr === undefined ? 0 : Number(qemuStrtou64(slotsStr).value);
      if (max < size) {
        throw new QemuError('BAD_OPTION', `invalid value of maxmem: maximum memory size (${hex(max)}) must be at least the initial memory size (${hex(size)})`);
      }
      if (slotsStr !== undefined && slots && max === size) {
        throw new QemuError('BAD_OPTION', `invalid value of maxmem: memory slots were specified but maximum memory size (${hex(max)}) is equal to the initial memory size (${hex(size)})`);
      }
      maxram = max;
    } else {
      if (slotsStr !== undefined) throw new QemuError('BAD_OPTION', 'slots specified but no max-size');
      maxram = size;
    }
  }
  const memdev = machineProps.filter(([k]) => k === 'memory-backend').pop()?.[1];
  if (memdev !== undefined) {
    const backend = objects.find((o) => o.id === memdev && o.qomType?.startsWith('memory-backend-'));
    if (!backend) throw new QemuError('BAD_OPTION', `Memory backend '${memdev}' not found`);
    const bsizeStr = backend.opts.filter((x) => x.name === 'size').pop()?.value;
    const bsize = bsizeStr === undefined ? 0 : at('-object', backend.arg, () => parseOptionSize('size', bsizeStr));
    if (!haveCustomRamSize) size = bsize;
    else if (bsize !== size) throw new QemuError('BAD_OPTION', 'Machine memory size does not match the size of the memory backend');
  }
  return { ramBytes: size, maxramBytes: maxram, ramSlots: slots };
}

/** select_vgahw(): the interface whose name starts the argument, then `,retrace=dumb|precise` options */
function selectVgahw(p: string): VgaInterface {
  const t = VGA_INTERFACES.find((i) => p.startsWith(i.opt));
  if (!t || !/^(?:,retrace=(?:dumb|precise))*$/.test(p.slice(t.opt.length))) {
    throw new QemuError('BAD_OPTION', `unknown vga type: ${p}`);
  }
  if (!t.available) throw new QemuError('BAD_OPTION', `${t.name} not available`);
  if (t.opt === 'std' || t.opt === 'none' || t.opt === 'virtio' || t.opt === 'qxl' || t.opt === 'cirrus') return t.opt;
  throw new QemuError('UNSUPPORTED', `pcisim: -vga ${t.opt}: QEMU would add a '${t.device || t.opt}', which pcisim does not model (-vga std, none, virtio, qxl or cirrus)`);
}

/**
 * `-numa node,memdev=`: the node's RAM comes from a memory backend (Kata's `memory-backend-file,…,share=on` for
 * virtio-fs). The guest gets an SRAT and one NUMA node, which changes no config access (reference/q35-numa-node
 * is access for access q35-default's; the cloud kernel has no CONFIG_AMD_NUMA northbridge scan to skip). What
 * QEMU checks: the backend exists, and the nodes' memory adds up to the RAM size (numa_complete_configuration()).
 */
function numaCheckMemory(argv: readonly string[], objects: ObjectOption[], ramBytes: number): void {
  let total = 0;
  let any = false;
  for (let i = 0; i < argv.length - 1; i++) {
    if (argv[i] !== '-numa' && argv[i] !== '--numa') continue;
    const arg = argv[i + 1]!;
    const memdev = parseQemuOpts(arg, 'type', false).opts.filter((x) => x.name === 'memdev').pop()?.value;
    if (memdev === undefined) continue;
    const backend = objects.find((b) => b.id === memdev && b.qomType?.startsWith('memory-backend-'));
    if (!backend) throw new QemuError('BAD_OPTION', `-numa ${arg}: memdev=${memdev} is ambiguous`);
    const size = backend.opts.filter((x) => x.name === 'size').pop()?.value;
    total += size === undefined ? 0 : parseOptionSize('size', size);
    any = true;
  }
  if (any && total !== ramBytes) {
    throw new QemuError('BAD_OPTION', `total memory for NUMA nodes (0x${total.toString(16)}) should equal RAM size (0x${ramBytes.toString(16)})`);
  }
}

/**
 * pcisim's `--stub-backends`: the -device lines people paste (Kata's, libvirt's) name backends defined
 * elsewhere in the real command line. pcisim models no host side, so it can stand in a backend of the right
 * kind for each one a device names and none defines. Without it a missing backend fails as QEMU fails.
 */
export function stubMissingBackends(argv: readonly string[]): string[] {
  const defined = new Set<string>();
  const wanted: [string, string][] = [];
  for (let i = 0; i < argv.length - 1; i++) {
    const opt = argv[i]!;
    const v = argv[i + 1]!;
    if (['-chardev', '-object', '-netdev', '-blockdev', '-drive'].includes(opt)) {
      for (const m of v.matchAll(/(?:^|,)(?:id|node-name)=([^,]+)/g)) defined.add(m[1]!);
    }
    if (opt === '-device') {
      for (const m of v.matchAll(/(?:^|,)(chardev|rng|netdev|drive)=([^,]+)/g)) wanted.push([m[1]!, m[2]!]);
    }
  }
  const out = [...argv];
  for (const [kind, id] of wanted) {
    if (defined.has(id)) continue;
    defined.add(id);
    if (kind === 'chardev') out.push('-chardev', `socket,id=${id},path=/nonexistent/${id}`);
    else if (kind === 'rng') out.push('-object', `rng-random,id=${id},filename=/dev/urandom`);
    else if (kind === 'netdev') out.push('-netdev', `user,id=${id}`);
    else out.push('-blockdev', `driver=null-co,node-name=${id},size=67108864`);
  }
  return out;
}
