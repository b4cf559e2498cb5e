/**
 * @module
 * `pcisim report --html out.html`: the boot and the compare matrix as one self-contained page.
 */
import { compare, DEFAULT_SETS } from '../core/compare.js';
import { bootScenario } from '../core/boot-scenario.js';
import { TraceCollector } from '../core/collector.js';
import { UsageError } from '../core/errors.js';
import { renderHtmlReport } from '../formats/html-report.js';
import type { ParsedArgs } from './options.js';
import { costOf, scenarioOf, writeOutputFile } from './common.js';
import type { CliIo } from './io.js';

export function reportCommand(args: ParsedArgs, io: CliIo): number {
  const out = args.value('--html');
  if (out === undefined) throw new UsageError('report needs --html <out.html>');
  const scenario = scenarioOf(args);
  const boot = bootScenario(scenario, { ...costOf(args), trace: new TraceCollector() });
  const cmp = compare(scenario, DEFAULT_SETS, args.value('--cost'));
  writeOutputFile('--html', out, renderHtmlReport({ boot, compare: cmp }));
  io.stdout(`pcisim report: wrote ${out}\n`);
  return 0;
}
