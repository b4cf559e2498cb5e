/**
 * @module
 * `pcisim cost show <profile|file.json> [--json]`: a cost profile's nanoseconds per event with their sources.
 * `--json` prints it in the file format `--cost <file.json>` reads (@sim/kvm's `parseCostProfile`), so a user
 * starts their own from a built-in one.
 */
import { costProfiles, COST_EVENTS } from '@sim/kvm';
import { costProfileFile, resolveCostProfile } from '../core/cost.js';
import { UsageError } from '../core/errors.js';
import type { ParsedArgs } from './options.js';
import type { CliIo } from './io.js';
import { formatJson } from '../formats/json.js';

export function costCommand(args: ParsedArgs, io: CliIo): number {
  const [verb, name, extra] = args.positionals;
  const names = Object.keys(costProfiles).join(', ');
  if (verb !== 'show') throw new UsageError(`cost takes 'show <profile|file.json>'${verb === undefined ? '' : `, not '${verb}'`} (built-in profiles: ${names})`);
  if (name === undefined) throw new UsageError(`cost show needs a profile: ${names}, or a file`);
  if (extra !== undefined) throw new UsageError(`cost show takes one profile, got '${name}' and '${extra}'`);
  const p = resolveCostProfile(name);
  if (args.flag('--json')) {
    io.stdout(formatJson(costProfileFile(p)));
    return 0;
  }
  const w = Math.max(...COST_EVENTS.map((e) => e.length));
  const nw = Math.max(...COST_EVENTS.map((e) => String(p.ns[e]).length));
  const lines = [`${p.name}: ${p.description}`, `source: ${p.source}`];
  // a measured profile (pcisim calibrate): the machine, and each figure's p10-p90 before its method
  if (p.host) lines.push(`host: ${Object.entries(p.host).map(([k, v]) => `${k} ${String(v)}`).join('; ')}`);
  lines.push('', `event (ns per event${p.spread ? '; p10-p90' : ''})`);
  const spread = (e: (typeof COST_EVENTS)[number]): string => {
    const s = p.spread?.[e];
    return s ? `  ${`${s.p10}-${s.p90}`.padEnd(20)}` : '';
  };
  for (const e of COST_EVENTS) lines.push(`  ${e.padEnd(w)}  ${String(p.ns[e]).padStart(nw)}${spread(e)}${p.sources?.[e] ? `  ${p.sources[e]}` : ''}`);
  io.stdout(lines.join('\n') + '\n');
  return 0;
}
