/**
 * @module
 * `pcisim validate <reference.json>`: simulate the reference's command line and compare field by field
 * (per phase, mechanism, bus, device) and access by access (the first one where the sequences part).
 */
import { readFileSync, existsSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { bootScenario } from './boot-scenario.js';
import { parseQemuArgs } from './scenario.js';
import { parseAccessLine, formatAccess } from '../record/accesses-file.js';
import { PcisimError } from './errors.js';
import type { AccessRecord, BootReport, ConfigTally, Phase } from './report-types.js';

export interface FieldDiff {
  field: string;
  simulated: unknown;
  real: unknown;
}

export interface ValidateResult {
  scenario: string;
  exact: boolean;
  /** exact per phase */
  phases: Record<Phase, boolean>;
  diffs: FieldDiff[];
  /** the first access where the sequences differ, per phase; null when they agree or no accesses file exists */
  firstDivergence: Record<Phase, { index: number; simulated: string | null; real: string | null } | null>;
  accessesCompared: boolean;
  /** the simulated report */
  simulated?: BootReport;
}

export function validateReference(path: string): ValidateResult {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new PcisimError(`${path}: cannot read: ${err.code === 'ENOENT' ? 'no such file' : err.code === 'EISDIR' ? 'is a directory' : (err.code ?? err.message)}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    // V8's message quotes the text around the error, line breaks and all: one line
    throw new PcisimError(`${path}: not a reference JSON (${(e as Error).message.replace(/\s*[\r\n]+\s*/g, ' ')})`);
  }
  const ref = checkReference(json, path);
  const scenario = ref.scenario ?? path.replace(/^.*\//, '').replace(/\.json$/, '');
  // the recorder's base arguments (-m 512) unless the scenario set its own
  const args = ref.qemuArgs.includes('-m') ? [...ref.qemuArgs] : ['-m', '512', ...ref.qemuArgs];
  if (ref.append) args.push('-append', ref.append);
  const sim = bootScenario(parseQemuArgs(args), { keepAccesses: true });
  const diffs: FieldDiff[] = [];
  const phases = { firmware: true, linux: true } as Record<Phase, boolean>;
  for (const ph of ['firmware', 'linux'] as const) {
    const before = diffs.length;
    compareTally(`${ph}.config`, sim.report.phases[ph].config, ref.phases[ph].config, diffs);
    phases[ph] = diffs.length === before;
  }
  const simDevices = sim.report.devices.map((d) => `${d.bdf.replace(/^0000:/, '')} ${d.vendor}:${d.device} ${d.class}`);
  const refDevices = ref.devices.map((d) => `${d.bdf.replace(/^0000:/, '')} ${d.vendor}:${d.device} ${d.class}`);
  if (simDevices.join('\n') !== refDevices.join('\n')) diffs.push({ field: 'devices', simulated: simDevices, real: refDevices });

  const accPath = path.replace(/\.json$/, '.accesses.txt.gz');
  const firstDivergence: ValidateResult['firstDivergence'] = { firmware: null, linux: null };
  let accessesCompared = false;
  if (existsSync(accPath) && sim.accesses) {
    accessesCompared = true;
    let text: string;
    try {
      text = gunzipSync(readFileSync(accPath)).toString('utf8');
    } catch (e) {
      throw new PcisimError(`${accPath}: cannot read the access list (${(e as Error).message})`);
    }
    const lines = text.split('\n');
    const real: AccessRecord[] = [];
    lines.forEach((l, i) => {
      const a = parseAccessLine(l, i + 1, accPath);
      if (a) real.push(a);
    });
    for (const [ph, tag] of [
      ['firmware', 'F'],
      ['linux', 'L'],
    ] as const) {
      const a = sim.accesses.filter((x) => x.phase === tag);
      const b = real.filter((x) => x.phase === tag);
      const n = Math.max(a.length, b.length);
      for (let i = 0; i < n; i++) {
        const x = a[i];
        const y = b[i];
        if (!x || !y || key(x) !== key(y)) {
          firstDivergence[ph] = { index: i + 1, simulated: x ? formatAccess(masked(x)) : null, real: y ? formatAccess(masked(y)) : null };
          phases[ph] = false;
          break;
        }
      }
    }
  }
  const exact = diffs.length === 0 && !firstDivergence.firmware && !firstDivergence.linux;
  return { scenario, exact, phases, diffs, firstDivergence, accessesCompared, simulated: sim.report };
}

function masked(a: AccessRecord): AccessRecord {
  const m = a.size === 4 ? 0xffffffff : a.size === 2 ? 0xffff : 0xff;
  const { valueHex: _v, ...rest } = a;
  return { ...rest, value: (a.value & m) >>> 0 };
}

function key(a: AccessRecord): string {
  return formatAccess(masked(a));
}

function compareTally(prefix: string, sim: ConfigTally, real: ConfigTally, out: FieldDiff[]): void {
  const fields: (keyof ConfigTally)[] = ['accesses', 'reads', 'writes', 'absent', 'absentBreakdown', 'distinctBdfProbed', 'byBus', 'perPresentDevice'];
  for (const f of fields) {
    const a = sim[f];
    const b = real[f];
    if (a === undefined || b === undefined) continue;
    if (a !== null && b !== null && typeof a === 'object' && typeof b === 'object') {
      const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
      for (const k of [...keys].sort((p, q) => Number(p) - Number(q) || p.localeCompare(q))) {
        const x = (a as Record<string, unknown>)[k];
        const y = (b as Record<string, unknown>)[k];
        if (JSON.stringify(x) !== JSON.stringify(y)) out.push({ field: `${prefix}.${f}.${k}`, simulated: x ?? 0, real: y ?? 0 });
      }
    } else if (a !== b) {
      out.push({ field: `${prefix}.${f}`, simulated: a, real: b });
    }
  }
}

const kind = (v: unknown): string => (v === undefined ? 'nothing (the field is missing)' : v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v === 'string' ? JSON.stringify(v) : typeof v === 'object' ? 'an object' : String(v));
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The fields validate reads, checked before it reads them: a reference with `"devices": null` or
 * `"append": 12` is one line naming the file and the field, not a TypeError.
 */
function checkReference(j: unknown, path: string): BootReport {
  const bad = (field: string, want: string, got: unknown): PcisimError => new PcisimError(`${path}: ${field} must be ${want}, got ${kind(got)}`);
  if (!isObject(j) || (!('phases' in j) && !('qemuArgs' in j))) throw new PcisimError(`${path}: not a pcisim reference (no phases or qemuArgs)`);
  if (!Array.isArray(j.qemuArgs)) throw bad('"qemuArgs"', 'an array of strings', j.qemuArgs);
  j.qemuArgs.forEach((a, i) => {
    if (typeof a !== 'string') throw bad(`"qemuArgs"[${i}]`, 'a string', a);
  });
  if (j.append !== undefined && typeof j.append !== 'string') throw bad('"append"', 'a string', j.append);
  if (j.scenario !== undefined && typeof j.scenario !== 'string') throw bad('"scenario"', 'a string', j.scenario);
  if (!isObject(j.phases)) throw bad('"phases"', 'an object {"firmware", "linux"}', j.phases);
  for (const ph of ['firmware', 'linux'] as const) {
    const p = j.phases[ph];
    if (!isObject(p)) throw bad(`"phases".${ph}`, 'an object {"config"}', p);
    if (!isObject(p.config)) throw bad(`"phases".${ph}.config`, 'an object', p.config);
  }
  if (!Array.isArray(j.devices)) throw bad('"devices"', 'an array', j.devices);
  j.devices.forEach((d, i) => {
    if (!isObject(d)) throw bad(`"devices"[${i}]`, 'an object {"bdf", "vendor", "device", "class"}', d);
    for (const f of ['bdf', 'vendor', 'device', 'class'] as const) if (typeof d[f] !== 'string') throw bad(`"devices"[${i}].${f}`, 'a string', d[f]);
  });
  return j as unknown as BootReport;
}
