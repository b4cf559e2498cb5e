/**
 * @module
 * `pcisim validate <reference.json>…`: each recording's command line simulated and compared with it.
 */
import { validateReference } from '../core/validate.js';
import { UsageError } from '../core/errors.js';
import { formatValidate, fidelityMarkdown } from '../formats/validate.js';
import type { CliIo } from './io.js';

export async function validateCommand(args: readonly string[], io: CliIo): Promise<number> {
  const json = args.includes('--json');
  const markdown = args.includes('--markdown');
  const files = args.filter((a) => a !== '--json' && a !== '--markdown');
  if (files.length === 0) throw new UsageError('validate needs a reference JSON');
  if (markdown) {
    const table = fidelityMarkdown(files);
    io.stdout(table);
    return table.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| fixture')).every((l) => l.includes('| exact |')) ? 0 : 1;
  }
  let allExact = true;
  for (const f of files) {
    const r = validateReference(f);
    allExact &&= r.exact;
    io.stdout(json ? JSON.stringify(r) + '\n' : formatValidate(r));
  }
  return allExact ? 0 : 1;
}
