/**
 * @module
 * `pcisim report --html out.html`: the boot and the compare matrix as one self-contained page.
 */
import { writeFileSync } from 'node:fs';
import { parseQemuArgs } from '../core/scenario.js';
import { compare, DEFAULT_SETS } from '../core/compare.js';
import { bootScenario } from '../core/boot-scenario.js';
import { TraceCollector } from '../core/collector.js';
import { UsageError, takeOption } from '../core/errors.js';
import { renderHtmlReport } from '../formats/html-report.js';
import type { CliIo } from './io.js';

/** `pcisim report [qemu options] [--cost <profile>] --html out.html`: the boot and the compare matrix as one page */
export async function reportCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const args = [...argv];
  const out = takeOption(args, '--html');
  if (out === undefined) throw new UsageError('report needs --html <out.html>');
  const cost = takeOption(args, '--cost');
  let qemu = args;
  if (qemu[0] === '--') qemu = qemu.slice(1);
  if (qemu[0] && /qemu-system/.test(qemu[0])) qemu = qemu.slice(1);
  const unknown = qemu.find((a) => a.startsWith('--'));
  if (unknown) throw new UsageError(`unknown option '${unknown}'`);
  const scenario = parseQemuArgs(qemu);
  const boot = bootScenario(scenario, { ...(cost !== undefined ? { costProfile: cost } : {}), trace: new TraceCollector() });
  const cmp = compare(scenario, DEFAULT_SETS, cost);
  writeFileSync(out, renderHtmlReport({ boot, compare: cmp }));
  io.stdout(`pcisim report: wrote ${out}\n`);
  return 0;
}
