/**
 * @module
 * `node dist/core/bench/child.js <case> [scale]`: runs one bench case in a fresh process (clean JIT state, its own
 * peak RSS) and prints its figures as one JSON line.
 */
import { benchCases } from './index.js';
import { measureCase } from './measure.js';

const [name, scaleArg] = process.argv.slice(2);
const c = benchCases().find((x) => x.name === name);
if (!c) {
  process.stderr.write(`pcisim bench: no case '${String(name)}'\n`);
  process.exit(2);
}
const r = await measureCase(c, scaleArg === undefined ? 1 : Number(scaleArg));
process.stdout.write(JSON.stringify(r) + '\n');
