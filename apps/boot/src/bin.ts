#!/usr/bin/env node
/**
 * @module
 * The `pcisim` executable: {@link runCli} on the process's arguments and streams; its result is the exit status.
 */
import { runCli } from './cli.js';

// `pcisim sweep m.json | head`: the reader has gone. Stop quietly, as a Unix tool does on SIGPIPE (which Node
// ignores, turning it into an EPIPE error on the stream), rather than with an unhandled 'error' event's stack.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(0);
    process.stderr.write(`pcisim: cannot write ${stream === process.stdout ? 'stdout' : 'stderr'}: ${e.code ?? e.message}\n`);
    process.exit(1);
  });
}

try {
  process.exitCode = await runCli(process.argv.slice(2), {
    stdout: (s) => process.stdout.write(s),
    stderr: (s) => process.stderr.write(s),
    stderrIsTTY: process.stderr.isTTY === true,
  });
} catch (e) {
  // runCli turns every error a layer raises into its line; what is left is a bug in pcisim. One line for the
  // user, the stack on request, and EX_SOFTWARE (70, sysexits.h) so that it is not taken for bad input.
  const err = e instanceof Error ? e : new Error(String(e));
  process.stderr.write(
    process.env.PCISIM_DEBUG ? `${err.stack ?? err.message}\n` : `pcisim: internal error: ${err.name}: ${err.message.split('\n')[0]!} (a bug in pcisim; PCISIM_DEBUG=1 prints where)\n`,
  );
  process.exitCode = 70;
}
