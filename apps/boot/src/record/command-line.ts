/**
 * @module
 * The command line of a recording: what the recorder adds to a scenario's QEMU arguments and kernel command
 * line so that it can watch the boot (the serial console on stdio, `console=`, a log level that prints
 * Linux's device list), what it refuses, the RAM size the line asks for, and the kernel's own version.
 * Pure functions of the arguments (plus a file read for the kernel), so they are tested without QEMU.
 */

import { existsSync, openSync, readSync, closeSync } from 'node:fs';
import { basename, isAbsolute, resolve } from 'node:path';
import { parseQemuOpts } from '@sim/qemu';
import { RecordError } from './errors.js';

/**
 * The kernel every recording in reference/ was made with (`recordedWith.kernel`); a test keeps it equal to
 * the references, and scripts/setup-reference.sh fetches the same package.
 */
export const REFERENCE_KERNEL = 'vmlinuz-6.1.0-56-cloud-amd64';

/**
 * `tsc_early_khz=` for microvm: with it Linux takes the TSC frequency as given instead of calibrating it
 * against the PIT (arch/x86/kernel/tsc.c, determine_cpu_tsc_frequencies), a calibration that fails under
 * `-trace` on a loaded host and leaves the guest stalled. No config access depends on it.
 */
export const MICROVM_TSC_KHZ = 2_600_000;

/** Linux's console log level that prints KERN_INFO, the level of `pci 0000:…: [vvvv:dddd]` (CONSOLE_LOGLEVEL_DEFAULT). */
const INFO_LOGLEVEL = 7;

export interface RecordingPlan {
  /** the scenario's arguments as QEMU runs them: with what the recorder added or rerouted (the report's `qemuArgs`) */
  qemuArgs: string[];
  /** the kernel command line as QEMU runs it (the report's `append`) */
  append: string;
  /** one sentence each: what the recorder added or changed, and why */
  notes: string[];
  /** the serial port whose console the recorder reads: `ttyS0` unless the scenario's own port is another */
  consoleTty: string;
}

interface SerialPort {
  /** ISA serial index: ttyS<index>, I/O port 0x3f8, 0x2f8, … */
  index: number;
  /** where QEMU sends it: 'stdio' or a description of the other backend */
  stdio: boolean;
  /** the argument to show in a note */
  what: string;
  /** rewrites the scenario's arguments so that this port goes to stdio */
  toStdio: (args: string[]) => void;
}

/** `-opt value` pairs of the arguments, with `--opt` read as `-opt` as QEMU does. */
function options(args: readonly string[]): { opt: string; value: string; at: number }[] {
  const out: { opt: string; value: string; at: number }[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (!a.startsWith('-')) continue;
    const opt = a.startsWith('--') ? a.slice(1) : a;
    out.push({ opt, value: args[i + 1] ?? '', at: i });
  }
  return out;
}

function has(args: readonly string[], opt: string): boolean {
  return options(args).some((o) => o.opt === opt);
}

/**
 * The QemuOpts of an option value, or its members when it is JSON (libvirt's `-device {"driver":…}`); undefined
 * when it does not parse (QEMU then fails with its own words).
 */
function opts(value: string, implied: string): { id: string | undefined; get: (name: string) => string | undefined } | undefined {
  if (value.startsWith('{')) {
    try {
      const o = JSON.parse(value) as Record<string, unknown>;
      const str = (v: unknown) => (v === undefined || v === null ? undefined : typeof v === 'string' ? v : JSON.stringify(v));
      return { id: str(o['id']), get: (name) => str(o[name]) };
    } catch {
      return undefined;
    }
  }
  try {
    const o = parseQemuOpts(value, implied, false);
    return { id: o.id, get: (name) => o.opts.filter((x) => x.name === name).pop()?.value };
  } catch {
    return undefined;
  }
}

/**
 * The ISA serial ports of a command line, by index. QEMU creates `-serial` ports first, numbered from 0
 * (serial_hds_isa_init), then each `-device isa-serial` takes its `index=` or the next number of a counter
 * that every ISA serial port advances (hw/char/serial-isa.c, serial_isa_realizefn).
 */
function serialPorts(args: readonly string[]): SerialPort[] {
  const chardevs = new Map<string, { backend: string; at: number; mux: boolean }>();
  for (const o of options(args)) {
    if (o.opt !== '-chardev') continue;
    const c = opts(o.value, 'backend');
    if (c?.id !== undefined) chardevs.set(c.id, { backend: c.get('backend') ?? '', at: o.at + 1, mux: c.get('mux') === 'on' });
  }
  const ports: SerialPort[] = [];
  let counter = 0;
  for (const o of options(args)) {
    if (o.opt === '-serial') {
      // serial_parse(): "none" creates no port
      if (o.value === 'none') continue;
      const m = /^chardev:(.*)$/.exec(o.value);
      const dev = m ? chardevs.get(m[1]!) : undefined;
      const stdio = m ? dev?.backend === 'stdio' : o.value === 'stdio' || o.value === 'mon:stdio';
      const at = o.at + 1;
      ports.push({
        index: counter++,
        stdio,
        what: `-serial ${o.value}`,
        toStdio: (a) => {
          a[at] = 'stdio';
        },
      });
    } else if (o.opt === '-device') {
      const d = opts(o.value, 'driver');
      if (d?.get('driver') !== 'isa-serial') continue;
      const explicit = Number(d.get('index'));
      const index = Number.isInteger(explicit) && d.get('index') !== undefined ? explicit : counter;
      counter++;
      const id = d.get('chardev');
      const dev = id !== undefined ? chardevs.get(id) : undefined;
      const at = o.at + 1;
      ports.push({
        index,
        stdio: dev?.backend === 'stdio',
        what: dev ? `-chardev ${args[dev.at]}` : `-device ${o.value}`,
        toStdio: (a) => {
          if (dev) a[dev.at] = `stdio,id=${id}${dev.mux ? ',mux=on' : ''}`;
          else {
            a[at] = `${o.value},chardev=pcisim-console`;
            a.push('-chardev', 'stdio,id=pcisim-console');
          }
        },
      });
    }
  }
  return ports.sort((a, b) => a.index - b.index);
}

/** The machine type (`-M microvm,pcie=on` → microvm), or undefined for QEMU's default. */
function machineType(args: readonly string[]): string | undefined {
  let type: string | undefined;
  for (const o of options(args)) {
    if (o.opt === '-M' || o.opt === '-machine') type = opts(o.value, 'type')?.get('type') ?? type;
  }
  return type;
}

/** Options that can take stdio besides a serial port (a `-chardev stdio` counts too). */
const STDIO_USERS = new Set(['-monitor', '-qmp', '-qmp-pretty', '-parallel', '-debugcon']);

function appendTokens(append: string): string[] {
  return append.split(/\s+/).filter(Boolean);
}

/**
 * The kernel command line as recorded: the scenario's, plus what the recorder needs to see the boot.
 * Each token is added at the end, where Linux's parameter parsing (parse_early_param, parse_args) lets it win.
 */
function recordingAppend(append: string, tty: string, microvm: boolean, notes: string[]): string {
  const tokens = appendTokens(append);
  const added: string[] = [];
  const why: string[] = [];
  // console=ttyS0 or console=ttyS0,115200n8: Linux writes its messages to every console= named
  if (!tokens.some((t) => t === `console=${tty}` || t.startsWith(`console=${tty},`))) {
    added.push(`console=${tty}`);
    why.push(`console=${tty} (the recorder reads Linux's device list and its panic on the serial console)`);
  }
  let level: number | undefined;
  for (const t of tokens) {
    if (t === 'quiet') level = 4;
    else if (t.startsWith('loglevel=')) level = Number(t.slice('loglevel='.length));
  }
  if (level !== undefined && !(level >= INFO_LOGLEVEL)) {
    added.push(`loglevel=${INFO_LOGLEVEL}`);
    why.push(`loglevel=${INFO_LOGLEVEL} (Linux prints its PCI devices at KERN_INFO, which quiet and lower log levels hide)`);
  }
  // panic=N (N != 0) reboots the guest: its firmware would run again into the trace before QEMU is stopped
  const panic = tokens.filter((t) => t.startsWith('panic=')).pop();
  if (panic !== undefined && Number(panic.slice('panic='.length)) !== 0) {
    added.push('panic=0');
    why.push(`panic=0 (with ${panic} the guest reboots after its panic and its firmware runs again into the trace)`);
  }
  if (microvm && !tokens.some((t) => t.startsWith('tsc_early_khz='))) {
    added.push(`tsc_early_khz=${MICROVM_TSC_KHZ}`);
    why.push(`tsc_early_khz=${MICROVM_TSC_KHZ} (microvm's TSC calibration against the PIT fails under -trace on a busy host; no config access depends on it)`);
  }
  if (added.length > 0) notes.push(`added ${why.join(', ')} to the kernel command line`);
  return [...tokens, ...added].join(' ');
}

/**
 * What QEMU runs for a scenario: its arguments and kernel command line, plus what the recorder needs to
 * watch the boot on the console, each addition named in `notes`. Refuses at once (BAD_ARGUMENTS) what
 * cannot be recorded: a scenario's own `-trace`/`-D` (the recorder owns the trace) or `-append` (it goes
 * to `append`), or a stdio taken by something other than a serial port.
 */
export function planRecording(qemuArgs: readonly string[], append: string): RecordingPlan {
  const args = [...qemuArgs];
  if (has(args, '-trace') || has(args, '-D')) {
    // Ours come last and must win: QEMU keeps only the last -trace file (and -D would redirect the log).
    throw new RecordError('BAD_ARGUMENTS', 'the scenario may not pass -trace or -D: the recorder owns the trace output');
  }
  if (has(args, '-append')) throw new RecordError('BAD_ARGUMENTS', 'the kernel command line goes in `append`, not in the QEMU arguments');
  const notes: string[] = [];
  const nodefaults = has(args, '-nodefaults');
  const ports = serialPorts(args);
  // vl.c: -serial or a -device isa-serial turns the default serial port off; -monitor, -qmp, -mon and a
  // `-serial mon:…` (the monitor muxed with the port) the default monitor
  const defaultSerial = !nodefaults && !has(args, '-serial') && ports.length === 0;
  const defaultMonitor =
    !nodefaults && !['-monitor', '-qmp', '-mon'].some((o) => has(args, o)) && !options(args).some((o) => o.opt === '-serial' && o.value.startsWith('mon:'));
  let tty = 'ttyS0';
  if (!defaultSerial) {
    // -nographic (ours) puts the serial port on stdio only when it is QEMU's default one; else the recorder routes one.
    let port = ports.find((p) => p.stdio);
    if (port === undefined) {
      // No serial port is on stdio: whatever is there is not one, and the recorder cannot share it.
      const otherStdio = options(args).find((o) =>
        o.opt === '-chardev' ? opts(o.value, 'backend')?.get('backend') === 'stdio' : STDIO_USERS.has(o.opt) && /^(mon:)?stdio$/.test(o.value),
      );
      if (otherStdio) {
        throw new RecordError(
          'BAD_ARGUMENTS',
          `${otherStdio.opt} ${otherStdio.value} takes stdio, where the recorder reads the guest's serial console: give it another backend`,
        );
      }
      port = ports[0];
      if (port === undefined) {
        args.push('-serial', 'stdio');
        notes.push(`added -serial stdio: ${nodefaults ? '-nodefaults' : '-serial none'} leaves no serial port, and the recorder reads the guest console there`);
      } else {
        notes.push(`the serial port ttyS${port.index} (${port.what}) goes to stdio while recording: the recorder reads the guest console there`);
        port.toStdio(args);
      }
    }
    tty = `ttyS${port?.index ?? 0}`;
    // -nographic puts the default monitor on stdio too: QEMU then refuses a serial port there
    // ("cannot use stdio by multiple character devices").
    if (defaultMonitor) {
      args.push('-monitor', 'none');
      notes.push("added -monitor none: -nographic would put QEMU's monitor on the stdio that the scenario's serial port uses");
    }
  }
  const microvm = machineType(args) === 'microvm';
  return { qemuArgs: args, append: recordingAppend(append, tty, microvm, notes), notes, consoleTty: tty };
}

/** A size as qemu_strtosz() reads it ("512", "2G", "1.5G", "2097152k"), `unit` applying to a bare number. */
function strtosz(text: string, unit: number): number | undefined {
  const m = /^(\d+)(\.\d*)?([bkmgtpe])?$/i.exec(text);
  if (!m) return undefined;
  const mul = { b: 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40, p: 2 ** 50, e: 2 ** 60 }[(m[3] ?? '').toLowerCase()] ?? unit;
  if (m[2] !== undefined && m[3] === undefined) return undefined;
  return Math.round(Number(`${m[1]}${m[2] ?? ''}`) * mul);
}

/** Bytes in QEMU's `-m` terms: the largest suffix that divides them ("512M", "2G", "2097160K"). */
export function formatRamSize(bytes: number): string {
  for (const [suffix, mul] of [['T', 2 ** 40], ['G', 2 ** 30], ['M', 2 ** 20], ['K', 2 ** 10]] as const) {
    if (bytes >= mul && bytes % mul === 0) return `${bytes / mul}${suffix}`;
  }
  return `${bytes}B`;
}

/**
 * The guest RAM a command line asks for, as `recordedWith.memory`. QEMU merges every `-m` into one option
 * group, so the last `size=` wins (a `-m slots=…,maxmem=…` keeps the size); a number without a suffix is MiB,
 * and the size is rounded up to 8 KiB (softmmu/vl.c, parse_memory_options). A size QEMU would refuse is
 * reported as written.
 */
export function ramSize(args: readonly string[]): string {
  let size: string | undefined;
  for (const o of options(args)) if (o.opt === '-m') size = opts(o.value, 'size')?.get('size') ?? size;
  if (size === undefined) return '128M'; // QEMU's default RAM size (default_ram_size of pc, q35, microvm)
  const bytes = strtosz(size, /\d$/.test(size) ? 2 ** 20 : 1);
  if (bytes === undefined || bytes === 0) return size;
  return formatRamSize(Math.ceil(bytes / 8192) * 8192);
}

/** Options whose value is an input file: relative ones are resolved against pcisim's directory, since QEMU runs elsewhere. */
const INPUT_FILE_OPTIONS = new Set(['-kernel', '-initrd', '-bios', '-dtb', '-L', '-readconfig', '-pflash', '-hda', '-hdb', '-hdc', '-hdd', '-cdrom']);
/** QemuOpts keys that name an input file (`-drive file=`, `-blockdev filename=`, `-device …,romfile=`). */
const INPUT_FILE_KEY = /(^|,)(file|filename|romfile)=((?:[^,]|,,)+)/g;

/**
 * The arguments with relative input files made absolute (when they exist relative to `cwd`): QEMU runs in
 * the output folder, so that the relative paths a scenario writes (sockets, logs) land there, while the
 * files it reads are still found where the user named them.
 */
export function resolveInputPaths(args: readonly string[], cwd: string): string[] {
  const abs = (p: string): string => (!isAbsolute(p) && p !== '' && existsSync(resolve(cwd, p)) ? resolve(cwd, p) : p);
  return args.map((a, i) => {
    const prev = args[i - 1];
    if (prev === undefined) return a;
    const opt = prev.startsWith('--') ? prev.slice(1) : prev;
    if (INPUT_FILE_OPTIONS.has(opt)) return abs(a);
    if (prev.startsWith('-') && !a.startsWith('-')) {
      return a.replace(INPUT_FILE_KEY, (_m, lead: string, key: string, value: string) => {
        const p = value.replace(/,,/g, ',');
        const r = abs(p);
        return r === p ? `${lead}${key}=${value}` : `${lead}${key}=${r.replace(/,/g, ',,')}`;
      });
    }
    return a;
  });
}

/**
 * The kernel's release ("6.1.0-56-cloud-amd64") from a bzImage: the setup header's `kernel_version`
 * pointer (offset 0x20e, relative to 0x200) names the string `uname -r` reports (Documentation/x86/boot.rst).
 * Undefined for a file that is not a bzImage.
 */
export function kernelRelease(path: string): string | undefined {
  const buf = Buffer.alloc(0x8000);
  let n: number;
  try {
    const fd = openSync(path, 'r');
    try {
      n = readSync(fd, buf, 0, buf.length, 0);
    } finally {
      closeSync(fd);
    }
  } catch {
    return undefined;
  }
  if (n < 0x210 || buf.toString('latin1', 0x202, 0x206) !== 'HdrS') return undefined;
  const at = buf.readUInt16LE(0x20e) + 0x200;
  if (at >= n) return undefined;
  const end = buf.indexOf(0, at);
  const release = buf.toString('latin1', at, end < 0 ? n : end).split(' ')[0];
  return release !== undefined && /^\d+\.\d+/.test(release) ? release : undefined;
}

/** `recordedWith.kernel`: `vmlinuz-<release>` as the references name it, else the file's name. */
export function kernelName(path: string): string {
  const release = kernelRelease(path);
  return release !== undefined ? `vmlinuz-${release}` : basename(path);
}
