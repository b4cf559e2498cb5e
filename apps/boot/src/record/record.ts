/**
 * @module
 * Records a real boot: QEMU under TCG with direct kernel boot, traced with
 * `-trace memory_region_ops_read/write`, stopped once Linux panics for want of a root file system (well after
 * PCI enumeration); then the trace and the console become a reference report (docs/recording.md).
 */

import { spawn, spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, realpathSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile, copyFile, truncate } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AccessRecord, BootReport, Phase, PhaseReport, RecordedWith } from '../core/report-types.js';
import { writeAccessesFile } from './accesses-file.js';
import { type ConsoleInfo, ConsoleParser, parseConsole, stripAnsi } from './console.js';
import { RecordError } from './errors.js';
import { inferDevices } from './infer.js';
import { toReferenceJson } from './json.js';
import { tallyPhases } from './tally.js';
import { type ParsedTrace, parseTrace } from './trace-parser.js';
import { standInHostResources, type StandInFile } from './host-resources.js';
import { kernelName, planRecording, ramSize, REFERENCE_KERNEL, resolveInputPaths } from './command-line.js';

const SETUP_HINT = 'run scripts/setup-reference.sh';
/** Where scripts/setup-reference.sh puts the kernel, relative to the repository root. */
const KERNEL_IN_REPO = '.cache/reference-kernel/vmlinuz';
const DEFAULT_QEMU = 'qemu-system-x86_64';
const DEFAULT_CPU_NOTE = 'QEMU default (qemu64: AuthenticAMD family 15) unless -cpu is given';

/** What every recording shares with the reference ones (reference/README.md). */
export const BASE_QEMU_ARGS: readonly string[] = ['-accel', 'tcg', '-m', '512', '-nographic'];

export interface RecordOptions {
  /** the scenario's own arguments (`-M q35 -device …`), as the report lists them */
  qemuArgs: string[];
  /** kernel command line; the recorder adds what it needs to watch the boot (`console=`, …) and says so in `onNote` */
  append: string;
  /** file stem of the outputs; default "recording" */
  scenario?: string;
  description?: string;
  /** default: $PCISIM_QEMU, else qemu-system-x86_64 on PATH */
  qemuBinary?: string;
  /** default: $PCISIM_KERNEL, else .cache/reference-kernel/vmlinuz in the repository */
  kernel?: string;
  /** from QEMU's start to Linux's panic; default 60 s (a boot takes 2-3 s under TCG) */
  timeoutMs?: number;
  /** boots to retry after a timeout (default 1): a loaded host can stall a TCG guest's timer calibration */
  retries?: number;
  /**
   * where `<scenario>.json`, `.accesses.txt.gz` and `.console.log` go; default: the current directory.
   * QEMU runs there, so relative paths the scenario writes (sockets, logs) land there too.
   */
  outDir?: string;
  /** also keep the raw trace as `<scenario>.trace` (20+ MB) */
  keepTrace?: boolean;
  /** the CPU vendor whose TCG model stands in for `-cpu host` (record/host-resources.ts); default intel */
  hostCpu?: 'intel' | 'amd';
  /** each console line as it arrives (ANSI stripped), for progress output */
  onConsoleLine?: (line: string) => void;
  /**
   * before the boot, one sentence for each thing the recorder adds to or changes in the command line, and
   * each warning about the stack (`warning: ` first: a kernel other than the references')
   */
  onNote?: (note: string) => void;
}

export interface RecordResult {
  report: BootReport;
  accesses: AccessRecord[];
  warnings: string[];
  /** said before the boot (`onNote`): what the recorder added to or changed in the command line, and `warning: `s about the stack; empty for an import */
  notes: string[];
  /** paths written; empty when nothing was written */
  files: { json?: string; accesses?: string; console?: string; trace?: string };
}

export interface ReportMeta {
  scenario?: string;
  description?: string;
  recordedWith?: RecordedWith;
  qemuArgs?: string[];
  append?: string;
}

/** The report of a parsed trace plus what the console says (or, without one, what the trace implies). */
export function buildReport(trace: ParsedTrace, consoleInfo: ConsoleInfo | undefined, meta: ReportMeta = {}): BootReport {
  const devices = consoleInfo?.devices ?? inferDevices(trace.accesses);
  const tallies = tallyPhases(trace.accesses, devices);
  const phase = (p: Phase): PhaseReport => ({ config: { ...tallies[p], portAccesses: trace.portAccesses[p] } });
  // Key order is the reference files' order (toReferenceJson keeps it).
  const report: BootReport = {
    schema: 'pcisim.reference/1',
    ...(meta.scenario !== undefined ? { scenario: meta.scenario } : {}),
    ...(meta.description !== undefined ? { description: meta.description } : {}),
    ...(meta.recordedWith !== undefined ? { recordedWith: meta.recordedWith } : {}),
    qemuArgs: meta.qemuArgs ?? [],
    append: meta.append ?? '',
    phases: { firmware: phase('firmware'), linux: phase('linux') },
    devices,
    bridges: consoleInfo?.bridges ?? {},
    linuxConfigLines: consoleInfo?.linuxConfigLines ?? [],
  };
  return report;
}

/** Writes `<scenario>.json` and `<scenario>.accesses.txt.gz` (and the console, when given) into `outDir`. */
export async function writeRecording(
  result: Pick<RecordResult, 'report' | 'accesses'>,
  outDir: string,
  scenario: string,
  consoleText?: string,
): Promise<RecordResult['files']> {
  const files: RecordResult['files'] = {};
  try {
    await mkdir(outDir, { recursive: true });
    files.json = join(outDir, `${scenario}.json`);
    await writeFile(files.json, toReferenceJson(result.report));
    if (consoleText !== undefined) {
      files.console = join(outDir, `${scenario}.console.log`);
      // latin1: the console is kept as QEMU's bytes, one char per byte (see boot()).
      await writeFile(files.console, consoleText, 'latin1');
    }
  } catch (e) {
    throw new RecordError('IO_ERROR', `cannot write the recording: ${(e as Error).message}`, { file: outDir, cause: e });
  }
  files.accesses = join(outDir, `${scenario}.accesses.txt.gz`);
  await writeAccessesFile(files.accesses, result.accesses);
  return files;
}

export interface ImportOptions extends ReportMeta {
  /** the guest console of the same boot: Linux's device list (else inferred from the trace's reads) */
  consolePath?: string;
  /** write the recording there (`scenario` names the files; default: the trace's base name) */
  outDir?: string;
  /** guest-physical base of the MMCONFIG window, when it is not 256 MiB-aligned */
  mmcfgBase?: number;
}

/** `recordBoot`'s parse, for a trace recorded elsewhere (`.gz` accepted). */
export async function importTrace(tracePath: string, options: ImportOptions = {}): Promise<RecordResult> {
  const trace = await parseTrace(tracePath, options.mmcfgBase !== undefined ? { mmcfgBase: options.mmcfgBase } : {});
  let consoleText: string | undefined;
  if (options.consolePath !== undefined) {
    try {
      consoleText = await readFile(options.consolePath, 'latin1');
    } catch (e) {
      throw new RecordError('IO_ERROR', `cannot read the console: ${(e as Error).message}`, { file: options.consolePath, cause: e });
    }
  }
  const consoleInfo = consoleText !== undefined ? parseConsole(consoleText) : undefined;
  const warnings = [...trace.warnings];
  if (!consoleInfo) warnings.push('no console log: present devices inferred from the vendor-ID reads in the trace');
  else if (consoleInfo.devices.length === 0) warnings.push('the console lists no PCI device: every access counts as absent');
  const scenario = options.scenario ?? basename(tracePath).replace(/(\.(trace|log))*(\.gz)?$/, '');
  const report = buildReport(trace, consoleInfo, { ...options, scenario });
  const files = options.outDir !== undefined ? await writeRecording({ report, accesses: trace.accesses }, options.outDir, scenario) : {};
  return { report, accesses: trace.accesses, warnings, notes: [], files };
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** `which`: the path of an executable, or undefined. */
function findExecutable(name: string): string | undefined {
  if (name.includes('/')) return isExecutable(name) ? name : undefined;
  for (const dir of (process.env['PATH'] ?? '').split(delimiter)) {
    if (dir !== '' && isExecutable(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

/** The kernel: the option, $PCISIM_KERNEL, else the setup script's cache above the cwd or this module. */
export function findKernel(explicit?: string): string {
  const given = explicit ?? process.env['PCISIM_KERNEL'];
  if (given !== undefined && given !== '') {
    if (!existsSync(given)) throw new RecordError('KERNEL_NOT_FOUND', `kernel ${given} not found: ${SETUP_HINT}`);
    return given;
  }
  const roots: string[] = [];
  for (let dir = process.cwd(); ; dir = dirname(dir)) {
    roots.push(dir);
    if (dirname(dir) === dir) break;
  }
  // apps/boot/{src,dist}/record/ → the repository root
  roots.push(fileURLToPath(new URL('../../../../', import.meta.url)));
  for (const root of roots) {
    const k = join(root, KERNEL_IN_REPO);
    if (existsSync(k)) return realpathSync(k);
  }
  throw new RecordError('KERNEL_NOT_FOUND', `reference kernel not found (${KERNEL_IN_REPO}): ${SETUP_HINT}`);
}

export function findQemu(explicit?: string): string {
  const name = explicit ?? (process.env['PCISIM_QEMU'] || DEFAULT_QEMU);
  const path = findExecutable(name);
  if (path === undefined) throw new RecordError('QEMU_NOT_FOUND', `${name} not found: ${SETUP_HINT}`);
  return path;
}

function optionValue(args: readonly string[], flag: string): string | undefined {
  let value: string | undefined;
  for (let i = 0; i < args.length - 1; i++) if (args[i] === flag || args[i] === `-${flag}`) value = args[i + 1];
  return value;
}

/**
 * The scenario's arguments as run, with the serial console on stdio (`planRecording`): `-nodefaults` drops
 * the serial port that `-nographic` would put there, so add `-serial stdio` as the reference scenarios do; a
 * scenario that brings its own serial port keeps it, routed to stdio.
 */
export function scenarioArgs(qemuArgs: readonly string[]): string[] {
  return planRecording(qemuArgs, '').qemuArgs;
}

/** The full QEMU command line of a recording (without the binary). */
export function recordingCommand(opts: { kernel: string; append: string; qemuArgs: readonly string[]; traceFile: string }): string[] {
  return [
    ...BASE_QEMU_ARGS,
    '-kernel',
    opts.kernel,
    '-append',
    opts.append,
    ...opts.qemuArgs,
    // Both name the file: QEMU uses the last -trace's file= for all events, and stderr if it has none.
    '-trace',
    `memory_region_ops_read,file=${opts.traceFile}`,
    '-trace',
    `memory_region_ops_write,file=${opts.traceFile}`,
  ];
}

export function recordedWith(qemu: string, kernel: string, qemuArgs: readonly string[]): RecordedWith {
  const v = spawnSync(qemu, ['--version'], { encoding: 'utf8' });
  const cpu = optionValue(qemuArgs, '-cpu');
  return {
    qemu: (v.stdout ?? '').split('\n')[0]?.trim() || 'unknown',
    kernel: kernelName(kernel),
    accel: 'tcg',
    // the scenario's -m comes after ours and wins
    memory: ramSize([...BASE_QEMU_ARGS, ...qemuArgs]),
    cpu: cpu === undefined ? DEFAULT_CPU_NOTE : `-cpu ${cpu}`,
  };
}

export interface BootOutcome {
  /** panic: Linux panicked (QEMU stopped by us or by itself); timeout: no panic in time; exited: QEMU quit first */
  status: 'panic' | 'timeout' | 'exited';
  console: string;
  info: ConsoleInfo;
  /** QEMU's last stderr lines, or its exit status */
  exit: string;
}

/** Runs QEMU until Linux's panic is complete on the console, then stops it (SIGTERM: QEMU flushes the trace). */
export function boot(qemu: string, args: string[], cwd: string, timeoutMs: number, onLine?: (line: string) => void): Promise<BootOutcome> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(qemu, args, { cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    const parser = new ConsoleParser();
    // latin1 maps each byte to one char, so the saved console is QEMU's bytes whatever they are.
    let out = '';
    let partial = '';
    let stderr = '';
    let stopping: 'panic' | 'timeout' | undefined;
    let panicTimer: NodeJS.Timeout | undefined;
    let killTimer: NodeJS.Timeout | undefined;

    const stop = (why: 'panic' | 'timeout'): void => {
      if (stopping) return;
      stopping = why;
      child.kill('SIGTERM');
      // QEMU exits within milliseconds of SIGTERM; SIGKILL only if it hangs (the trace may then be cut).
      killTimer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    };
    const timer = setTimeout(() => stop('timeout'), timeoutMs);

    child.stdout.setEncoding('latin1');
    child.stdout.on('data', (chunk: string) => {
      if (stopping) return;
      out += chunk;
      partial += chunk;
      let nl: number;
      while ((nl = partial.indexOf('\n')) >= 0) {
        const line = partial.slice(0, nl);
        partial = partial.slice(nl + 1);
        parser.push(line);
        onLine?.(stripAnsi(line).replace(/\r+$/, ''));
        if (parser.panicEnded) {
          stop('panic');
          return;
        }
        // The end line follows the panic line within a few ms; don't hang if a kernel never prints it.
        if (parser.panic !== undefined && !panicTimer) panicTimer = setTimeout(() => stop('panic'), 3000);
      }
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      if (stderr.length < 1 << 16) stderr += chunk;
    });
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new RecordError('QEMU_NOT_FOUND', `cannot run ${qemu}: ${e.message}: ${SETUP_HINT}`, { cause: e }));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      clearTimeout(panicTimer);
      clearTimeout(killTimer);
      const exit = stderr.trim().split('\n').filter(Boolean).slice(-3).join(' / ') || `exit ${code ?? signal}`;
      // A panic ends the boot whoever stops QEMU (us, or the guest with panic=N and -no-reboot).
      const status = stopping === 'panic' || (stopping === undefined && parser.panic !== undefined) ? 'panic' : (stopping ?? 'exited');
      resolvePromise({ status, console: out, info: parser.result(), exit });
    });
  });
}

export function lastLine(text: string): string {
  const lines = stripAnsi(text).split('\n').map((l) => l.replace(/\r+$/, '')).filter((l) => l.trim() !== '');
  return lines[lines.length - 1]?.slice(0, 120) ?? '';
}

/**
 * Boots the scenario on real QEMU, writes `<scenario>.json`, `<scenario>.accesses.txt.gz` and
 * `<scenario>.console.log` into `outDir`, and returns the report.
 */
export async function recordBoot(options: RecordOptions): Promise<RecordResult> {
  // A production line's host resources (KVM, passed-in fds, /run sockets, images) replaced by stand-ins that run here.
  const hostPlan = standInHostResources(options.qemuArgs, { hostCpu: options.hostCpu ?? 'intel', exists: existsSync });
  // Refusals first, before anything is looked up or started.
  const plan = planRecording(hostPlan.qemuArgs, options.append);
  const qemu = resolve(findQemu(options.qemuBinary));
  // QEMU runs in outDir: the kernel's path must not depend on pcisim's directory.
  const kernel = resolve(findKernel(options.kernel));
  const scenario = options.scenario ?? 'recording';
  const outDir = resolve(options.outDir ?? '.');
  const qemuArgs = plan.qemuArgs;
  const timeoutMs = options.timeoutMs ?? 60_000;
  const notes = [...hostPlan.notes, ...plan.notes];
  const kernelIs = kernelName(kernel);
  if (kernelIs !== REFERENCE_KERNEL) {
    notes.push(`warning: the kernel is ${kernelIs}, the references were recorded with ${REFERENCE_KERNEL}: counts may differ from reference/ (scripts/setup-reference.sh fetches that one)`);
  }
  for (const n of notes) options.onNote?.(n);
  try {
    await mkdir(outDir, { recursive: true });
  } catch (e) {
    throw new RecordError('IO_ERROR', `cannot create the output folder: ${(e as Error).message}`, { file: outDir, cause: e });
  }
  for (const f of hostPlan.files) await createStandInFile(qemu, outDir, f);
  const work = await mkdtemp(join(tmpdir(), 'pcisim-record-'));
  try {
    const traceFile = join(work, 'trace.log');
    const args = recordingCommand({ kernel, append: plan.append, qemuArgs: resolveInputPaths(qemuArgs, process.cwd()), traceFile });
    let outcome = await boot(qemu, args, outDir, timeoutMs, options.onConsoleLine);
    // Under TCG on a busy host Linux's PIT/TSC calibration can fail, and a microvm guest then stalls for
    // good (planRecording gives microvm a fixed tsc_early_khz= against it). Config access counts do not
    // depend on timing, so another boot is as good as the first.
    for (let retry = 0; outcome.status === 'timeout' && retry < (options.retries ?? 1); retry++) {
      outcome = await boot(qemu, args, outDir, timeoutMs, options.onConsoleLine);
    }
    if (outcome.status !== 'panic' || !outcome.info.vfsPanic) {
      // Keep what the guest said: it is the only clue. Named apart, so a good recording is never overwritten.
      const failed = join(outDir, `${scenario}.failed.console.log`);
      await mkdir(outDir, { recursive: true });
      await writeFile(failed, stripAnsi(outcome.console), 'latin1');
      const seeConsole = `(console in ${failed})`;
      if (outcome.status === 'timeout') {
        throw new RecordError('BOOT_TIMEOUT', `no kernel panic within ${timeoutMs} ms, last console line ${JSON.stringify(lastLine(outcome.console))} ${seeConsole}`);
      }
      if (outcome.status === 'exited') throw new RecordError('QEMU_FAILED', `QEMU exited before Linux panicked: ${outcome.exit} ${seeConsole}`);
      throw new RecordError('UNEXPECTED_PANIC', `Linux panicked, but not on the root file system: ${outcome.info.panic ?? '(no panic line)'} ${seeConsole}`);
    }
    const trace = await parseTrace(traceFile);
    const report = buildReport(trace, outcome.info, {
      scenario,
      description: options.description ?? `recorded: ${qemuArgs.join(' ')}`,
      recordedWith: recordedWith(qemu, kernel, qemuArgs),
      qemuArgs,
      append: plan.append,
    });
    const warnings = [...trace.warnings];
    if (outcome.info.devices.length === 0) warnings.push('the console lists no PCI device: every access counts as absent');
    const files = await writeRecording({ report, accesses: trace.accesses }, outDir, scenario, stripAnsi(outcome.console));
    if (options.keepTrace) {
      files.trace = join(outDir, `${scenario}.trace`);
      await copyFile(traceFile, files.trace);
    }
    return { report, accesses: trace.accesses, warnings, notes, files };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** A stand-in image or backend file in the output folder: qcow2 through qemu-img (beside QEMU, else on PATH), raw sparse. */
async function createStandInFile(qemu: string, outDir: string, f: StandInFile): Promise<void> {
  const path = join(outDir, f.path);
  if (existsSync(path)) return;
  if (f.format === 'qcow2') {
    const beside = join(dirname(qemu), 'qemu-img');
    const img = existsSync(beside) ? beside : (findExecutable('qemu-img') ?? 'qemu-img');
    const r = spawnSync(img, ['create', '-q', '-f', 'qcow2', path, String(f.bytes)], { encoding: 'utf8' });
    if (r.status !== 0) throw new RecordError('IO_ERROR', `qemu-img create ${path}: ${(r.stderr || r.error?.message || '').trim()}`, { file: path });
    return;
  }
  await writeFile(path, '');
  await truncate(path, f.bytes);
}
