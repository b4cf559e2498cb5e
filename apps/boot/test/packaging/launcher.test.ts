/**
 * `pnpm -s pcisim …` (the README's command) runs scripts/pcisim.mjs: pcisim's output alone on stdout, so it
 * pipes, and no compiler run when the build is newer than every source (`tsc -b` alone took ~3 s a call).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './helpers.js';

const launcher = join(ROOT, 'scripts/pcisim.mjs');
const run = (args: string[]) => spawnSync(process.execPath, [launcher, ...args], { cwd: ROOT, encoding: 'utf8' });

describe('scripts/pcisim.mjs, behind `pnpm -s pcisim`', () => {
  it('is what the root package.json runs as `pcisim`', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts.pcisim).toBe('node scripts/pcisim.mjs');
  });

  it("prints pcisim's output alone on stdout, and does not build when the build is up to date", () => {
    const version = (JSON.parse(readFileSync(join(ROOT, 'apps/boot/package.json'), 'utf8')) as { version: string }).version;
    run(['--version']); // builds if a source is newer than the build (its output goes to stderr)
    const second = run(['--version']);
    expect(second.status).toBe(0);
    expect(second.stdout).toBe(`pcisim ${version}\n`);
    expect(second.stderr).toBe(''); // no compiler run, nothing else said
  });

  it('passes the exit status and the JSON through untouched', () => {
    const r = run(['boot', '-M', 'q35', '--json']);
    expect(r.status).toBe(0);
    const report = JSON.parse(r.stdout) as { schema: string; phases: { linux: { config: { accesses: { total: number } } } } };
    expect(report.schema).toBe('pcisim.boot/1');
    expect(report.phases.linux.config.accesses.total).toBe(8867);
    expect(run(['boot', '--no-such-option']).status).toBe(2);
  });
});
