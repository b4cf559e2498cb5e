#!/usr/bin/env node
/**
 * The public API of each published package, as API Extractor reads it from the built declarations
 * (`dist/index.d.ts`, i.e. exactly what a consumer's TypeScript sees), written to `api/<name>.api.md`.
 *
 *   node scripts/api-report.mjs            regenerate api/*.api.md (what `pnpm api` runs, after a build)
 *   node scripts/api-report.mjs --check    regenerate into a temporary folder and compare; exit 1 on a difference
 *   node scripts/api-report.mjs --out DIR  write the reports to DIR instead of api/
 *   node scripts/api-report.mjs --docs DIR reference docs in Markdown from the TSDoc comments (API Documenter),
 *                                          one page per declaration, into DIR (`pnpm api:docs` → docs/api/)
 *
 * The check is what CI runs (apps/boot/test/packaging/api-report.test.ts): a change to a public API fails
 * until its report is regenerated with `pnpm api` and committed, so every API change shows up in review.
 */
import { mkdtempSync, readFileSync, rmSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { Extractor, ExtractorConfig } from '@microsoft/api-extractor';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
/** The packages whose public API is guarded: the published ones, and the app's functions (runCli and the library it runs on). */
export const PACKAGES = ['packages/kvm', 'packages/qemu', 'packages/guest', 'apps/boot'];

/** Report file name for a package: `@sim/kvm` → `kvm.api.md`. */
export function reportName(packageName) {
  return `${packageName.replace(/^@[^/]+\//, '')}.api.md`;
}

/**
 * Runs API Extractor on each package's built `dist/index.d.ts` and writes the reports into `outDir`.
 * Returns the report file names written. Throws if API Extractor reports an error.
 */
export function generate(outDir, { log = () => {}, docModelDir } = {}) {
  mkdirSync(outDir, { recursive: true });
  const tempDir = mkdtempSync(join(tmpdir(), 'api-extractor-'));
  const written = [];
  try {
    for (const rel of PACKAGES) {
      const pkgDir = join(ROOT, rel);
      const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
      const entry = join(pkgDir, 'dist', 'index.d.ts');
      if (!existsSync(entry)) throw new Error(`${rel}/dist/index.d.ts is missing: run \`pnpm build\` first`);
      const config = ExtractorConfig.prepare({
        configObject: {
          projectFolder: pkgDir,
          mainEntryPointFilePath: entry,
          // Read the declarations as a consumer would: no @sim/source condition, so @sim/* imports
          // resolve to the other packages' dist/*.d.ts and stay external references in the report.
          compiler: {
            overrideTsconfig: {
              compilerOptions: {
                target: 'ES2022',
                lib: ['ES2022'],
                module: 'NodeNext',
                moduleResolution: 'NodeNext',
                strict: true,
                skipLibCheck: true,
                types: ['node'],
                typeRoots: [join(ROOT, 'node_modules', '@types')],
              },
              files: [entry],
            },
          },
          apiReport: {
            enabled: true,
            reportFileName: reportName(pkg.name),
            reportFolder: outDir,
            reportTempFolder: tempDir,
          },
          docModel: docModelDir
            ? { enabled: true, apiJsonFilePath: join(docModelDir, `${reportName(pkg.name).replace(/\.api\.md$/, '')}.api.json`) }
            : { enabled: false },
          dtsRollup: { enabled: false },
          tsdocMetadata: { enabled: false },
          newlineKind: 'lf',
          messages: {
            compilerMessageReporting: { default: { logLevel: 'warning' } },
            extractorMessageReporting: {
              default: { logLevel: 'warning' },
              // No @public/@beta tags here: everything exported from the entry point is public.
              'ae-missing-release-tag': { logLevel: 'none', addToApiReportFile: false },
              // A type reachable from the API but not exported is recorded in the report, not fatal.
              'ae-forgotten-export': { logLevel: 'none', addToApiReportFile: true },
              // "(undocumented)" is marked in the report itself; no need to list each one on the console.
              'ae-undocumented': { logLevel: 'none' },
            },
            tsdocMessageReporting: { default: { logLevel: 'none' } },
          },
        },
        configObjectFullPath: undefined,
        packageJsonFullPath: join(pkgDir, 'package.json'),
      });
      const errors = [];
      const result = Extractor.invoke(config, {
        localBuild: true, // write the report to reportFolder, whatever the previous one said
        showVerboseMessages: false,
        messageCallback(message) {
          message.handled = true;
          if (String(message.messageId).startsWith('console-')) return; // "report created/changed" chatter: we compare ourselves
          if (message.logLevel === 'error') errors.push(message.text);
          else if (message.logLevel === 'warning') log(`${pkg.name}: ${message.text}`);
        },
      });
      if (!result.succeeded || errors.length > 0) {
        throw new Error(`API Extractor failed for ${pkg.name}:\n${errors.join('\n')}`);
      }
      written.push(reportName(pkg.name));
    }
  } finally {
    rmSync(tempDir, { recursive: true, force: true });
  }
  return written;
}

/**
 * Regenerates into a temporary folder and compares with `api/`. Returns the list of differences
 * (file name and a short line diff); empty when the committed reports are current.
 */
export function check({ apiDir = join(ROOT, 'api'), log } = {}) {
  const out = mkdtempSync(join(tmpdir(), 'api-report-'));
  try {
    const names = generate(out, { log });
    const problems = [];
    for (const name of names) {
      const fresh = readFileSync(join(out, name), 'utf8');
      const committedPath = join(apiDir, name);
      if (!existsSync(committedPath)) {
        problems.push({ name, diff: `api/${name} does not exist` });
        continue;
      }
      const committed = readFileSync(committedPath, 'utf8');
      if (committed !== fresh) problems.push({ name, diff: unifiedDiff(committedPath, join(out, name)) ?? lineDiff(committed, fresh) });
    }
    if (existsSync(apiDir)) {
      for (const f of readdirSync(apiDir)) {
        if (f.endsWith('.api.md') && !names.includes(f)) problems.push({ name: f, diff: `api/${f} belongs to no published package` });
      }
    }
    return problems;
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

/** `git diff --no-index` of the committed report and the current one, or null where git is not there. */
function unifiedDiff(committedPath, freshPath) {
  const r = spawnSync('git', ['diff', '--no-index', '--no-color', '--src-prefix=committed/', '--dst-prefix=current/', committedPath, freshPath], {
    encoding: 'utf8',
  });
  if (r.status !== 1 || !r.stdout) return null; // 1: the files differ; anything else: no usable git
  const lines = r.stdout.split('\n').slice(2); // the command's own header names temporary paths
  return lines.slice(0, 120).join('\n') + (lines.length > 120 ? `\n… ${lines.length - 120} more lines` : '');
}

/** The lines only in one side, prefixed `-` (committed) and `+` (current): enough to see what changed. */
function lineDiff(a, b) {
  const al = a.split('\n');
  const bl = b.split('\n');
  const inB = new Map();
  for (const l of bl) inB.set(l, (inB.get(l) ?? 0) + 1);
  const inA = new Map();
  for (const l of al) inA.set(l, (inA.get(l) ?? 0) + 1);
  const out = [];
  for (const l of al) {
    const n = inB.get(l) ?? 0;
    if (n > 0) inB.set(l, n - 1);
    else out.push(`- ${l}`);
  }
  for (const l of bl) {
    const n = inA.get(l) ?? 0;
    if (n > 0) inA.set(l, n - 1);
    else out.push(`+ ${l}`);
  }
  return out.slice(0, 60).join('\n') + (out.length > 60 ? `\n… ${out.length - 60} more lines` : '');
}

export const STALE_MESSAGE =
  'The public API differs from the committed report. If the change is intended, run `pnpm api` ' +
  '(it builds, then rewrites api/*.api.md) and commit the updated report with the change.';

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const log = (s) => console.warn(s);
  if (args.includes('--check')) {
    const problems = check(); // warnings are for whoever regenerates the reports, not for the check
    for (const p of problems) console.error(`api/${p.name}:\n${p.diff}\n`);
    if (problems.length > 0) {
      console.error(STALE_MESSAGE);
      process.exit(1);
    }
    console.log('API reports are up to date.');
  } else if (args.includes('--docs')) {
    const docsDir = resolve(args[args.indexOf('--docs') + 1] ?? join(ROOT, 'docs', 'api'));
    const work = mkdtempSync(join(tmpdir(), 'api-docs-'));
    try {
      const model = join(work, 'model');
      generate(join(work, 'reports'), { log, docModelDir: model });
      rmSync(docsDir, { recursive: true, force: true });
      const documenter = join(dirname(require.resolve('@microsoft/api-documenter/package.json')), 'bin', 'api-documenter');
      const r = spawnSync(process.execPath, [documenter, 'markdown', '--input-folder', model, '--output-folder', docsDir], { stdio: 'inherit' });
      if (r.status !== 0) process.exit(r.status ?? 1);
      console.log(`wrote ${docsDir}/index.md`);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  } else {
    const i = args.indexOf('--out');
    const outDir = i >= 0 ? resolve(args[i + 1]) : join(ROOT, 'api');
    for (const name of generate(outDir, { log })) console.log(`wrote ${join(outDir, name)}`);
  }
}
