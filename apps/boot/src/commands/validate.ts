/**
 * @module
 * `pcisim validate <reference.json>…`: each recording's command line simulated and compared with it; exit 1
 * when one differs. A file that cannot be read or simulated is one line naming it (stderr; with --json, a
 * line `{"file", "exact": false, "error"}`), and the rest are still validated: exit 1 at the end.
 */
import { validateReference } from '../core/validate.js';
import { formatTimeValidation, validateTime } from '../core/validate-time.js';
import { errorLine, UsageError } from '../core/errors.js';
import { formatValidate, fidelityMarkdown } from '../formats/validate.js';
import type { ParsedArgs } from './options.js';
import type { CliIo } from './io.js';
import { formatJsonLine } from '../formats/json.js';

/** --time: each recording's initcalls against pcisim's time under --cost; a file that cannot be read is a line, the rest go on */
function validateTimeCommand(files: readonly string[], args: ParsedArgs, io: CliIo): number {
  if (args.flag('--markdown')) throw new UsageError('validate --time prints text or --json, not --markdown');
  const cost = args.value('--cost') ?? 'lkml-2020';
  let ok = true;
  for (const f of files) {
    try {
      const v = validateTime(f, cost);
      io.stdout(args.flag('--json') ? formatJsonLine(v) : formatTimeValidation(v));
    } catch (e) {
      const err = errorLine(e);
      if (!err) throw e;
      ok = false;
      const line = err.line.includes(f) ? err.line : `${err.line} (${f})`;
      if (args.flag('--json')) io.stdout(formatJsonLine({ file: f, error: line }));
      else io.stderr(line + '\n');
    }
  }
  return ok ? 0 : 1;
}

export function validateCommand(args: ParsedArgs, io: CliIo): number {
  const files = args.positionals;
  if (files.length === 0) throw new UsageError('validate needs a reference JSON');
  if (args.flag('--markdown') && args.flag('--json')) throw new UsageError('validate: --markdown and --json print different things; give one');
  if (args.flag('--time')) return validateTimeCommand(files, args, io);
  if (args.value('--cost') !== undefined) throw new UsageError('validate takes --cost with --time only (counts do not depend on the cost profile)');
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
