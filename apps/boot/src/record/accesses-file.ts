/**
 * @module
 * The `<scenario>.accesses.txt(.gz)` format: one config access a line, in boot order.
 *
 *     # phase mech rw bus:dev.fn reg/size value   (value as traced by QEMU, unmasked)
 *     F conf1 r 00:00.0 0x000/2 0x8086
 *     L mmcfg r 00:02.0 0x000/4 0xffffffffffffffff
 */

import { createReadStream, createWriteStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';
import type { AccessRecord } from '../core/report-types.js';
import { RecordError } from './errors.js';
import { formatBdf } from './tally.js';

export const ACCESSES_HEADER = '# phase mech rw bus:dev.fn reg/size value   (value as traced by QEMU, unmasked)';

/** One line, without newline. */
export function formatAccess(a: AccessRecord): string {
  const value = a.valueHex ?? `0x${a.value.toString(16)}`;
  return `${a.phase} ${a.mech} ${a.write ? 'w' : 'r'} ${formatBdf(a.bus, a.devfn)} 0x${a.reg.toString(16).padStart(3, '0')}/${a.size} ${value}`;
}

const LINE_RE = /^([FL]) (conf1|mmcfg) ([rw]) ([0-9a-f]{2}):([0-9a-f]{2})\.([0-7]) 0x([0-9a-f]{1,3})\/([1248]) 0x([0-9a-f]+)$/;

/**
 * The hex digits of a traced value as `value` (+ `valueHex` when a double cannot hold it exactly:
 * QEMU's mmcfg handler returns a 64-bit all-ones for a missing device).
 */
export function traceValue(hexDigits: string, size: number): Pick<AccessRecord, 'value' | 'valueHex'> {
  if (hexDigits.length <= 13) return { value: Number.parseInt(hexDigits, 16) };
  const big = BigInt(`0x${hexDigits}`);
  if (big <= BigInt(Number.MAX_SAFE_INTEGER)) return { value: Number(big) };
  const masked = Number(big & ((1n << BigInt(size * 8)) - 1n));
  return { value: masked, valueHex: `0x${big.toString(16)}` };
}

/** One line back into a record; `undefined` for the header, comments and blank lines. */
export function parseAccessLine(line: string, lineNo?: number, file?: string): AccessRecord | undefined {
  if (line === '' || line.startsWith('#')) return undefined;
  const m = LINE_RE.exec(line.trimEnd());
  if (!m) {
    throw new RecordError('BAD_ACCESS_LINE', `not an access line: ${JSON.stringify(line.slice(0, 80))}`, {
      ...(lineNo !== undefined ? { line: lineNo } : {}),
      ...(file !== undefined ? { file } : {}),
    });
  }
  const [, phase, mech, rw, bus, dev, fn, reg, size, value] = m as unknown as [string, 'F' | 'L', 'conf1' | 'mmcfg', string, string, string, string, string, string, string];
  const sz = Number(size);
  return {
    phase,
    mech,
    write: rw === 'w',
    bus: Number.parseInt(bus, 16),
    devfn: (Number.parseInt(dev, 16) << 3) | Number(fn),
    reg: Number.parseInt(reg, 16),
    size: sz,
    ...traceValue(value, sz),
  };
}

/** Streams the records of an `.accesses.txt` file, gunzipping when the name ends in `.gz`. */
export async function* readAccessesFile(path: string): AsyncGenerator<AccessRecord> {
  const raw = createReadStream(path);
  const input = path.endsWith('.gz') ? raw.pipe(createGunzip()) : raw;
  raw.on('error', (e) => input.destroy(e));
  const rl = createInterface({ input, crlfDelay: Infinity });
  let n = 0;
  try {
    for await (const line of rl) {
      n++;
      const a = parseAccessLine(line, n, path);
      if (a) yield a;
    }
  } catch (e) {
    if (e instanceof RecordError) throw e;
    throw new RecordError('IO_ERROR', `cannot read accesses: ${(e as Error).message}`, { file: path, cause: e });
  } finally {
    rl.close();
    raw.destroy();
  }
}

/** Writes the header and every record, gzipped when the name ends in `.gz`. */
export async function writeAccessesFile(path: string, accesses: Iterable<AccessRecord>): Promise<void> {
  function* chunks(): Generator<string> {
    // Batch lines so a 10k-access file is a handful of writes, not 10k.
    let buf = `${ACCESSES_HEADER}\n`;
    for (const a of accesses) {
      buf += `${formatAccess(a)}\n`;
      if (buf.length > 1 << 16) {
        yield buf;
        buf = '';
      }
    }
    yield buf;
  }
  const src = Readable.from(chunks());
  const out = createWriteStream(path);
  try {
    await (path.endsWith('.gz') ? pipeline(src, createGzip({ level: 9 }), out) : pipeline(src, out));
  } catch (e) {
    throw new RecordError('IO_ERROR', `cannot write accesses: ${(e as Error).message}`, { file: path, cause: e });
  }
}
