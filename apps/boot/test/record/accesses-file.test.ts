import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { ACCESSES_HEADER, formatAccess, parseAccessLine, readAccessesFile, writeAccessesFile } from '../../src/record/accesses-file.js';
import { RecordError } from '../../src/record/errors.js';
import type { AccessRecord } from '../../src/core/report-types.js';
import { FIXTURES, REFERENCE_SCENARIOS, tempDirs } from './helpers.js';

const tmp = tempDirs();

describe('accesses file', () => {
  it.each(REFERENCE_SCENARIOS)('%s: every line parses and formats back to the same text', async (scenario) => {
    const path = join(FIXTURES, `${scenario}.accesses.txt.gz`);
    const text = gunzipSync(readFileSync(path)).toString('utf8');
    const lines = text.split('\n').filter((l) => l !== '');
    expect(lines[0]).toBe(ACCESSES_HEADER);
    const records: AccessRecord[] = [];
    for await (const a of readAccessesFile(path)) records.push(a);
    expect(records.map(formatAccess)).toEqual(lines.slice(1));
  });

  it('writes what it reads, gzipped', async () => {
    const src = join(FIXTURES, 'microvm-pcie.accesses.txt.gz');
    const records: AccessRecord[] = [];
    for await (const a of readAccessesFile(src)) records.push(a);
    const out = join(tmp(), 'x.accesses.txt.gz');
    await writeAccessesFile(out, records);
    expect(gunzipSync(readFileSync(out)).toString()).toBe(gunzipSync(readFileSync(src)).toString());
  });

  it('keeps 64-bit traced values exactly', () => {
    const a = parseAccessLine('L mmcfg r 00:02.0 0x000/4 0xffffffffffffffff');
    expect(a).toMatchObject({ value: 0xffffffff, valueHex: '0xffffffffffffffff' });
    expect(a && formatAccess(a)).toBe('L mmcfg r 00:02.0 0x000/4 0xffffffffffffffff');
  });

  it('rejects a bad line with its number', () => {
    expect(parseAccessLine('# comment')).toBeUndefined();
    try {
      parseAccessLine('L conf1 x 00:00.0 0x000/4 0x0', 7, 'f.txt');
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(RecordError);
      expect((e as RecordError).code).toBe('BAD_ACCESS_LINE');
      expect((e as RecordError).message).toMatch(/^f\.txt:7: /);
    }
  });
});
