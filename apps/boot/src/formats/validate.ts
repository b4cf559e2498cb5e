/**
 * @module
 * The text and Markdown of `pcisim validate`: per reference, exact or the fields and first access that differ;
 * the fidelity table of docs/fidelity.md.
 */
import { readFileSync } from 'node:fs';
import { validateReference, type ValidateResult } from '../core/validate.js';
import type { BootReport, ConfigTally } from '../core/report-types.js';
import { errorLine } from '../core/errors.js';

export function formatValidate(r: ValidateResult): string {
  const out: string[] = [];
  out.push(`${r.scenario}: ${r.exact ? 'exact' : 'differs'} (firmware ${r.phases.firmware ? 'exact' : 'differs'}, linux ${r.phases.linux ? 'exact' : 'differs'})`);
  for (const d of r.diffs.slice(0, 40)) out.push(`  ${d.field}: simulated ${JSON.stringify(d.simulated)}, real ${JSON.stringify(d.real)}`);
  if (r.diffs.length > 40) out.push(`  … ${r.diffs.length - 40} more fields differ`);
  for (const ph of ['firmware', 'linux'] as const) {
    const f = r.firstDivergence[ph];
    if (f) out.push(`  ${ph}: first diverging access #${f.index}: simulated ${f.simulated ?? '(none)'} | real ${f.real ?? '(none)'}`);
  }
  if (!r.accessesCompared) out.push('  (no .accesses.txt.gz beside the JSON: compared the counts only)');
  return out.join('\n') + '\n';
}

/** One Markdown table row per fixture: simulated vs real counts per phase, and where it first differs. */
export function formatValidateMarkdown(results: { path: string; result?: ValidateResult; error?: string; real?: BootReport }[]): string {
  const lines = [
    '| fixture | phase | real conf1 / mmcfg / absent | simulated conf1 / mmcfg / absent | status |',
    '|---|---|---|---|---|',
  ];
  for (const { path, result, error, real } of results) {
    const name = path.replace(/^.*\//, '').replace(/\.json$/, '');
    if (!result) {
      lines.push(`| ${name} | — | ${real ? tallyCell(real.phases.linux.config) : ''} | — | not simulated: ${error ?? ''} |`);
      continue;
    }
    for (const ph of ['firmware', 'linux'] as const) {
      const f = result.firstDivergence[ph];
      const counts = result.diffs.filter((d) => d.field.startsWith(`${ph}.`));
      const status = result.phases[ph] ? 'exact' : f ? `differs from access #${f.index}: \`${f.simulated ?? '(none)'}\` vs \`${f.real ?? '(none)'}\`` : `counts differ (${counts.length} fields)`;
      lines.push(`| ${name} | ${ph} | ${real ? tallyCell(real.phases[ph].config) : ''} | ${result.simulated ? tallyCell(result.simulated.phases[ph].config) : ''} | ${status} |`);
    }
  }
  return lines.join('\n') + '\n';
}

function tallyCell(c: ConfigTally): string {
  return c.accesses ? `${c.accesses.conf1} / ${c.accesses.mmcfg} / ${c.absent}` : '—';
}

/** The fidelity table of docs/fidelity.md for these reference files (fixture names only, no paths). */
export function fidelityMarkdown(paths: string[]): string {
  const rows = paths.map((path) => {
    try {
      const result = validateReference(path);
      return { path, result, real: readReal(path) };
    } catch (e) {
      const err = errorLine(e);
      if (!err) throw e;
      return { path, error: err.line, real: readReal(path) };
    }
  });
  return formatValidateMarkdown(rows);
}

/** the recording's own counts for the table, when the file has them */
function readReal(path: string): BootReport | undefined {
  try {
    const j = JSON.parse(readFileSync(path, 'utf8')) as BootReport;
    return j.phases?.firmware?.config?.accesses && j.phases.linux?.config?.accesses ? j : undefined;
  } catch {
    return undefined;
  }
}
