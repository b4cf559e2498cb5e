/**
 * Crashes the fuzz tests found, each kept as a plain test of its own (the smallest input that showed it), so
 * a regression names itself without a fuzz run.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCli } from '../../src/index.js';

const reference = fileURLToPath(new URL('../../../../reference/', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'pcisim-found-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(argv, { stdout: (s) => void (out += s), stderr: (s) => void (err += s) });
  return { code, out, err };
}

const TRACE = [
  "memory_region_ops_write cpu 0 mr 0x55766e014010 addr 0xcf8 value 0x80000000 size 4 name 'pci-conf-idx'",
  "memory_region_ops_read cpu 0 mr 0x55766e014380 addr 0xcfc value 0x29c08086 size 4 name 'pci-conf-data'",
  "memory_region_ops_read cpu 0 mr 0x55766e014010 addr 0x510 value 0x0 size 2 name 'fwcfg'",
  '',
].join('\n');

describe('crashes the fuzzing found', () => {
  it('import-trace --console: a device line with a device number above 1f is not a device (was RangeError)', async () => {
    const trace = join(dir, 't.log');
    const console = join(dir, 'console.log');
    writeFileSync(trace, TRACE);
    writeFileSync(console, '[    0.3] pci 0000:00:00.0: [8086:29c0] type 00 class 0x060000\n[    0.3] pci 0000:00:28.0: [8086:100e] type 00 class 0x020000\n');
    const r = await run(['import-trace', trace, '--console', console, '--json']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect((JSON.parse(r.out) as { devices: { bdf: string }[] }).devices.map((d) => d.bdf)).toEqual(['00:00.0']);
  });

  it('validate: an accesses file that is not gzip (cut short) is named on one line, exit 1 (was zlib\'s Error with a stack)', async () => {
    const ref = join(dir, 'q35-default.json');
    copyFileSync(join(reference, 'q35-default.json'), ref);
    writeFileSync(join(dir, 'q35-default.accesses.txt.gz'), readFileSync(join(reference, 'q35-default.accesses.txt.gz')).subarray(0, 40));
    const r = await run(['validate', ref]);
    expect(r.err).toBe(`pcisim: ${join(dir, 'q35-default.accesses.txt.gz')}: cannot read the access list (unexpected end of file) (${ref})\n`);
    expect(r.code).toBe(1);
  });

  // V8's JSON.parse message quotes the text around the error with its line breaks: the error spanned lines
  const notJson = '{\n "base": x\n}\n';
  it.each([
    ['sweep', (f: string) => ['sweep', f], 2, 'is not JSON: '],
    ['boot --scenario', (f: string) => ['boot', '--scenario', f], 1, 'is not JSON: '],
    ['validate', (f: string) => ['validate', f], 1, 'not a reference JSON ('],
  ] as const)('%s: a file that is not JSON is one error line, however its text breaks', async (_, argv, code, words) => {
    const f = join(dir, 'broken.json');
    writeFileSync(f, notJson);
    const r = await run(argv(f));
    expect(r.err.split('\n')).toHaveLength(2);
    expect(r.err).toMatch(/^pcisim: /);
    expect(r.err).toContain(words);
    expect(r.code).toBe(code);
  });

  it("validate: a reference QEMU refuses names its file on QEMU's error line, not after the hint under it", async () => {
    const ref = join(dir, 'bad-machine.json');
    const j = JSON.parse(readFileSync(join(reference, 'q35-default.json'), 'utf8')) as { qemuArgs: string[] };
    j.qemuArgs = ['-M', 'nosuch'];
    writeFileSync(ref, JSON.stringify(j));
    const r = await run(['validate', ref]);
    expect(r.err).toBe(`qemu-system-x86_64: unsupported machine type (${ref})\nUse -machine help to list supported machines\n`);
    expect(r.code).toBe(1);
  });

  it('import-trace: a cut .gz trace with a bad line early ends in its error line, with no uncaught "unexpected end of file" after it', async () => {
    const late: unknown[] = [];
    const catchLate = (e: unknown) => void late.push(e);
    process.on('uncaughtException', catchLate);
    try {
      const l = "memory_region_ops_read cpu 0 mr 0x1 addr 0x510 value 0x0 size 2 name 'fwcfg'\n";
      for (let k = 0; k < 120; k++) {
        // the loop stops at the bad line while gunzip still holds the rest of the (cut) file
        const g = gzipSync(l.repeat(k % 5) + 'memory_region_ops_read garbage\n' + l.repeat(1 + (k % 30) * 7));
        const f = join(dir, `cut${k}.log.gz`);
        writeFileSync(f, g.subarray(0, g.length - 1 - (k % 9)));
        const r = await run(['import-trace', f]);
        expect(r.code).toBe(1);
        expect(r.err.split('\n')).toHaveLength(2);
        await new Promise((res) => setImmediate(res));
      }
      await new Promise((res) => setTimeout(res, 200));
    } finally {
      process.off('uncaughtException', catchLate);
    }
    expect(late.map(String)).toEqual([]);
  });
});
