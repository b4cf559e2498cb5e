/**
 * @module
 * `pcisim calibrate`: this host's cost profile, measured on its own /dev/kvm. The measuring is a small C
 * program (apps/boot/native/kvm-calibrate.c, the KVM API and nothing else) built with the system's compiler on
 * first use into a cache folder; it prints raw rows (median, p10, p90 of each kind of access), and
 * {@link profileFromRows} turns them into a cost profile in the format `--cost <file.json>` reads
 * (@sim/kvm's `parseCostProfile`), each figure with its method beside it and the machine it was measured on.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { accessSync, constants, existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { release, tmpdir, version as osVersion } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { COST_EVENTS, parseCostProfile, type CostEvent, type CostMeasurement, type CostProfile, type CostSpread } from '@sim/kvm';
import { PcisimError } from './errors.js';

/** apps/boot/native/kvm-calibrate.c, from src/core/ and dist/core/ alike. */
export const CALIBRATE_SOURCE = fileURLToPath(new URL('../../native/kvm-calibrate.c', import.meta.url));

/** What kvm-calibrate prints. */
export interface CalibrateRaw {
  schema: 'pcisim.kvm-calibrate/1';
  api: number;
  tscKHz: number;
  irqchip: boolean;
  mode: string;
  rows: CostMeasurement[];
}

/** The machine: what a profile's `host` says. */
export interface HostInfo {
  cpu: string;
  kernel: string;
  /** kvm_intel, kvm_amd, kvm_pvm, or what /sys/module shows */
  kvmModule: string;
  /** what that module is, in words (hardware or software virtualisation) */
  virtualisation: string;
  /** this host is itself a virtual machine (CPUID's hypervisor bit): the exits are nested ones */
  nested: boolean;
  [k: string]: string | number | boolean;
}

const KVM_MODULES: Record<string, string> = {
  kvm_intel: 'Intel VMX (hardware virtualisation)',
  kvm_amd: 'AMD SVM (hardware virtualisation)',
  kvm_pvm:
    'PVM: software virtualisation without VMX/SVM (the guest kernel runs deprivileged with shadow paging; a guest at CPL0, as here, is emulated instruction by instruction), inside a VM',
};

/** The CPU, kernel and KVM module of this machine, from /proc and /sys. */
export function hostInfo(root = '/'): HostInfo {
  const read = (p: string): string => {
    try {
      return readFileSync(join(root, p), 'utf8');
    } catch {
      return '';
    }
  };
  const cpuinfo = read('proc/cpuinfo');
  const cpu = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.trim() ?? 'unknown CPU';
  const flags = /^flags\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.split(/\s+/) ?? [];
  const kvmModule = Object.keys(KVM_MODULES).find((m) => existsSync(join(root, 'sys/module', m))) ?? (existsSync(join(root, 'sys/module/kvm')) ? 'kvm' : 'none');
  // kvm_intel/kvm_amd's own `nested` parameter says whether *their* guests may nest; what matters for the
  // cost of an exit is whether this host is itself a guest
  const nestedParam = read(`sys/module/${kvmModule}/parameters/nested`).trim();
  return {
    cpu,
    kernel: `Linux ${root === '/' ? release() : 'unknown'}`,
    kvmModule,
    virtualisation: KVM_MODULES[kvmModule] ?? `${kvmModule}: unknown KVM module`,
    nested: flags.includes('hypervisor'),
    ...(nestedParam !== '' ? { nestedParam } : {}),
    ...(root === '/' ? { kernelBuild: osVersion() } : {}),
  };
}

const median = (row: CostMeasurement | undefined): number => row?.median ?? NaN;
const round1 = (x: number): number => Math.round(x * 10) / 10;

/** The rows → the profile's events: which rows, minus the guest's empty loop or not, and how it was timed. */
interface Derivation {
  rows: string[];
  minusLoop: boolean;
  method: string;
}

const PAIRS = 'median of ((run of 6n − run of n) − the same for the empty loop)/5n, thread CPU time';

const DERIVATIONS: Record<CostEvent, Derivation[]> = {
  userspaceExitIo: [{ rows: ['pio_out_user', 'pio_in_user'], minusLoop: true, method: 'mean of pio_out_user (out 0xcf8) and pio_in_user (in 0xcfc), no device: KVM_EXIT_IO to this program and back; median of single exits (CLOCK_MONOTONIC between KVM_RUN returns), minus null_loop' }],
  userspaceExitMmio: [{ rows: ['mmio_read_user', 'mmio_write_user'], minusLoop: true, method: 'mean of mmio_read_user and mmio_write_user, a GPA without memslot: KVM_EXIT_MMIO to this program and back; median of single exits, minus null_loop' }],
  inKernelMmio: [{ rows: ['ioeventfd_mmio_write'], minusLoop: false, method: `ioeventfd_mmio_write: a store to a KVM_IOEVENTFD address, finished on KVM_MMIO_BUS; ${PAIRS}` }],
  inKernelPio: [
    { rows: ['pic_pio_read_kernel'], minusLoop: false, method: `pic_pio_read_kernel: in from port 0x21, the in-kernel i8259 on KVM_PIO_BUS; ${PAIRS}` },
    { rows: ['ioeventfd_pio_write'], minusLoop: false, method: `ioeventfd_pio_write (no in-kernel irqchip here): an out to a KVM_IOEVENTFD port; ${PAIRS}` },
  ],
  eptViolationMap: [{ rows: ['ro_first_touch'], minusLoop: false, method: 'ro_first_touch: first read of a KVM_MEM_READONLY page (one every 64 KiB: one fault each) minus a second read of it, per page, thread CPU time; median over fresh slots' }],
  noExitAccess: [{ rows: ['ram_read'], minusLoop: false, method: `ram_read: a load from ordinary RAM, no exit; ${PAIRS}` }],
  memslotUpdate: [{ rows: ['memslot_update'], minusLoop: false, method: 'memslot_update: one KVM_SET_USER_MEMORY_REGION (create or delete a 16 MiB read-only slot) timed alone, wall clock, vCPU stopped' }],
};

/**
 * The cost profile of kvm-calibrate's rows: each event from its rows (a mean of medians when two rows make
 * it), minus the guest's empty loop where the row includes one turn of it, never below 0; p10/p90 the same way.
 */
export function profileFromRows(raw: CalibrateRaw, host: HostInfo, meta: { name: string; date: string; version: string }): CostProfile {
  const byName = new Map(raw.rows.map((r) => [r.name, r]));
  const loop = median(byName.get('null_loop'));
  const ns: Partial<Record<CostEvent, number>> = {};
  const spread: Partial<Record<CostEvent, CostSpread>> = {};
  const sources: Partial<Record<CostEvent, string>> = {};
  for (const e of COST_EVENTS) {
    const d = DERIVATIONS[e].find((x) => x.rows.every((r) => byName.has(r)));
    if (!d) throw new PcisimError(`calibrate: kvm-calibrate measured no ${DERIVATIONS[e][0]!.rows.join('/')} row for ${e}`);
    const rows = d.rows.map((r) => byName.get(r)!);
    const minus = d.minusLoop ? loop : 0;
    const mean = (k: 'median' | 'p10' | 'p90'): number => Math.max(0, round1(rows.reduce((s, r) => s + r[k], 0) / rows.length - minus));
    ns[e] = mean('median');
    spread[e] = { p10: mean('p10'), p90: mean('p90') };
    sources[e] = `${d.method}${d.minusLoop ? ` (${round1(loop)} ns)` : ''}`;
  }
  const json = {
    name: meta.name,
    description: `calibrated on ${host.cpu}, ${host.kernel}, ${host.kvmModule}${host.nested ? ' (nested: this host is a VM)' : ''}, ${meta.date.slice(0, 10)}`,
    source: `pcisim calibrate ${meta.version} (apps/boot/native/kvm-calibrate.c, ${raw.mode} guest), ${meta.date}`,
    ns,
    sources,
    spread,
    host: { ...host, tscKHz: raw.tscKHz, kvmApi: raw.api, inKernelIrqchip: raw.irqchip, date: meta.date },
    measurements: raw.rows,
  };
  // through the parser: what calibrate writes is exactly what --cost reads back
  return parseCostProfile(json);
}

/** Parses kvm-calibrate's stdout; its `{"error"}` line is a one-line error. */
export function parseCalibrateOutput(text: string): CalibrateRaw {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new PcisimError(`calibrate: kvm-calibrate printed no result: ${JSON.stringify(text.trim().split('\n').pop()?.slice(0, 160) ?? '')}`);
  }
  const o = json as Partial<CalibrateRaw> & { error?: string };
  if (typeof o.error === 'string') throw new PcisimError(`calibrate: ${o.error}`);
  if (o.schema !== 'pcisim.kvm-calibrate/1' || !Array.isArray(o.rows)) throw new PcisimError('calibrate: kvm-calibrate printed an unknown format');
  return o as CalibrateRaw;
}

/** Why calibrate cannot run here, in one line; undefined when it can. */
export function calibrateBlocker(env: { kvm?: string; cc?: string | undefined } = {}): string | undefined {
  const kvm = env.kvm ?? '/dev/kvm';
  if (!existsSync(kvm)) return `no ${kvm} on this host (the KVM module is not loaded, or this is a container without it): nothing to measure`;
  try {
    accessSync(kvm, constants.R_OK | constants.W_OK);
  } catch {
    return `cannot open ${kvm} for reading and writing (add yourself to its group, usually kvm)`;
  }
  if ((env.cc ?? findCompiler()) === undefined) return 'no C compiler (cc) to build apps/boot/native/kvm-calibrate.c: install one (Debian: apt-get install build-essential), or set CC';
  return undefined;
}

/** $CC, else cc or gcc or clang on PATH. */
export function findCompiler(): string | undefined {
  const given = process.env['CC'];
  const names = given ? [given] : ['cc', 'gcc', 'clang'];
  for (const n of names) {
    if (n.includes('/')) {
      if (isExecutable(n)) return n;
      continue;
    }
    for (const dir of (process.env['PATH'] ?? '').split(delimiter)) if (dir !== '' && isExecutable(join(dir, n))) return join(dir, n);
  }
  return undefined;
}

function isExecutable(p: string): boolean {
  try {
    accessSync(p, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Builds kvm-calibrate with `cc` into a cache folder named after the source's hash (so an edited source is
 * rebuilt, and a second run builds nothing); returns the binary's path. A failed build is one line with the
 * compiler's first error.
 */
export function buildCalibrator(cc: string, cacheDir = join(tmpdir(), 'pcisim-calibrate')): string {
  const source = readFileSync(CALIBRATE_SOURCE);
  const hash = createHash('sha256').update(source).update(cc).digest('hex').slice(0, 16);
  const bin = join(cacheDir, `kvm-calibrate-${hash}`);
  if (isExecutable(bin)) return bin;
  mkdirSync(cacheDir, { recursive: true });
  const tmp = `${bin}.${process.pid}.tmp`;
  const r = spawnSync(cc, ['-O2', '-o', tmp, CALIBRATE_SOURCE], { encoding: 'utf8' });
  if (r.error) throw new PcisimError(`calibrate: cannot run ${cc}: ${r.error.message}`);
  if (r.status !== 0) {
    const first = (r.stderr ?? '').split('\n').find((l) => /error/.test(l)) ?? (r.stderr ?? '').trim().split('\n')[0] ?? `exit ${r.status}`;
    throw new PcisimError(`calibrate: ${cc} could not build kvm-calibrate.c: ${first.trim()}${/kvm\.h/.test(first) ? ' (install the kernel headers: Debian linux-libc-dev)' : ''}`);
  }
  renameSync(tmp, bin);
  return bin;
}

/** Runs the built program (a minute at most); returns its rows. */
export function runCalibrator(bin: string, scale = 1, timeoutMs = 60_000): CalibrateRaw {
  const r = spawnSync(bin, [String(scale)], { encoding: 'utf8', timeout: timeoutMs });
  if (r.error) {
    const code = (r.error as NodeJS.ErrnoException).code;
    throw new PcisimError(code === 'ETIMEDOUT' ? `calibrate: kvm-calibrate did not finish within ${timeoutMs / 1000} s` : `calibrate: cannot run kvm-calibrate: ${r.error.message}`);
  }
  return parseCalibrateOutput(r.stdout);
}
