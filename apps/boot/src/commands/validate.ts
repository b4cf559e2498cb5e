/**
 * @module
 * `pcisim validate <reference.json>…`: each recording's command line simulated and compared with it; exit 1
 * when one differs.
 */
import { validateReference } from '../core/validate.js';
import { UsageError } from '../core/errors.js';
import { formatValidate, fidelityMarkdown } from '../formats/validate.js';
import type { ParsedArgs } from './options.js';
import type { CliIo } from './io.js';
import { formatJsonLine } from '../formats/json.js';

export function validateCommand(args: ParsedArgs, io: CliIo): number {
  const files = args.positionals;
  if (files.length === 0) throw new UsageError('validate needs a reference JSON');
  if (args.flag('--markdown')) {
    const table = fidelityMarkdown([...files]);
    io.stdout(table);
    return table.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| fixture')).every((l) => l.includes('| exact |')) ? 0 : 1;
  }
  const json = args.flag('--json');
  let allExact = true;
  for (const f of files) {
    const r = validateReference(f);
    allExact &&= r.exact;
    io.stdout(json ? formatJsonLine(r) : formatValidate(r));
  }
  return allExact ? 0 : 1;
}
