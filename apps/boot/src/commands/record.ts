/**
 * @module
 * `pcisim record`: a real QEMU boot traced and tallied into a reference.
 */
import { takeOption } from '../core/errors.js';
import type { CliIo } from './io.js';

export async function recordCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const args = [...argv];
  const scenario = takeOption(args, '--scenario') ?? 'recording';
  const outDir = takeOption(args, '--out') ?? '.';
  const append = takeOption(args, '-append') ?? '';
  const { recordBoot } = await import('../record/record.js');
  const r = await recordBoot({ qemuArgs: args, append, scenario, outDir, onConsoleLine: () => {} });
  for (const w of r.warnings) io.stderr(`pcisim record: warning: ${w}\n`);
  const l = r.report.phases.linux.config;
  io.stdout(`${scenario}: linux conf1 ${l.accesses.conf1}, mmcfg ${l.accesses.mmcfg}, absent ${l.absent}; wrote ${Object.values(r.files).join(', ')}\n`);
  return 0;
}
