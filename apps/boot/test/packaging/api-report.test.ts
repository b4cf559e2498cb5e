/**
 * The public API of each published package is recorded in api/<name>.api.md (API Extractor's report of
 * dist/index.d.ts). A change to what a package exports, or to the signature of anything it exports, fails
 * here until the report is regenerated with `pnpm api` and committed with the change.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { ROOT, buildAll } from './helpers.js';

it('api/*.api.md record the public API of the built packages', () => {
  buildAll();
  const r = spawnSync(process.execPath, [join(ROOT, 'scripts', 'api-report.mjs'), '--check'], { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${r.stderr}\n(scripts/api-report.mjs --check exited ${r.status})`);
  expect(r.stdout.trim()).toBe('API reports are up to date.');
}, 120_000);
