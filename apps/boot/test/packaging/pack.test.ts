/**
 * What a user gets from npm: each package packed with `pnpm pack` (as `changeset publish` → `pnpm publish`
 * would pack it), installed with plain npm into a project outside the workspace, and used from there:
 * the tarball's contents and manifest, its one public entry point, its types, the README examples run
 * with plain Node, and the app's `pcisim` bin.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALL, APP, PUBLISHED, ROOT, TSC, buildAll, checkOutput, codeBlocks, pnpm, readmeExamples, run } from './helpers.js';

/** The Markdown outside the packages whose TypeScript and JavaScript snippets a user would paste. */
const DOCS = ['README.md', ...readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];

it('every TypeScript or JavaScript block in README.md and docs/ is an <!-- example --> block (so the test below runs it)', () => {
  const unmarked = DOCS.flatMap((doc) => codeBlocks(readFileSync(join(ROOT, doc), 'utf8')).filter((b) => !b.marked).map((b) => `${doc}:${b.line}`));
  expect(unmarked).toEqual([]);
});

interface Manifest {
  name: string;
  version: string;
  private?: boolean;
  type?: string;
  files?: string[];
  engines?: { node?: string };
  sideEffects?: boolean | string[];
  repository?: { directory?: string };
  exports?: Record<string, unknown>;
  bin?: Record<string, string>;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
}

let tmp = '';
let consumer = '';
/** package dir → tarball path, and the tarball's file list and manifest */
const packed = new Map<string, { tarball: string; files: string[]; manifest: Manifest }>();

/** npm with none of the npm_* variables pnpm sets for its scripts, so it behaves as in a user's shell. */
function npm(args: string[], cwd: string): string {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^npm_/i.test(k)) env[k] = v;
  env.npm_config_update_notifier = 'false';
  return run('npm', args, { cwd, env });
}

beforeAll(() => {
  buildAll();
  tmp = mkdtempSync(join(tmpdir(), 'pcisim-pack-'));
  const dest = join(tmp, 'packs');
  // one pnpm run packs every workspace package (the private app too), rewriting workspace:^ to real ranges
  pnpm(['-r', 'pack', '--pack-destination', dest], { cwd: ROOT });
  const tarballs = readdirSync(dest).filter((f) => f.endsWith('.tgz'));
  for (const dir of ALL) {
    const { name, version } = JSON.parse(readFileSync(join(ROOT, dir, 'package.json'), 'utf8')) as Manifest;
    const file = `${name.replace(/^@/, '').replace('/', '-')}-${version}.tgz`;
    if (!tarballs.includes(file)) throw new Error(`pnpm pack made no ${file} (made: ${tarballs.join(', ')})`);
    const tarball = join(dest, file);
    const files = run('tar', ['-tzf', tarball]).split('\n').filter(Boolean).map((f) => f.replace(/^package\//, ''));
    const manifest = JSON.parse(run('tar', ['-xzOf', tarball, 'package/package.json'])) as Manifest;
    packed.set(dir, { tarball, files, manifest });
  }

  // a user's project, far from the workspace: the four tarballs, installed together, nothing from a registry
  consumer = join(tmp, 'consumer');
  mkdirSync(consumer);
  writeFileSync(join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  npm(['install', '--offline', '--no-audit', '--no-fund', '--ignore-scripts', ...[...packed.values()].map((p) => p.tarball)], consumer);
}, 180_000);

afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe.each(ALL)('%s, packed', (dir) => {
  const get = () => packed.get(dir)!;
  const source = () => JSON.parse(readFileSync(join(ROOT, dir, 'package.json'), 'utf8')) as Manifest;

  it('ships dist with declarations and source maps, the sources they map to, the README, and nothing else', () => {
    const { files } = get();
    for (const f of ['package.json', 'README.md', 'dist/index.js', 'dist/index.d.ts', 'dist/index.js.map', 'dist/index.d.ts.map', 'src/index.ts']) {
      expect(files, `${dir}: ${f} missing from the tarball`).toContain(f);
    }
    const stray = files.filter((f) => !/^(package\.json|README\.md|CHANGELOG\.md|LICENSE|dist\/.+\.(js|d\.ts)(\.map)?|src\/.+\.ts|native\/[\w-]+\.c)$/.test(f));
    expect(stray, `${dir}: files in the tarball that a user should not get`).toEqual([]);
    // every emitted module has its declaration and both maps
    for (const js of files.filter((f) => f.startsWith('dist/') && f.endsWith('.js'))) {
      const base = js.slice(0, -3);
      expect(files).toContain(`${base}.d.ts`);
      expect(files).toContain(`${js}.map`);
      expect(files).toContain(`${base}.d.ts.map`);
    }
    // the declaration map points at a source file that is in the tarball ("go to definition" lands in src/)
    const map = JSON.parse(run('tar', ['-xzOf', get().tarball, 'package/dist/index.d.ts.map'])) as { sources: string[] };
    expect(map.sources).toEqual(['../src/index.ts']);
  });

  it('has a publishable manifest: ESM, engines, sideEffects, files, repository.directory, one entry point', () => {
    const m = get().manifest;
    expect(m.type).toBe('module');
    expect(m.engines?.node).toMatch(/^>=20/);
    expect(m.sideEffects).toBe(false);
    expect(m.files).toEqual(expect.arrayContaining(['dist', 'src', 'README.md']));
    expect(m.repository?.directory).toBe(dir);
    expect(m.exports).toEqual({
      '.': { '@sim/source': './src/index.ts', types: './dist/index.d.ts', default: './dist/index.js' },
      './package.json': './package.json',
    });
    // conditions are matched in key order: the workspace's source first, then types before the catch-all
    expect(Object.keys(m.exports!['.'] as object)).toEqual(['@sim/source', 'types', 'default']);
    // workspace:^ became a real range, and the only runtime dependencies are our own packages
    const deps = { ...m.dependencies, ...m.peerDependencies, ...m.optionalDependencies };
    for (const [name, range] of Object.entries(deps)) {
      expect(name, `${dir}: a third-party runtime dependency`).toMatch(/^@sim\//);
      const dep = packed.get(ALL.find((d) => packed.get(d)!.manifest.name === name)!)!.manifest;
      expect(range).toBe(`^${dep.version}`);
    }
    expect(JSON.stringify(m)).not.toContain('workspace:');
    expect(m.version).toBe(source().version);
  });

  it(dir === APP ? 'stays private, with its bin' : 'is public', () => {
    const m = get().manifest;
    if (dir === APP) {
      expect(m.private).toBe(true);
      expect(m.bin).toEqual({ pcisim: './dist/bin.js' });
      expect(run('tar', ['-xzOf', get().tarball, 'package/dist/bin.js']).split('\n')[0]).toBe('#!/usr/bin/env node');
    } else {
      expect(m.private).toBeUndefined();
      // a scoped package is restricted by default; `changeset publish` passes --access public, a manual
      // `pnpm publish` reads it from here
      expect((source() as { publishConfig?: unknown }).publishConfig).toEqual({ access: 'public' });
    }
  });
});

describe('installed in a project outside the workspace', () => {
  const node = (code: string) => run(process.execPath, ['--input-type=module', '-e', code], { cwd: consumer });

  it.each(ALL)('%s: the entry point imports; nothing behind it does', (dir) => {
    const { name } = packed.get(dir)!.manifest;
    const out = node(`
      const m = await import(${JSON.stringify(name)});
      console.log(Object.keys(m).length > 0);
      for (const deep of ['dist/index.js', 'src/index.ts', 'dist/errors.js', 'internal/x']) {
        try { await import(${JSON.stringify(name)} + '/' + deep); console.log('importable: ' + deep); }
        catch (e) { console.log(e.code); }
      }
      console.log((await import(${JSON.stringify(`${name}/package.json`)}, { with: { type: 'json' } })).default.name);
    `);
    expect(out.trim().split('\n')).toEqual(['true', ...Array(4).fill('ERR_PACKAGE_PATH_NOT_EXPORTED'), name]);
  }, 30_000);

  it('the README examples type-check against the shipped declarations, and print what their comments say', () => {
    const dir = join(consumer, 'examples');
    mkdirSync(dir, { recursive: true });
    const examples: { file: string; readme: string; ex: ReturnType<typeof readmeExamples>[number] }[] = [];
    for (const pkg of ALL) {
      const readme = readFileSync(join(ROOT, pkg, 'README.md'), 'utf8');
      const found = readmeExamples(readme);
      if (pkg !== APP) expect(found.length, `${pkg}/README.md has no <!-- example --> block`).toBeGreaterThan(0);
      for (const ex of found) {
        const base = `${pkg.split('/')[1]}-${ex.name}`;
        writeFileSync(join(dir, `${base}.${ex.lang}`), ex.code);
        examples.push({ file: base, readme: `${pkg}/README.md`, ex });
      }
    }
    // the repository's README and docs/: their snippets import the packages as a user would, and run here too
    for (const doc of DOCS) {
      for (const ex of readmeExamples(readFileSync(join(ROOT, doc), 'utf8'))) {
        const base = `${doc.replace(/\.md$/, '').replace(/\W+/g, '-')}-${ex.name}`;
        writeFileSync(join(dir, `${base}.${ex.lang}`), ex.code);
        examples.push({ file: base, readme: doc, ex });
      }
    }
    // strict type check of the TypeScript examples against the tarballs' .d.ts (including the .d.ts themselves)
    writeFileSync(
      join(consumer, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          lib: ['ES2022'],
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          strict: true,
          noEmit: true,
          skipLibCheck: false,
          types: ['node'],
          typeRoots: [join(ROOT, 'node_modules', '@types')],
        },
        include: ['examples/*.ts'],
      }),
    );
    run(process.execPath, [TSC, '-p', 'tsconfig.json'], { cwd: consumer });

    // each example as plain JavaScript (types stripped), run by Node in the consumer project
    const failures: string[] = [];
    for (const { file, readme, ex } of examples) {
      if (!ex.run) continue;
      const js = ex.lang === 'ts' ? ts.transpileModule(ex.code, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText : ex.code;
      const mjs = join(dir, `${file}.mjs`);
      writeFileSync(mjs, js);
      let stdout: string;
      try {
        stdout = execFileSync(process.execPath, [mjs], { cwd: consumer, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      } catch (e) {
        failures.push(`${readme}, example "${ex.name}" threw:\n${(e as { stderr?: string }).stderr ?? String(e)}`);
        continue;
      }
      const problems = checkOutput(ex, stdout);
      if (problems.length > 0) failures.push(`${readme}, example "${ex.name}":\n  ${problems.join('\n  ')}\nIt printed:\n${stdout}`);
    }
    expect(failures.join('\n\n') + (failures.length ? '\n\nFix the example or the comment that says what it prints.' : '')).toBe('');
  }, 120_000);

  it('the app: `pcisim boot -M q35 --json` from the installed bin', () => {
    const bin = join(consumer, 'node_modules', '.bin', 'pcisim');
    const report = JSON.parse(run(bin, ['boot', '-M', 'q35', '--json'], { cwd: consumer })) as {
      schema: string;
      phases: Record<'firmware' | 'linux', { config: { accesses: { conf1: number; mmcfg: number; total: number } } }>;
      devices: { bdf: string; vendor: string; device: string; class: string }[];
    };
    expect(report.schema).toBe('pcisim.boot/1');
    expect(report.devices[0]).toMatchObject({ bdf: '0000:00:00.0', vendor: '8086', device: '29c0' });
    const linux = report.phases.linux.config.accesses;
    expect(linux.total).toBe(linux.conf1 + linux.mmcfg);
    expect(linux.total).toBeGreaterThan(0);
    // a usage error exits 2
    expect(() => execFileSync(bin, ['no-such-command'], { cwd: consumer, stdio: 'pipe' })).toThrow(expect.objectContaining({ status: 2 }));
  }, 60_000);
});

it('packs all the published packages and the app', () => {
  expect([...packed.keys()].sort()).toEqual([...PUBLISHED, APP].sort());
});
