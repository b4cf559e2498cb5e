#!/usr/bin/env node
/**
 * @module
 * The `pcisim` executable: {@link runCli} on the process's arguments and streams; its result is the exit status.
 */
import { runCli } from './cli.js';

process.exitCode = await runCli(process.argv.slice(2), {
  stdout: (s) => process.stdout.write(s),
  stderr: (s) => process.stderr.write(s),
  stderrIsTTY: process.stderr.isTTY === true,
});
