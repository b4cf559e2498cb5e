/**
 * @module
 * `pcisim bench [--json] [case…]`: BENCHMARKS.md's figures on this machine.
 */
import { UsageError } from '../core/errors.js';
import type { ParsedArgs } from './options.js';
import type { CliIo } from './io.js';

export async function benchCommand(args: ParsedArgs, io: CliIo): Promise<number> {
  const { runBench } = await import('../core/bench/index.js');
  try {
    await runBench({ json: args.flag('--json'), cases: [...args.positionals], write: io.stdout });
  } catch (e) {
    // an unknown case name
    if (e instanceof RangeError) throw new UsageError(e.message);
    throw e;
  }
  return 0;
}
