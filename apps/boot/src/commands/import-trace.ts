/**
 * @module
 * `pcisim import-trace <trace.log>`: a QEMU trace recorded elsewhere, tallied as `record` would.
 */
import { UsageError, takeOption } from '../core/errors.js';
import type { CliIo } from './io.js';

export async function importTraceCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const args = [...argv];
  const consolePath = takeOption(args, '--console');
  const json = args.includes('--json');
  const files = args.filter((a) => a !== '--json');
  const trace = files[0];
  if (!trace) throw new UsageError('import-trace needs a trace file');
  const { importTrace } = await import('../record/record.js');
  const r = await importTrace(trace, consolePath !== undefined ? { consolePath } : {});
  for (const w of r.warnings) io.stderr(`pcisim import-trace: warning: ${w}\n`);
  if (json) io.stdout(JSON.stringify(r.report, null, 1) + '\n');
  else {
    for (const ph of ['firmware', 'linux'] as const) {
      const c = r.report.phases[ph].config;
      io.stdout(`${ph}: conf1 ${c.accesses.conf1}, mmcfg ${c.accesses.mmcfg}, total ${c.accesses.total}, absent ${c.absent}\n`);
    }
  }
  return 0;
}
