/**
 * @module
 * `pcisim bench`: BENCHMARKS.md's figures on this machine.
 */
import { UsageError } from '../core/errors.js';
import type { CliIo } from './io.js';

/** `pcisim bench [--json] [case…]`: BENCHMARKS.md's figures on this machine. */
export async function benchCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const json = argv.includes('--json');
  const cases = argv.filter((a) => a !== '--json');
  const unknown = cases.find((a) => a.startsWith('-'));
  if (unknown) throw new UsageError(`unknown option '${unknown}'`);
  const { runBench } = await import('../core/bench/index.js');
  try {
    await runBench({ json, cases, write: io.stdout });
  } catch (e) {
    if (e instanceof RangeError) throw new UsageError(e.message);
    throw e;
  }
  return 0;
}
