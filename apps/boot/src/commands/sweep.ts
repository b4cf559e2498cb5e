/**
 * @module
 * `pcisim sweep <matrix.json>`: a scenario matrix on N threads, one JSON line per scenario.
 */
import { readFileSync } from 'node:fs';
import { checkMatrix, SweepMatrixError } from '../core/sweep/matrix.js';
import { runSweep, type SweepSummary } from '../core/sweep/run.js';
import { UsageError } from '../core/errors.js';
import type { CliIo } from './io.js';

export interface SweepCliIo {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  /** stderr is a terminal: draw the progress line */
  stderrIsTTY?: boolean;
}

/** A usage error (`pcisim sweep` exits 2 for it). */
export class SweepUsageError extends Error {
  readonly code = 'USAGE';
}

/** Parses `<matrix.json> [--jobs N] [--fresh-machines]` and runs the sweep; resolves to the summary. */
export async function sweepCommand(argv: readonly string[], io: SweepCliIo): Promise<SweepSummary> {
  let file: string | undefined;
  let jobs = 1;
  let freshMachines = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--jobs' || a === '-j' || a.startsWith('--jobs=')) {
      const v = a.startsWith('--jobs=') ? a.slice(7) : argv[++i];
      if (v === undefined || !/^[1-9][0-9]*$/.test(v)) throw new SweepUsageError(`--jobs needs a positive integer, got ${v === undefined ? 'nothing' : `'${v}'`}`);
      jobs = Number(v);
    } else if (a === '--fresh-machines') {
      freshMachines = true;
    } else if (a.startsWith('-') && a !== '-') {
      throw new SweepUsageError(`unknown option '${a}'`);
    } else if (file === undefined) {
      file = a;
    } else {
      throw new SweepUsageError(`one matrix file, got '${file}' and '${a}'`);
    }
  }
  if (file === undefined) throw new SweepUsageError('sweep needs a matrix file (JSON: {"base": {...}, "axes": {...}})');
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
    throw new SweepMatrixError(`${file} is not JSON: ${(e as Error).message}`);
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
      out.push(JSON.stringify(r) + '\n');
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
  if (tty) {
    const built = summary.machines.built;
    io.stderr(
      `\rpcisim sweep: ${summary.scenarios} scenarios, ${summary.errors} failed, ${(summary.wallMs / 1000).toFixed(2)} s on ${summary.jobs} thread${summary.jobs === 1 ? '' : 's'}, ${built} machine${built === 1 ? '' : 's'} built\n`,
    );
  }
  return summary;
}

/** `pcisim sweep <matrix.json> [--jobs N] [--fresh-machines]`: one JSON line per scenario; a scenario that fails is a line with its error. */
export async function sweepCmd(argv: readonly string[], io: CliIo): Promise<number> {
  try {
    await sweepCommand(argv, io);
    return 0;
  } catch (e) {
    if (e instanceof SweepUsageError) throw new UsageError(e.message);
    if (e instanceof SweepMatrixError) {
      io.stderr(`pcisim: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
}
