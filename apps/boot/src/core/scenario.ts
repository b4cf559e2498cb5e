/**
 * @module
 * A QEMU command line, read the way `qemu-system-x86_64` reads it (softmmu/vl.c), into the scenario
 * pcisim boots. Options pcisim has nothing to model for (-kernel, -nographic, -serial …) are accepted
 * and checked; an unknown one fails with QEMU's words.
 */
import { QemuError, type FirmwareKind } from '@sim/qemu';

export type MachineType = 'q35' | 'pc' | 'microvm';

export interface Scenario {
  machine: MachineType;
  /** -machine properties after the type, in order (`pcie=on`, `acpi=off` …) */
  machineProps: [string, string][];
  /** -serial given (decides pc's ISA serial ports with -nodefaults) */
  serial: number;
  nodefaults: boolean;
  ramBytes: number;
  cpu: string | undefined;
  append: string;
  accel: string;
  /** -global ICH9-LPC.acpi-pci-hotplug-with-bridge-support */
  acpiPciHotplugWithBridgeSupport: boolean;
  /** the accurate-MCFG proposal: spare buses declared beyond those in use (undefined: QEMU 7.2's MCFG) */
  accurateMcfgReserve?: number;
  /** -bios or --firmware: the firmware image; undefined: the machine's default (SeaBIOS on q35/pc, qboot on microvm) */
  firmware?: FirmwareKind;
  qemuArgs: string[];
}

/** options that take an argument, and what pcisim does with them */
const WITH_ARG = new Set([
  '-M', '-machine', '-cpu', '-append', '-serial', '-m', '-accel', '-device', '-kernel', '-initrd', '-netdev', '-object',
  '-blockdev', '-drive', '-chardev', '-global', '-smp', '-name', '-monitor', '-qmp', '-vga', '-display', '-trace', '-bios',
]);
const FLAGS = new Set(['-nodefaults', '-nographic', '-no-reboot', '-enable-kvm', '-S', '-no-user-config']);

export function parseQemuArgs(argv: readonly string[]): Scenario {
  const s: Scenario = {
    machine: 'q35',
    machineProps: [],
    serial: 0,
    nodefaults: false,
    ramBytes: 128 << 20,
    cpu: undefined,
    append: '',
    accel: 'kvm',
    acpiPciHotplugWithBridgeSupport: true,
    qemuArgs: [...argv],
  };
  let machineSeen = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const opt = a.startsWith('--') ? a.slice(1) : a;
    if (FLAGS.has(opt)) {
      if (opt === '-nodefaults') s.nodefaults = true;
      continue;
    }
    if (!WITH_ARG.has(opt)) {
      if (opt.startsWith('-')) throw new QemuError('UNKNOWN_OPTION', `${a}: invalid option`);
      throw new QemuError('BAD_OPTION', `${a}: invalid option`);
    }
    const v = argv[++i];
    if (v === undefined) throw new QemuError('BAD_OPTION', `${a}: requires an argument`);
    switch (opt) {
      case '-M':
      case '-machine': {
        const parts = v.split(',');
        let type: string | undefined;
        for (const p of parts) {
          const eq = p.indexOf('=');
          if (eq < 0 && type === undefined) type = p;
          else if (p.startsWith('type=')) type = p.slice(5);
          else if (eq > 0) s.machineProps.push([p.slice(0, eq), p.slice(eq + 1)]);
          else s.machineProps.push([p, 'on']);
        }
        if (type === 'help') throw new QemuError('BAD_OPTION', MACHINE_HELP);
        const canonical = MACHINE_ALIASES[type ?? ''];
        if (!canonical) throw new QemuError('UNKNOWN_MACHINE', `unsupported machine type\nUse -machine help to list supported machines`);
        s.machine = canonical;
        machineSeen = true;
        break;
      }
      case '-serial':
        s.serial++;
        break;
      case '-m':
        s.ramBytes = parseSize(v);
        break;
      case '-cpu':
        s.cpu = v;
        break;
      case '-append':
        s.append = v;
        break;
      case '-accel':
        s.accel = v.split(',')[0] ?? v;
        if (s.accel !== 'kvm' && s.accel !== 'tcg') throw new QemuError('BAD_OPTION', `invalid accelerator ${s.accel}`);
        break;
      case '-global': {
        const m = /^([^.]+)\.([^=]+)=(.*)$/.exec(v);
        if (!m) throw new QemuError('BAD_OPTION', `Invalid -global ${v}: expected driver.property=value`);
        if (m[1] === 'ICH9-LPC' && m[2] === 'acpi-pci-hotplug-with-bridge-support') {
          s.acpiPciHotplugWithBridgeSupport = parseBool(m[3]!, v);
        }
        break;
      }
      case '-bios': {
        // the file QEMU would load, by its name in Debian's /usr/share/qemu
        const fw = BIOS_FILES[v.replace(/^.*\//, '')];
        if (!fw) throw new QemuError('BAD_OPTION', `could not load PC BIOS '${v}'`);
        s.firmware = fw;
        break;
      }
      case '-device':
        // realized by @sim/qemu's command-line code, with QEMU's errors
        break;
      default:
        break;
    }
  }
  if (!machineSeen) s.machine = 'q35';
  return s;
}

/** bios-256k.bin is the SeaBIOS build q35 and pc load; Debian's bios-microvm.bin is qboot */
const BIOS_FILES: Record<string, FirmwareKind> = {
  'bios-256k.bin': 'seabios',
  'qboot.rom': 'qboot',
  'bios-microvm.bin': 'qboot',
};

const MACHINE_ALIASES: Record<string, MachineType> = {
  q35: 'q35',
  'pc-q35-7.2': 'q35',
  pc: 'pc',
  'pc-i440fx-7.2': 'pc',
  microvm: 'microvm',
};

const MACHINE_HELP = `Supported machines are:
microvm              microvm (i386)
pc                   Standard PC (i440FX + PIIX, 1996) (alias of pc-i440fx-7.2)
pc-i440fx-7.2        Standard PC (i440FX + PIIX, 1996) (default)
q35                  Standard PC (Q35 + ICH9, 2009) (alias of pc-q35-7.2)
pc-q35-7.2           Standard PC (Q35 + ICH9, 2009)`;

function parseSize(v: string): number {
  const m = /^(\d+)([KMGT]?)B?$/i.exec(v);
  if (!m) throw new QemuError('BAD_OPTION', `Invalid RAM size: ${v}`);
  const unit = (m[2] ?? '').toUpperCase();
  const mult = unit === 'K' ? 1 << 10 : unit === 'G' ? 2 ** 30 : unit === 'T' ? 2 ** 40 : 1 << 20;
  return Number(m[1]) * mult;
}

function parseBool(v: string, ctx: string): boolean {
  if (v === 'on' || v === 'true' || v === 'yes') return true;
  if (v === 'off' || v === 'false' || v === 'no') return false;
  throw new QemuError('BAD_PROPERTY_VALUE', `${ctx}: Parameter 'value' expects 'on' or 'off'`);
}

/**
 * `--stub-backends`: the -device lines people paste (seed 004's Kata and libvirt lines) name backends
 * defined elsewhere in the real command line. pcisim models no host side, so it can stand in a backend
 * of the right kind for each one a device names and none defines. Without this option a missing backend
 * fails as QEMU fails.
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
