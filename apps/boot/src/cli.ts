/**
 * @module
 * `pcisim`: a thin command over exported functions, so tests run it without spawning a process.
 * Errors become one line on stderr in the style of the tool that would raise them, and an exit status:
 * 1 for a failed run, 2 for a usage error.
 */
import { readFileSync } from 'node:fs';
import { errorLine } from './core/errors.js';
import type { CliIo } from './commands/io.js';
import { COMMANDS, asksForHelp, commandHelp, parseArgs, usageText, type CommandName, type ParsedArgs } from './commands/options.js';
import { bootCommand } from './commands/boot.js';
// Each other command loads its modules when it runs (`await import`): `pcisim boot` is a cold process most of
// the time, and loading compare, validate, record, bench, sweep and the HTML report was ~15 % of it.

export type { CliIo } from './commands/io.js';

/** The top-level usage: every command with its options (from the option table). */
export const USAGE = usageText();

const RUN: Record<CommandName, (args: ParsedArgs, io: CliIo) => Promise<number> | number> = {
  boot: bootCommand,
  compare: async (a, io) => (await import('./commands/compare.js')).compareCommand(a, io),
  topology: async (a, io) => (await import('./commands/topology.js')).topologyCommand(a, io),
  report: async (a, io) => (await import('./commands/report.js')).reportCommand(a, io),
  validate: async (a, io) => (await import('./commands/validate.js')).validateCommand(a, io),
  record: async (a, io) => (await import('./commands/record.js')).recordCommand(a, io),
  'import-trace': async (a, io) => (await import('./commands/import-trace.js')).importTraceCommand(a, io),
  bench: async (a, io) => (await import('./commands/bench.js')).benchCommand(a, io),
  sweep: async (a, io) => (await import('./commands/sweep.js')).sweepCmd(a, io),
  cost: async (a, io) => (await import('./commands/cost.js')).costCommand(a, io),
  calibrate: async (a, io) => (await import('./commands/calibrate.js')).calibrateCommand(a, io),
};

/** Runs one command; resolves to the exit status (0 ok, 1 failed, 2 usage). */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const [cmd, ...rest] = argv;
  try {
    if (cmd === 'help' && rest[0] !== undefined && (COMMANDS as readonly string[]).includes(rest[0])) {
      io.stdout(commandHelp(rest[0] as CommandName));
      return 0;
    }
    if (cmd === undefined || cmd === 'help' || cmd === '--help' || cmd === '-h') {
      io.stdout(USAGE + '\n');
      return cmd === undefined ? 2 : 0;
    }
    if (cmd === '--version' || cmd === '-V') {
      io.stdout(`pcisim ${appVersion()}\n`);
      return 0;
    }
    if (!(COMMANDS as readonly string[]).includes(cmd)) {
      io.stderr(`pcisim: unknown command '${cmd}' (pcisim --help lists the commands)\n`);
      return 2;
    }
    const command = cmd as CommandName;
    if (asksForHelp(rest)) {
      io.stdout(commandHelp(command));
      return 0;
    }
    return await RUN[command](parseArgs(command, rest), io);
  } catch (e) {
    return reportError(e, io);
  }
}

/** the app's version, from its package.json (next to src/ and dist/ alike) */
function appVersion(): string {
  return (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
}

function reportError(e: unknown, io: CliIo): number {
  const r = errorLine(e);
  if (!r) throw e;
  io.stderr(r.line + '\n');
  return r.status;
}
