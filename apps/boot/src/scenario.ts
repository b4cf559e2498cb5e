/**
 * @module
 * A QEMU command line, read the way `qemu-system-x86_64` reads it (softmmu/vl.c), into the scenario
 * pcisim boots. Options pcisim has nothing to model for (-kernel, -nographic, -serial …) are accepted
 * and checked; an unknown one fails with QEMU's words.
 */
import { QemuError } from '@sim/qemu';

export interface Scenario {
  machine: 'q35';
  nodefaults: boolean;
  ramBytes: number;
  cpu: string | undefined;
  append: string;
  accel: string;
  /** -global ICH9-LPC.acpi-pci-hotplug-with-bridge-support */
  acpiPciHotplugWithBridgeSupport: boolean;
  /** the accurate-MCFG proposal: spare buses declared beyond those in use (undefined: QEMU 7.2's MCFG) */
  accurateMcfgReserve?: number;
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
        const [type = '', ...props] = v.split(',');
        const name = type.includes('=') ? (type.startsWith('type=') ? type.slice(5) : '') : type;
        if (name === 'help') throw new QemuError('BAD_OPTION', 'Supported machines are:\nq35                  Standard PC (Q35 + ICH9, 2009)');
        if (name !== 'q35' && name !== 'pc-q35-7.2') {
          throw new QemuError('UNKNOWN_MACHINE', `unsupported machine type\nUse -machine help to list supported machines`);
        }
        for (const p of props) {
          const [k] = p.split('=');
          if (k !== 'accel' && k !== 'kernel-irqchip') throw new QemuError('UNKNOWN_PROPERTY', `Property 'pc-q35-7.2-machine.${k}' not found`);
        }
        machineSeen = true;
        break;
      }
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
      case '-device':
        throw new QemuError('UNSUPPORTED', `-device ${v}: device models beyond q35's defaults are not modelled yet (issue 4)`);
      default:
        break;
    }
  }
  if (!machineSeen) s.machine = 'q35';
  return s;
}

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
