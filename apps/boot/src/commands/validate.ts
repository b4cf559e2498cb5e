/**
 * @module
 * `pcisim validate <reference.json>…`: each recording's command line simulated and compared with it; exit 1
 * when one differs. A file that cannot be read or simulated is one line naming it (stderr; with --json, a
 * line `{"file", "exact": false, "error"}`), and the rest are still validated: exit 1 at the end.
 */
import { validateReference } from '../core/validate.js';
import { errorLine, UsageError } from '../core/errors.js';
import { formatValidate, fidelityMarkdown } from '../formats/validate.js';
import type { ParsedArgs } from './options.js';
import type { CliIo } from './io.js';
import { formatJsonLine } from '../formats/json.js';

export function validateCommand(args: ParsedArgs, io: CliIo): number {
  const files = args.positionals;
  if (files.length === 0) throw new UsageError('validate needs a reference JSON');
  if (args.flag('--markdown') && args.flag('--json')) throw new UsageError('validate: --markdown and --json print different things; give one');
  if (args.flag('--markdown')) {
    const table = fidelityMarkdown([...files]);
    io.stdout(table);
    return table.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| fixture')).every((l) => l.includes('| exact |')) ? 0 : 1;
  }
  const json = args.flag('--json');
  let allExact = true;
  for (const f of files) {
    // a file that cannot be read or simulated is a line naming it; the others are still validated
    let r;
    try {
      r = validateReference(f);
    } catch (e) {
      const err = errorLine(e);
      if (!err) throw e;
      allExact = false;
      // the file goes on the error's own line, not after QEMU's hint under it
      const [first, ...hint] = err.line.split('\n');
      const line = err.line.includes(f) ? err.line : [`${first!} (${f})`, ...hint].join('\n');
      if (json) io.stdout(formatJsonLine({ file: f, exact: false, error: line }));
      else io.stderr(line + '\n');
      continue;
    }
    allExact &&= r.exact;
    io.stdout(json ? formatJsonLine(r) : formatValidate(r));
  }
  return allExact ? 0 : 1;
}
