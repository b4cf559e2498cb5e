/**
 * @module
 * pcisim's one option table: every option's name, value, the commands that take it, its help and default.
 * Each command's parser, `pcisim <command> --help`, the top-level usage and README.md's option list all come
 * from it, so a flag means the same everywhere it is accepted.
 *
 * Arguments that are not pcisim options are positionals: QEMU's own options (one dash: `-M q35`, `-device …`)
 * for the commands that boot a command line, file names or case names for the others. `--` ends pcisim's
 * options. A pasted line's environment prefix (`LC_ALL=C PATH=…`) and program (`/usr/bin/qemu-system-x86_64`,
 * `qemu-kvm`) are dropped, and everything after the program is QEMU's.
 */
import { KERNEL_FLAVOURS } from '@sim/guest';
import { UsageError } from '../core/errors.js';
import { DEFAULT_FLAVOUR } from '../core/boot.js';
import { isQemuProgram, stripLauncher } from '../core/pasted-line.js';

/** `NAME=value` before a command: the environment prefix libvirt prints before QEMU's program */
const ENV_ASSIGNMENT = /^[A-Za-z_][A-Za-z0-9_]*=/;

/** Every command `pcisim` runs. */
export const COMMANDS = ['boot', 'compare', 'topology', 'report', 'validate', 'record', 'import-trace', 'bench', 'sweep', 'cost', 'calibrate'] as const;
export type CommandName = (typeof COMMANDS)[number];

/** What a command takes besides options, and what it does (the first line of its help). */
export const COMMAND_SPECS: Record<CommandName, { args: string; summary: string; qemuArgs: boolean }> = {
  boot: { args: '[qemu options]', summary: "boot the command line and report its PCI enumeration; with --qmp or --scenario, run hot-plug events on it", qemuArgs: true },
  compare: { args: '[qemu options]', summary: 'the same machine booted once per mitigation set, side by side; with --topology, named topologies side by side', qemuArgs: true },
  topology: { args: '[qemu options]', summary: 'free hot-plug slots per controller, IOMMU groups, bus ranges and windows', qemuArgs: true },
  report: { args: '[qemu options]', summary: 'the boot and the compare matrix as one self-contained HTML page', qemuArgs: true },
  validate: { args: '<reference.json>...', summary: "simulate each recording's command line and compare, field by field and access by access; with --time, its initcalls' measured durations against pcisim's time", qemuArgs: false },
  record: { args: '[qemu options] [-append "..."]', summary: 'record a new reference with the real QEMU (needs scripts/setup-reference.sh)', qemuArgs: true },
  'import-trace': { args: '<trace.log>', summary: 'tally a QEMU trace recorded elsewhere, as record does', qemuArgs: false },
  bench: { args: '[case...]', summary: "BENCHMARKS.md's figures on this machine", qemuArgs: false },
  cost: { args: 'show <profile|file.json>', summary: 'a cost profile: its nanoseconds per event and their sources; with --json, in the file format --cost reads (a start for your own)', qemuArgs: false },
  calibrate: { args: '[--out host.json]', summary: "this host's cost profile, measured on its /dev/kvm (a small C program built with cc on first use; under a minute): use it with --cost host.json", qemuArgs: false },
  sweep: { args: '<matrix.json>', summary: 'a scenario matrix on N threads, one JSON line per scenario (a file name of - reads stdin); a summary on stderr; exit 1 when any scenario failed', qemuArgs: false },
};

/** One option of the table. */
export interface OptionSpec {
  /** `--name` */
  readonly name: string;
  /** other spellings (`-j`, `-h`) */
  readonly aliases?: readonly string[];
  /** what the value is called in the help; absent: a flag */
  readonly value?: string;
  /** the values it takes, when they are a fixed set */
  readonly choices?: readonly string[];
  /** may be given more than once (every value is kept) */
  readonly repeat?: boolean;
  readonly commands: readonly CommandName[];
  readonly help: string;
  /** the help for one command where it means something else there */
  readonly helpFor?: Partial<Record<CommandName, string>>;
  /** the default, as the help states it */
  readonly default?: string;
}

const BOOTING: CommandName[] = ['boot', 'compare', 'topology', 'report'];
const ALL: CommandName[] = [...COMMANDS];
const or = (xs: readonly string[]): string => (xs.length < 2 ? xs.join('') : `${xs.slice(0, -1).join(', ')} or ${xs[xs.length - 1]!}`);

/** The option table. */
export const OPTIONS = [
  { name: '--json', commands: ['boot', 'compare', 'topology', 'validate', 'import-trace', 'bench', 'cost', 'calibrate'], help: 'print JSON instead of text (boot: the same as --format json; calibrate: the profile)' },
  { name: '--format', value: '<kind>', choices: ['text', 'json', 'perf-kvm-stat'], commands: ['boot'], help: "the report: pcisim's text, its JSON, or `perf kvm stat report`'s tables of the boot", default: 'text' },
  { name: '--trace', value: '<out.json>', commands: ['boot'], help: 'also write the boot as Chrome Trace Event JSON (Perfetto, chrome://tracing)' },
  { name: '--cost', value: '<profile|file.json>', commands: ['boot', 'compare', 'report', 'validate'], help: 'the cost of an exit: a built-in profile (lkml-2020, measured-here, tcg-reference) or a JSON file in that format (pcisim cost show <profile> --json prints one to start from)', default: 'lkml-2020' },
  { name: '--guest', value: '<flavour>', choices: KERNEL_FLAVOURS, commands: ['boot', 'compare', 'topology'], help: 'the guest kernel build: the cloud kernel has no shpchp, the generic one has', default: DEFAULT_FLAVOUR },
  { name: '--guest-patch', value: '<patch>', choices: ['none', 'mmconfig-v1', 'mmconfig-v2'], commands: ['boot'], help: "the 2020 MMCONFIG guest patches", default: 'none' },
  { name: '--kvm', value: '<mitigation,...>', commands: ['boot'], help: 'KVM-side mitigations QEMU installs after firmware: pci-hole, mmio-bus, ro-page, ro-page-2m, ro-page-prefetch, ro-page-prefetch-2m, ro-page-full, pio-fast; none for none (as a sweep\'s kvm axis)', default: 'none' },
  { name: '--pv-enumeration', commands: ['boot'], help: 'the enlightened-guest lower bound: the VMM hands over its device list, nothing is probed' },
  { name: '--firmware', value: '<firmware>', choices: ['seabios', 'qboot', 'none'], commands: BOOTING, help: "the firmware that runs before Linux", default: "the machine's: SeaBIOS on q35 and pc, qboot on microvm" },
  { name: '--mcfg', value: 'accurate[=<spare buses>]', commands: BOOTING, help: 'an MCFG that declares only the buses in use (and this many spare)' },
  {
    name: '--vfio-config',
    value: '<DDDD:BB:DD.F=path>',
    repeat: true,
    commands: BOOTING,
    help: "the host function behind -device vfio-pci,host=… (pcisim has none to read): `lspci -vvv -xxxx -s BDF` output, or its sysfs config file with the sysfs resource file beside it (the BAR sizes)",
  },
  { name: '--cmdline-file', value: '<file>', commands: [...BOOTING, 'record'], help: "the QEMU command line from a file: the last one of a libvirt guest log (/var/log/libvirt/qemu/<guest>.log), or a shell command line (virsh domxml-to-native qemu-argv, a script); quotes, backslash-newlines, the environment prefix and the program are read as a shell would" },
  { name: '--host-cpu', value: '<vendor>', choices: ['intel', 'amd'], commands: [...BOOTING, 'record'], help: "the host CPU that -cpu host (and -cpu max under KVM) passes through: Intel (Cascade Lake, family 6) or AMD (EPYC Milan, family 19h); AMD CPUs make their own early northbridge probes. record: the model that stands in for -cpu host under TCG", default: 'intel' },
  { name: '--stub-backends', commands: BOOTING, help: "give -device options the backends they name but the command line lacks (a pasted Kata or libvirt line)" },
  { name: '--qmp', value: "'<command>@<time>'", repeat: true, commands: ['boot'], help: "a QMP command (JSON, or device_add/device_del as in HMP) at a virtual time: 3.1s since the VM started, +1s after the guest is up" },
  {
    name: '--scenario',
    value: '<file.json|name>',
    commands: ['boot', 'record'],
    help: 'boot: a hot-plug scenario file ({"qemuArgs", "append", "events": [{"at", "qmp"}]}); record: the recording\'s name',
    helpFor: { boot: 'a hot-plug scenario file: {"qemuArgs": [...], "append": "...", "events": [{"at": "+1s", "qmp": "..."}]}', record: "the recording's name (its files' names)" },
  },
  { name: '--topology', value: '<name,...>', commands: ['compare'], help: 'compare named topologies instead (kata, libvirt, or q35-<name>.json in $PCISIM_REFERENCE_DIR); --guest picks their kernel' },
  { name: '--chart', commands: ['compare'], help: 'add the PCI time of each row as a bar' },
  { name: '--html', value: '<out.html>', commands: ['report'], help: 'the page to write (required)' },
  { name: '--time', commands: ['validate'], help: "each PCI initcall's duration as the guest measured it (initcall_debug in the recording's console) against pcisim's config-access time under --cost" },
  { name: '--markdown', commands: ['validate'], help: 'one Markdown table row per recording and phase (the table of docs/fidelity.md)' },
  {
    name: '--out',
    value: '<dir|file.json>',
    commands: ['record', 'calibrate'],
    help: 'record: where the recording goes; calibrate: the profile file to write',
    helpFor: { record: 'where the recording goes; QEMU runs there, so relative paths in the line (sockets, logs) land there too (default: .)', calibrate: 'the profile file to write (without it, nothing is written: --json prints the profile)' },
  },
  { name: '--accel', value: '<accel>', choices: ['tcg', 'kvm'], commands: ['record'], help: "tcg: a traced reference recording (the counts); kvm: a timing recording, untraced, with initcall_debug (each initcall's duration, for validate --time)", default: 'tcg' },
  { name: '--console', value: '<console.log>', commands: ['import-trace'], help: "the guest's console log of the same boot (the device list; else inferred from the trace)" },
  { name: '--jobs', aliases: ['-j'], value: '<N>', commands: ['sweep'], help: 'threads: this one and N-1 workers', default: '1' },
  { name: '--fresh-machines', commands: ['sweep'], help: 'build a machine for every scenario instead of reusing one per command line (same output, slower)' },
  { name: '--help', aliases: ['-h'], commands: ALL, help: "print this command's help and exit" },
] as const satisfies readonly OptionSpec[];

export type OptionName = (typeof OPTIONS)[number]['name'];

/** A command line taken apart: options by name, the rest in order. */
export class ParsedArgs {
  constructor(
    readonly command: CommandName,
    private readonly values: ReadonlyMap<string, readonly string[]>,
    /** QEMU's options, file names, case names: whatever is not a pcisim option */
    readonly positionals: readonly string[],
  ) {}
  /** the flag was given */
  flag(name: OptionName): boolean {
    return this.values.has(name);
  }
  /** the option's value (the last one given), or undefined */
  value(name: OptionName): string | undefined {
    const v = this.values.get(name);
    return v?.[v.length - 1];
  }
  /** every value given, in order */
  all(name: OptionName): readonly string[] {
    return this.values.get(name) ?? [];
  }
}

const byName = new Map<string, OptionSpec>();
for (const o of OPTIONS as readonly OptionSpec[]) {
  byName.set(o.name, o);
  for (const a of o.aliases ?? []) byName.set(a, o);
}

/** Takes a command's arguments apart by the option table; a wrong option or value is a {@link UsageError}. */
export function parseArgs(command: CommandName, argv: readonly string[]): ParsedArgs {
  const values = new Map<string, string[]>();
  const positionals: string[] = [];
  const qemu = COMMAND_SPECS[command].qemuArgs;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (qemu && positionals.length === 0) otherVmm(a === '--' ? argv[i + 1] : a);
    // a pasted line (`LC_ALL=C PATH=… /usr/bin/qemu-system-x86_64 -name … --no-reboot`): its environment prefix,
    // and after QEMU's program everything is QEMU's (Kata's `--no-reboot` included)
    if (qemu && positionals.every((p) => ENV_ASSIGNMENT.test(p)) && (ENV_ASSIGNMENT.test(a) || isQemuProgram(a))) {
      if (isQemuProgram(a)) {
        positionals.push(...argv.slice(i));
        break;
      }
      positionals.push(a);
      continue;
    }
    if (a === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    // QEMU's options have one dash, and so do their values' negative numbers; a lone '-' is stdin
    const isOption = a.startsWith('--') || a === '-h' || (!qemu && a.startsWith('-') && a !== '-');
    if (!isOption) {
      positionals.push(a);
      continue;
    }
    const eq = a.startsWith('--') ? a.indexOf('=') : -1;
    const name = eq > 0 ? a.slice(0, eq) : a;
    const spec = byName.get(name) ?? (qemu ? undefined : byName.get(a));
    if (!spec || !spec.commands.includes(command) || (eq > 0 && spec.value === undefined)) {
      throw new UsageError(`unknown option '${a}' (pcisim ${command} --help lists the options)`);
    }
    let v: string | undefined;
    if (spec.value === undefined) v = '';
    else {
      v = eq > 0 ? a.slice(eq + 1) : argv[++i];
      if (v === undefined || v === '') throw new UsageError(`${spec.name} needs a value`);
      // `--kvm -M q35`: the next option is not this one's value (a lone '-' is stdin, '-1' a number)
      if (eq < 0 && v.length > 1 && v.startsWith('-') && !/^-\d/.test(v)) throw new UsageError(`${spec.name} needs a value, not the option '${v}'`);
      if (spec.choices && !spec.choices.includes(v)) throw new UsageError(`${spec.name} takes ${or(spec.choices)}, not '${v}'`);
    }
    const list = values.get(spec.name);
    if (list && spec.repeat) list.push(v);
    else values.set(spec.name, [v]);
  }
  return new ParsedArgs(command, values, qemu ? stripLauncher(positionals) : positionals);
}

/** The VMMs whose command lines people paste, and what they do that pcisim compare has a row for. */
const OTHER_VMMS: Record<string, string> = {
  firecracker: 'Firecracker',
  'cloud-hypervisor': 'Cloud Hypervisor',
  'ch-remote': 'Cloud Hypervisor',
  crosvm: 'crosvm',
};

/**
 * A pasted Firecracker or Cloud Hypervisor line (`firecracker --api-sock …`): pcisim models QEMU only. What those
 * VMMs do for PCI (one bus per segment, an MCFG that declares that bus alone) is the accurate-MCFG row of
 * `pcisim compare` (apps/boot/src/core/compare.ts), so the line points there rather than at QEMU's "invalid option".
 */
function otherVmm(arg: string | undefined): void {
  const name = arg === undefined ? undefined : OTHER_VMMS[arg.replace(/^.*\//, '')];
  if (name === undefined) return;
  throw new UsageError(
    `pcisim models QEMU, not ${name}: to see what ${name}'s single-bus PCI (an MCFG for bus 0 only) saves, run \`pcisim compare -M q35\` (its accurate-mcfg rows) or \`pcisim boot -M q35 --mcfg accurate\``,
  );
}

/** `--help` or `-h` anywhere among pcisim's options (before `--`): the help wins over whatever else is wrong. */
export function asksForHelp(argv: readonly string[]): boolean {
  for (const a of argv) {
    if (a === '--') return false;
    if (a === '--help' || a === '-h') return true;
  }
  return false;
}

/** The options a command takes, in table order. */
export function optionsOf(command: CommandName): OptionSpec[] {
  return (OPTIONS as readonly OptionSpec[]).filter((o) => o.commands.includes(command));
}

const valueOf = (o: OptionSpec): string => (o.value === undefined ? '' : ` ${o.choices ? o.choices.join('|') : o.value}`);
const label = (o: OptionSpec): string => [o.name, ...(o.aliases ?? [])].join(', ') + valueOf(o);

/** `pcisim <command> --help` */
export function commandHelp(command: CommandName): string {
  const spec = COMMAND_SPECS[command];
  const opts = optionsOf(command);
  const w = Math.max(...opts.map((o) => label(o).length)) + 2;
  const lines = [`usage: pcisim ${command} ${spec.args} [options]`, '', spec.summary, '', 'options:'];
  for (const o of opts) {
    const help = (o.helpFor?.[command] ?? o.help) + (o.default !== undefined ? ` (default: ${o.default})` : '');
    lines.push(`  ${label(o).padEnd(w)}${help}`);
  }
  if (spec.qemuArgs) lines.push('', "QEMU's own options are read as QEMU reads them; a whole pasted line works after --.");
  return lines.join('\n') + '\n';
}

/** `pcisim --help`: the commands, what each takes and does. */
export function usageText(): string {
  const w = Math.max(...COMMANDS.map((c) => `${c} ${COMMAND_SPECS[c].args}`.length)) + 2;
  const lines = ['usage: pcisim <command> [arguments] [options]', '', 'commands:'];
  for (const c of COMMANDS) lines.push(`  ${`${c} ${COMMAND_SPECS[c].args}`.padEnd(w)}${COMMAND_SPECS[c].summary}`);
  lines.push('', "pcisim <command> --help lists a command's options; pcisim --version prints pcisim's version.");
  return lines.join('\n');
}

/** README.md's option list: one Markdown table row per option. */
export function optionsMarkdown(): string {
  const rows = ['| option | commands | what it does | default |', '|---|---|---|---|'];
  for (const o of OPTIONS as readonly OptionSpec[]) {
    const code = (s: string) => s.replace(/\|/g, '\\|');
    const text = (s: string) => code(s).replace(/</g, '&lt;');
    rows.push(`| \`${code(label(o))}\` | ${o.commands.length === COMMANDS.length ? 'all' : o.commands.join(', ')} | ${text(o.help)} | ${o.default !== undefined ? text(o.default) : ''} |`);
  }
  return rows.join('\n') + '\n';
}
