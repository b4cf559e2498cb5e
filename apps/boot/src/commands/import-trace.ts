/**
 * @module
 * `pcisim import-trace <trace.log>`: a QEMU trace recorded elsewhere, tallied as `record` would.
 */
import { UsageError } from '../core/errors.js';
import type { ParsedArgs } from './options.js';
import type { CliIo } from './io.js';
import { formatJson } from '../formats/json.js';

export async function importTraceCommand(args: ParsedArgs, io: CliIo): Promise<number> {
  const trace = args.positionals[0];
  if (trace === undefined) throw new UsageError('import-trace needs a trace file');
  const consolePath = args.value('--console');
  const { importTrace } = await import('../record/record.js');
  const r = await importTrace(trace, consolePath !== undefined ? { consolePath } : {});
  for (const w of r.warnings) io.stderr(`pcisim import-trace: warning: ${w}\n`);
  if (args.flag('--json')) io.stdout(formatJson(r.report));
  else {
    for (const ph of ['firmware', 'linux'] as const) {
      const c = r.report.phases[ph].config;
      io.stdout(`${ph}: conf1 ${c.accesses.conf1}, mmcfg ${c.accesses.mmcfg}, total ${c.accesses.total}, absent ${c.absent}\n`);
    }
  }
  return 0;
}
