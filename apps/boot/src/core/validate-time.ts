/**
 * @module
 * `pcisim validate --time <recording.json>`: the guest's own duration of each PCI initcall (`initcall_debug`,
 * ../record/initcalls.ts) set against the time pcisim charges for the config accesses that initcall makes,
 * under a cost profile. pcisim's time is only the config accesses' exits; what is left of the measured
 * duration is the initcall's other guest work (ACPI's interpreter, printk to the serial console, allocation,
 * resource assignment), which pcisim does not model. The recording is a reference JSON (`pcisim record`) or
 * a KVM timing recording (`pcisim record --accel kvm`); its initcalls come from its `initcalls` field or,
 * failing that, from its console log beside it (`<name>.console.log`).
 */
import { existsSync, readFileSync } from 'node:fs';
import type { CostProfile } from '@sim/kvm';
import { bootScenario } from './boot-scenario.js';
import { TraceCollector } from './collector.js';
import { resolveCostProfile } from './cost.js';
import { PcisimError } from './errors.js';
import { parseQemuArgs } from './scenario.js';
import { parseInitcalls, type InitcallTime } from '../record/initcalls.js';

/**
 * The initcalls pcisim models, in the order Linux 6.1 runs them (packages/guest/src/init/main.ts,
 * doInitcalls): each is a phase of the simulated boot under the function's own name.
 */
export const MODELLED_INITCALLS = [
  'amd_postcore_init',
  'pci_arch_init',
  'acpi_init',
  'pci_subsys_init',
  'vga_arb_device_init',
  'pnpacpi_init',
  'pcibios_assign_resources',
  'pci_apply_final_quirks',
  'pcie_portdrv_init',
] as const;

/** Linux's clock before the TSC is calibrated ticks in jiffies: 4 ms at the cloud kernel's HZ=250. */
const JIFFY_US = 4000;

export interface InitcallComparison {
  fn: string;
  /** the guest's duration, µs; null when the console has no line for it */
  measuredUs: number | null;
  /** whole jiffies: measured by the guest's clock before its TSC was calibrated, so ±4 ms */
  coarse: boolean;
  /** pcisim's time for the initcall's config accesses and their exits under the profile, µs */
  predictedUs: number;
  /** predicted / measured (null when nothing was measured or the measurement is 0) */
  configShare: number | null;
  /** measured − predicted: the initcall's other guest work, µs (null when nothing was measured) */
  otherUs: number | null;
}

export interface TimeValidation {
  scenario: string;
  /** the accelerator the recording ran under (recordedWith.accel) */
  accel: string;
  profile: string;
  initcalls: InitcallComparison[];
  total: { measuredUs: number; predictedUs: number; configShare: number | null };
  /** one line each: what to keep in mind when reading the figures */
  notes: string[];
}

interface TimeRecording {
  scenario?: string;
  qemuArgs: string[];
  append: string;
  recordedWith?: { accel?: string };
  initcalls?: InitcallTime[];
}

function readRecording(path: string): TimeRecording {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code !== undefined) throw new PcisimError(`${path}: cannot read: ${err.code === 'ENOENT' ? 'no such file' : err.code}`);
    throw new PcisimError(`${path}: not a recording JSON (${err.message.replace(/\s*[\r\n]+\s*/g, ' ')})`);
  }
  const r = json as Partial<TimeRecording> | null;
  if (typeof r !== 'object' || r === null || !Array.isArray(r.qemuArgs) || typeof r.append !== 'string') {
    throw new PcisimError(`${path}: not a recording (no qemuArgs and append: pcisim record writes them)`);
  }
  return r as TimeRecording;
}

/** The recording's initcall durations: its own field, else its console log beside it. */
export function recordingInitcalls(path: string, rec: { initcalls?: InitcallTime[] }): InitcallTime[] {
  if (Array.isArray(rec.initcalls) && rec.initcalls.length > 0) return rec.initcalls;
  const consolePath = path.replace(/(\.kvm)?\.json$/, '.console.log');
  const list = existsSync(consolePath) ? parseInitcalls(readFileSync(consolePath, 'latin1')) : [];
  if (list.length === 0) {
    throw new PcisimError(
      `${path}: no initcall durations (no "initcall … returned … after N usecs" line in ${existsSync(consolePath) ? consolePath : 'its console log, which is missing'}): record with initcall_debug loglevel=8 in -append (pcisim record --accel kvm adds them)`,
    );
  }
  return list;
}

/** Each modelled initcall: measured (the recording) against predicted (pcisim, under the profile). */
export function validateTime(path: string, cost: CostProfile | string = 'lkml-2020'): TimeValidation {
  const rec = readRecording(path);
  const measured = recordingInitcalls(path, rec);
  const profile = resolveCostProfile(cost);
  const args = rec.qemuArgs.includes('-m') ? [...rec.qemuArgs] : ['-m', '512', ...rec.qemuArgs];
  if (rec.append) args.push('-append', rec.append);
  const trace = new TraceCollector();
  const sim = bootScenario(parseQemuArgs(args), { costProfile: profile, trace });
  const spans = sim.trace?.spans ?? [];
  const initcalls: InitcallComparison[] = MODELLED_INITCALLS.map((fn) => {
    const span = spans.find((s) => s.layer === 'guest' && s.name === fn);
    const predictedUs = span ? (span.endNs - span.startNs) / 1000 : 0;
    const m = measured.find((x) => x.fn === fn);
    const measuredUs = m ? m.usecs : null;
    return {
      fn,
      measuredUs,
      coarse: measuredUs !== null && measuredUs % JIFFY_US === 0,
      predictedUs,
      configShare: measuredUs ? predictedUs / measuredUs : null,
      otherUs: measuredUs === null ? null : measuredUs - predictedUs,
    };
  });
  const measuredUs = initcalls.reduce((s, c) => s + (c.measuredUs ?? 0), 0);
  const predictedUs = initcalls.reduce((s, c) => s + c.predictedUs, 0);
  const accel = rec.recordedWith?.accel ?? 'unknown';
  const notes: string[] = [];
  if (accel === 'tcg' && profile.name !== 'tcg-reference') {
    notes.push(`this recording ran under TCG, where an I/O access is a call into QEMU, not an exit: --cost tcg-reference prices it; ${profile.name} prices KVM's exits (record with --accel kvm to check those)`);
  }
  if (accel === 'kvm' && profile.name === 'tcg-reference') notes.push('this recording ran under KVM: price it with a KVM profile (pcisim calibrate on the machine it ran on)');
  if (initcalls.some((c) => c.coarse)) notes.push(`durations marked ~ are whole jiffies (${JIFFY_US / 1000} ms): the guest timed them before its TSC clock was calibrated`);
  if (initcalls.some((c) => c.configShare !== null && c.configShare > 1 && !c.coarse)) {
    notes.push("a share above 100 %: pcisim charges more than the guest measured, so the profile's exits cost more than they did on the recording's machine");
  }
  const missing = initcalls.filter((c) => c.measuredUs === null && c.predictedUs > 0).map((c) => c.fn);
  if (missing.length > 0) notes.push(`no initcall_debug line for ${missing.join(', ')} (not built in, or the console was cut)`);
  return {
    scenario: rec.scenario ?? path.replace(/^.*\//, '').replace(/(\.kvm)?\.json$/, ''),
    accel,
    profile: profile.name,
    initcalls,
    total: { measuredUs, predictedUs, configShare: measuredUs > 0 ? predictedUs / measuredUs : null },
    notes,
  };
}

/** The comparison as text: one row per initcall, then the total and the notes. */
export function formatTimeValidation(v: TimeValidation): string {
  const us = (x: number | null): string => (x === null ? '–' : x >= 100 ? Math.round(x).toLocaleString('en-US') : x.toFixed(1));
  const pct = (x: number | null): string => (x === null ? '–' : `${(x * 100).toFixed(1)} %`);
  const w = Math.max(...v.initcalls.map((c) => c.fn.length), 'initcall'.length);
  const head = `${'initcall'.padEnd(w)}  ${'measured µs'.padStart(12)}  ${'pcisim µs'.padStart(10)}  ${'config exits'.padStart(12)}  ${'other guest work µs'.padStart(19)}`;
  const line = (fn: string, m: number | null, coarse: boolean, p: number, share: number | null, other: number | null): string =>
    `${fn.padEnd(w)}  ${`${coarse ? '~' : ''}${us(m)}`.padStart(12)}  ${us(p).padStart(10)}  ${pct(share).padStart(12)}  ${us(other).padStart(19)}`;
  const lines = [
    `${v.scenario}: each PCI initcall as the guest timed it (initcall_debug, under ${v.accel}) against pcisim's config-access time under ${v.profile}`,
    '',
    head,
    ...v.initcalls.map((c) => line(c.fn, c.measuredUs, c.coarse, c.predictedUs, c.configShare, c.otherUs)),
    line('total', v.total.measuredUs, false, v.total.predictedUs, v.total.configShare, v.total.measuredUs - v.total.predictedUs),
    '',
    "config exits: pcisim's time for the initcall's config accesses and their exits, as a share of the measured duration; other guest work: the rest, which pcisim does not model",
    ...v.notes,
  ];
  return lines.join('\n') + '\n';
}
