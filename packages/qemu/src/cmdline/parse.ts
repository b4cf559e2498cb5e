/**
 * @module
 * A `qemu-system-x86_64` command line, read the way softmmu/vl.c's option loop reads it: every option in
 * order, `-device`/`-netdev`/`-chardev`/`-drive`/`-object` through QemuOpts (ids checked as they come),
 * `-blockdev` through keyval, `-global` through `qemu_global_option()`. What the loop itself rejects is
 * rejected here, with QEMU's words after the `-option arg: ` location QEMU prints. Backends are checked
 * later, where QEMU creates them ({@link realizeCommandLine}).
 */
import { QemuError } from '../errors.js';
import { parseKeyval, parseQemuOpts, QemuOptsIds, type KeyvalDict, type QemuOpt } from './qemu-opts.js';
import { VGA_DEVICE_TYPES } from '../devices/registry.js';

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
  /** QEMU's default NIC: not with -nodefaults, -netdev, -net or -nic (vl.c default_net) */
  defaultNic: boolean;
  /** QEMU's default VGA: not with -nodefaults, -vga none, or a display -device (vl.c default_vga) */
  defaultVga: boolean;
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
  let vgaNone = false;
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
        if (arg === 'none') vgaNone = true;
        out.rest.push({ option, arg });
        break;
      default:
        out.rest.push({ option, arg });
    }
  }
  if (out.nodefaults || netSeen) out.defaultNic = false;
  if (out.nodefaults || vgaNone) out.defaultVga = false;
  return out;
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
