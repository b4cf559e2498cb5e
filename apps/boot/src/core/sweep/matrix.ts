/**
 * @module
 * A scenario matrix: a base command line and axes whose cartesian product is the list of scenarios
 * `pcisim sweep` boots. The axes nest in the order they are written (the first varies slowest, the last
 * fastest, like nested loops), so scenario N is the same on every run and for every `--jobs`.
 *
 * ```json
 * {
 *   "base": { "qemuArgs": ["-M", "q35"], "append": "console=ttyS0" },
 *   "axes": {
 *     "machine": ["q35", "pc", "microvm,pcie=on"],
 *     "append": ["", "pci=lastbus=0"],
 *     "kvm": ["", "pci-hole", "mmio-bus,pio-fast"],
 *     "guestPatch": ["none", "mmconfig-v1", "mmconfig-v2"],
 *     "pvBit": [false, true],
 *     "mcfg": [null, 0, 8],
 *     "devices": [[], ["pcie-root-port,id=rp1,chassis=1", "virtio-net-pci,bus=rp1"]],
 *     "args": [[], ["-m", "1G"]],
 *     "nodefaults": [false, true],
 *     "cost": ["lkml-2020", "measured-here"],
 *     "pvEnumeration": [false, true]
 *   }
 * }
 * ```
 */
import { resolveCostProfile } from '../cost.js';
import { parseKvmMitigations, type KvmPciMitigation } from '@sim/qemu';
import type { GuestPatch } from '@sim/guest';
import { parseQemuArgs, type Scenario } from '../scenario.js';

/** What varies between the scenarios of a sweep; every axis is optional. */
export interface SweepAxes {
  /** the -M argument: `q35`, `pc`, `microvm,pcie=on` … (replaces the base's -M/-machine) */
  machine?: string[];
  /** appended to the base kernel command line */
  append?: string[];
  /** KVM mitigations: a comma-separated list (`pci-hole,pio-fast`), `""`/`"none"` for none, or a list */
  kvm?: (string | string[])[];
  /** the 2020 MMCONFIG guest patches */
  guestPatch?: GuestPatch[];
  /** the KVM PV feature bit on -cpu (kvm-pci-go-mmconfig=on) */
  pvBit?: boolean[];
  /** accurate MCFG: spare buses beyond those in use; null: QEMU 7.2's MCFG */
  mcfg?: (number | null)[];
  /** topology variants: each a list of `-device` arguments (without `-device`) */
  devices?: string[][];
  /** any other QEMU arguments, appended as given */
  args?: string[][];
  /** -nodefaults */
  nodefaults?: boolean[];
  /** cost profile name (or file path) */
  cost?: string[];
  /** the enlightened-guest lower bound */
  pvEnumeration?: boolean[];
}

export interface SweepMatrix {
  base?: { qemuArgs?: string[]; append?: string };
  axes?: SweepAxes;
}

/** One point of the matrix, as the JSON lines print it: only the axes the matrix has. */
export interface SweepScenario {
  machine?: string;
  append?: string;
  kvm?: KvmPciMitigation[];
  guestPatch?: GuestPatch;
  pvBit?: boolean;
  mcfg?: number | null;
  devices?: string[];
  args?: string[];
  nodefaults?: boolean;
  cost?: string;
  pvEnumeration?: boolean;
}

/** The axes a matrix may have (they nest in the order the matrix writes them). */
export const AXIS_ORDER = ['machine', 'nodefaults', 'devices', 'args', 'append', 'kvm', 'guestPatch', 'pvBit', 'mcfg', 'pvEnumeration', 'cost'] as const;
type AxisName = (typeof AXIS_ORDER)[number];

const GUEST_PATCHES: readonly string[] = ['none', 'mmconfig-v1', 'mmconfig-v2'];

/** A matrix that cannot be run; the message names the field. */
export class SweepMatrixError extends Error {
  readonly code = 'BAD_MATRIX';
  constructor(message: string) {
    super(`sweep matrix: ${message}`);
    this.name = 'SweepMatrixError';
  }
}

/** Checks a parsed JSON matrix and returns it typed; unknown keys and wrong types are errors. */
export function checkMatrix(m: unknown): SweepMatrix {
  if (typeof m !== 'object' || m === null || Array.isArray(m)) throw new SweepMatrixError('expected a JSON object with "base" and "axes"');
  const o = m as Record<string, unknown>;
  for (const k of Object.keys(o)) if (k !== 'base' && k !== 'axes') throw new SweepMatrixError(`unknown key "${k}" (base, axes)`);
  const out: SweepMatrix = {};
  if (o.base !== undefined) {
    if (typeof o.base !== 'object' || o.base === null || Array.isArray(o.base)) throw new SweepMatrixError('"base" must be an object');
    const b = o.base as Record<string, unknown>;
    for (const k of Object.keys(b)) if (k !== 'qemuArgs' && k !== 'append') throw new SweepMatrixError(`unknown key "base.${k}" (qemuArgs, append)`);
    if (b.qemuArgs !== undefined && !isStringList(b.qemuArgs)) throw new SweepMatrixError('"base.qemuArgs" must be a list of strings');
    if (b.append !== undefined && typeof b.append !== 'string') throw new SweepMatrixError('"base.append" must be a string');
    out.base = { ...(b.qemuArgs !== undefined ? { qemuArgs: b.qemuArgs as string[] } : {}), ...(b.append !== undefined ? { append: b.append as string } : {}) };
  }
  if (o.axes !== undefined) {
    if (typeof o.axes !== 'object' || o.axes === null || Array.isArray(o.axes)) throw new SweepMatrixError('"axes" must be an object');
    const a = o.axes as Record<string, unknown>;
    const axes: Record<string, unknown[]> = {};
    for (const [k, v] of Object.entries(a)) {
      if (!(AXIS_ORDER as readonly string[]).includes(k)) throw new SweepMatrixError(`unknown axis "${k}" (${AXIS_ORDER.join(', ')})`);
      if (!Array.isArray(v) || v.length === 0) throw new SweepMatrixError(`axis "${k}" must be a non-empty list`);
      v.forEach((x, i) => checkValue(k as AxisName, x, `axes.${k}[${i}]`));
      axes[k] = v;
    }
    out.axes = axes as SweepAxes;
  }
  return out;
}

function isStringList(v: unknown): v is string[] {
  return Array.isArray(v) && v.every((x) => typeof x === 'string');
}

function checkValue(axis: AxisName, v: unknown, at: string): void {
  const bad = (want: string) => new SweepMatrixError(`"${at}" must be ${want}, got ${JSON.stringify(v)}`);
  switch (axis) {
    case 'machine':
    case 'append':
      if (typeof v !== 'string') throw bad('a string');
      return;
    case 'cost':
      if (typeof v !== 'string') throw bad('a string');
      // a profile file that is missing or wrong fails the matrix once, not every scenario that names it
      try {
        resolveCostProfile(v);
      } catch (e) {
        throw new SweepMatrixError(`"${at}": ${e instanceof Error ? e.message.replace(/^--cost: /, '') : String(e)}`);
      }
      return;
    case 'kvm':
      if (typeof v !== 'string' && !isStringList(v)) throw bad('a string or a list of strings');
      try {
        parseKvmMitigations(typeof v === 'string' ? (v === 'none' ? '' : v) : v.join(','));
      } catch (e) {
        throw new SweepMatrixError(`"${at}": ${e instanceof Error ? e.message.replace(/^--kvm: /, '') : String(e)}`);
      }
      return;
    case 'guestPatch':
      if (typeof v !== 'string' || !GUEST_PATCHES.includes(v)) throw bad(GUEST_PATCHES.join(' | '));
      return;
    case 'pvBit':
    case 'nodefaults':
    case 'pvEnumeration':
      if (typeof v !== 'boolean') throw bad('true or false');
      return;
    case 'mcfg':
      if (v !== null && (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 255)) throw bad('null or an integer 0..255');
      return;
    case 'devices':
    case 'args':
      if (!isStringList(v)) throw bad('a list of strings');
      return;
  }
}

/** The matrix's axes in the order it writes them. */
function axesOf(m: SweepMatrix): [AxisName, unknown[]][] {
  return Object.entries(m.axes ?? {}).filter((e): e is [AxisName, unknown[]] => Array.isArray(e[1]));
}

/** How many scenarios the matrix expands to. */
export function matrixSize(m: SweepMatrix): number {
  let n = 1;
  for (const [, values] of axesOf(m)) n *= values.length;
  return n;
}

/** Scenario `index` of the cartesian product (first axis slowest, last fastest). */
export function scenarioAt(m: SweepMatrix, index: number): SweepScenario {
  const total = matrixSize(m);
  if (!Number.isInteger(index) || index < 0 || index >= total) throw new RangeError(`scenario ${index} of ${total}`);
  const axes = axesOf(m);
  const picks: unknown[] = new Array<unknown>(axes.length);
  let rest = index;
  for (let i = axes.length - 1; i >= 0; i--) {
    const values = axes[i]![1];
    picks[i] = values[rest % values.length];
    rest = Math.floor(rest / values.length);
  }
  const s: SweepScenario = {};
  for (let i = 0; i < axes.length; i++) {
    const k = axes[i]![0];
    const v = picks[i];
    if (k === 'kvm') s.kvm = parseKvmMitigations(typeof v === 'string' ? (v === 'none' ? '' : v) : (v as string[]).join(','));
    else (s as Record<string, unknown>)[k] = v;
  }
  return s;
}

/** Every scenario of the matrix, in order. */
export function* expandMatrix(m: SweepMatrix): Generator<SweepScenario> {
  const n = matrixSize(m);
  for (let i = 0; i < n; i++) yield scenarioAt(m, i);
}

/** What `bootScenario` takes for one point: the parsed command line and the boot options. */
export interface ResolvedScenario {
  scenario: Scenario;
  kvm: KvmPciMitigation[];
  guestPatch: GuestPatch;
  costProfile?: string;
  pvEnumeration: boolean;
}

/** The command line and options of a point of `m`, as compare() builds them for a mitigation set. */
export function resolveScenario(m: SweepMatrix, p: SweepScenario): ResolvedScenario {
  let argv = [...(m.base?.qemuArgs ?? [])];
  if (p.machine !== undefined) argv = [...withoutMachine(argv), '-M', p.machine];
  if (p.nodefaults === true && !argv.includes('-nodefaults')) argv.push('-nodefaults');
  for (const d of p.devices ?? []) argv.push('-device', d);
  argv.push(...(p.args ?? []));
  const s = parseQemuArgs(argv);
  const append = [s.append, m.base?.append ?? '', p.append ?? ''].filter((x) => x !== '').join(' ');
  s.append = append;
  if (p.pvBit) s.cpu = `${s.cpu ?? 'qemu64'},kvm-pci-go-mmconfig=on`;
  if (p.mcfg !== undefined && p.mcfg !== null) s.accurateMcfgReserve = p.mcfg;
  return {
    scenario: s,
    kvm: p.kvm ?? [],
    guestPatch: p.guestPatch ?? 'none',
    ...(p.cost !== undefined ? { costProfile: p.cost } : {}),
    pvEnumeration: p.pvEnumeration === true,
  };
}

function withoutMachine(argv: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '-M' || a === '-machine' || a === '--machine') {
      i++;
      continue;
    }
    out.push(a);
  }
  return out;
}
