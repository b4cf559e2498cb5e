/**
 * @module
 * `pcisim calibrate [--out host.json]`: this host's cost of each event pcisim charges, measured on its own
 * /dev/kvm by a small C program built on first use (../core/calibrate.ts). With --out, the profile goes to
 * that file; the summary goes to stdout, or with --json the profile's JSON does.
 * Where there is no /dev/kvm or no compiler, one line says which.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { COST_EVENTS } from '@sim/kvm';
import { buildCalibrator, calibrateBlocker, findCompiler, hostInfo, profileFromRows, runCalibrator } from '../core/calibrate.js';
import { costProfileFile } from '../core/cost.js';
import { PcisimError } from '../core/errors.js';
import { formatJson } from '../formats/json.js';
import { writeOutputFile } from './common.js';
import type { ParsedArgs } from './options.js';
import type { CliIo } from './io.js';

export function calibrateCommand(args: ParsedArgs, io: CliIo): number {
  if (args.positionals.length > 0) throw new PcisimError(`calibrate takes no arguments, got '${args.positionals[0]!}'`, true);
  const out = args.value('--out');
  const blocker = calibrateBlocker();
  if (blocker !== undefined) throw new PcisimError(`calibrate: ${blocker}`);
  const started = Date.now();
  const bin = buildCalibrator(findCompiler()!);
  const raw = runCalibrator(bin);
  const host = hostInfo();
  const date = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const name = out !== undefined ? basename(out).replace(/\.json$/i, '') || 'host' : 'host';
  const profile = profileFromRows(raw, host, { name, date, version: appVersion() });
  const text = formatJson(costProfileFile(profile));
  const seconds = ((Date.now() - started) / 1000).toFixed(1);

  const w = Math.max(...COST_EVENTS.map((e) => e.length));
  const lines = [
    `${host.cpu}, ${host.kernel}, ${host.kvmModule}${host.nested ? ', nested (this host is itself a VM)' : ''}`,
    `  ${host.virtualisation}`,
    '',
    `${'event'.padEnd(w)}  ${'ns'.padStart(9)}  ${'p10'.padStart(9)}  ${'p90'.padStart(9)}`,
  ];
  for (const e of COST_EVENTS) {
    const s = profile.spread?.[e];
    lines.push(`${e.padEnd(w)}  ${fmt(profile.ns[e])}  ${fmt(s?.p10)}  ${fmt(s?.p90)}`);
  }
  lines.push('', `measured in ${seconds} s; each figure's method is in the profile's "sources" (pcisim cost show ${out ?? '<file>'})`);
  if (out !== undefined) writeOutputFile('--out', out, text);
  lines.push(out !== undefined ? `wrote ${out}: pcisim boot -M q35 --cost ${out}` : 'nothing written: --out host.json keeps the profile (--json prints it)');
  io.stdout(args.flag('--json') ? text : lines.join('\n') + '\n');
  return 0;
}

const fmt = (v: number | undefined): string => (v === undefined ? '' : v.toFixed(1)).padStart(9);

/** the app's version, as `pcisim --version` reads it (apps/boot/package.json, from src/ and dist/ alike) */
function appVersion(): string {
  return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
}
