/**
 * @module
 * `pcisim sweep <matrix.json> [--jobs N] [--fresh-machines]`: a scenario matrix on N threads, one JSON line per
 * scenario on stdout (a scenario that fails is a line with its error), a progress line on stderr when it is a
 * terminal, and a summary line on stderr always; exit 1 when any scenario failed.
 */
import { readFileSync } from 'node:fs';
import { checkMatrix, SweepMatrixError } from '../core/sweep/matrix.js';
import { runSweep, type SweepSummary } from '../core/sweep/run.js';
import { UsageError } from '../core/errors.js';
import { parseArgs, type ParsedArgs } from './options.js';
import type { CliIo } from './io.js';
import { formatJsonLine } from '../formats/json.js';

/** Parses `<matrix.json> [--jobs N] [--fresh-machines]` and runs the sweep; resolves to the summary. */
export async function sweepCommand(argv: readonly string[], io: CliIo): Promise<SweepSummary> {
  return runSweepCommand(parseArgs('sweep', argv), io);
}

/** `pcisim sweep`: a matrix that cannot be read or is wrong exits 2 with one line naming it. */
export async function sweepCmd(args: ParsedArgs, io: CliIo): Promise<number> {
  try {
    const summary = await runSweepCommand(args, io);
    // a scenario that failed is a line with its error on stdout; the status says some did (as make -k does)
    return summary.errors > 0 ? 1 : 0;
  } catch (e) {
    if (!(e instanceof SweepMatrixError)) throw e;
    io.stderr(`pcisim: ${e.message}\n`);
    return 2;
  }
}

async function runSweepCommand(args: ParsedArgs, io: CliIo): Promise<SweepSummary> {
  const [file, extra] = args.positionals;
  if (file === undefined) throw new UsageError('sweep needs a matrix file (JSON: {"base": {...}, "axes": {...}})');
  if (extra !== undefined) throw new UsageError(`one matrix file, got '${file}' and '${extra}'`);
  const j = args.value('--jobs') ?? '1';
  if (!/^[1-9][0-9]*$/.test(j)) throw new UsageError(`--jobs needs a positive integer, got '${j}'`);
  const jobs = Number(j);
  const freshMachines = args.flag('--fresh-machines');
  let text: string;
  try {
    text = readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (e) {
    throw new SweepMatrixError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    // V8's message quotes the text around the error, line breaks and all: one line
    throw new SweepMatrixError(`${file} is not JSON: ${(e as Error).message.replace(/\s*[\r\n]+\s*/g, ' ')}`);
  }
  const matrix = checkMatrix(parsed);
  const tty = io.stderrIsTTY === true;
  let lastDraw = 0;
  let out: string[] = [];
  const flush = (): void => {
    if (out.length) io.stdout(out.join(''));
    out = [];
  };
  const summary = await runSweep(matrix, {
    jobs,
    freshMachines,
    onResult: (r) => {
      out.push(formatJsonLine(r));
      if (out.length >= 256) flush();
    },
    onProgress: tty
      ? (done, total) => {
          const now = performance.now();
          if (done !== total && now - lastDraw < 100) return;
          lastDraw = now;
          flush();
          io.stderr(`\rpcisim sweep: ${done}/${total} scenarios (${Math.floor((100 * done) / total)}%)`);
        }
      : undefined,
  });
  flush();
  {
    // always, so that `pcisim sweep m.json > out.jsonl` says how many failed; over the progress line on a terminal
    const built = summary.machines.built;
    io.stderr(
      `${tty ? '\r' : ''}pcisim sweep: ${summary.scenarios} scenarios, ${summary.errors} failed, ${(summary.wallMs / 1000).toFixed(2)} s on ${summary.jobs} thread${summary.jobs === 1 ? '' : 's'}, ${built} machine${built === 1 ? '' : 's'} built\n`,
    );
  }
  return summary;
}

/** `pcisim sweep <matrix.json> [--jobs N] [--fresh-machines]`: one JSON line per scenario; a scenario that fails is a line with its error. */
