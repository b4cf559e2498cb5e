/**
 * Shared by the packaging tests: where the workspace is, how to run its tools, and how README examples
 * are found and checked.
 */
import { execFileSync, type ExecFileSyncOptions } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');
const require = createRequire(join(ROOT, 'package.json'));

/** The published packages and the app, by directory. */
export const PUBLISHED = ['packages/kvm', 'packages/qemu', 'packages/guest'] as const;
export const APP = 'apps/boot';
export const ALL = [...PUBLISHED, APP] as const;

/** Runs a command, returns stdout; on failure the error carries stdout and stderr for the test report. */
export function run(cmd: string, args: string[], opts: ExecFileSyncOptions = {}): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20, ...opts }) as string;
  } catch (e) {
    const err = e as { status?: number; stdout?: string; stderr?: string; message: string };
    throw new Error(
      `${cmd} ${args.join(' ')} failed (status ${err.status ?? '?'}): ${err.message}\n--- stdout\n${err.stdout ?? ''}\n--- stderr\n${err.stderr ?? ''}`,
    );
  }
}

/**
 * pnpm, as the README runs it: the pnpm that started this test (`npm_execpath` under `pnpm test`), else
 * `npx -y pnpm@<packageManager version>`.
 */
export function pnpm(args: string[], opts: ExecFileSyncOptions = {}): string {
  const execpath = process.env.npm_execpath;
  if (execpath && /pnpm/.test(execpath) && existsSync(execpath)) return run(process.execPath, [execpath, ...args], opts);
  const version = (require('./package.json') as { packageManager: string }).packageManager.replace(/^pnpm@/, '');
  return run('npx', ['-y', `pnpm@${version}`, ...args], opts);
}

/** The workspace's TypeScript compiler (tsc) and changesets CLI, run with this Node. */
export const TSC = join(dirname(require.resolve('typescript/package.json')), 'bin', 'tsc');
export const CHANGESET = join(dirname(require.resolve('@changesets/cli/package.json')), 'bin.js');

/**
 * `tsc -b apps/boot`: builds every package's dist (project references), a no-op when up to date (as it is
 * under `pnpm test`, where turbo builds first). Test files run in parallel workers, so one build at a time.
 */
export function buildAll(): void {
  const lock = join(ROOT, 'node_modules', '.cache', 'pcisim-packaging-build.lock');
  mkdirSync(dirname(lock), { recursive: true });
  const deadline = Date.now() + 180_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      // a lock left by a killed run is stale after 5 minutes
      const held = statSync(lock, { throwIfNoEntry: false });
      if (held && Date.now() - held.mtimeMs > 300_000) rmSync(lock, { recursive: true, force: true });
      if (Date.now() > deadline) throw new Error(`${lock} held for 3 minutes; remove it if no test is running`);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
    }
  }
  try {
    run(process.execPath, [TSC, '-b', join(ROOT, APP)], { cwd: ROOT });
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

/** A README code block marked as a runnable example. */
export interface ReadmeExample {
  /** the name after `example:` in the marker, else `example-<n>` */
  name: string;
  lang: 'ts' | 'js';
  code: string;
  /** one per `console.log(...)` line, in order: what the printed line must be (or end with, after a space) */
  expected: string[];
  /** false for `<!-- example: name typecheck-only … -->`: type-checked, not run (it needs QEMU or a recording) */
  run: boolean;
}

/**
 * The blocks of a README marked `<!-- example -->` (or `<!-- example: name -->`) on the line before their
 * opening fence. Each `console.log` in an example sits on one line and prints one line; the comment at the end
 * of that line says what it prints: the text after the last ` → ` if there is one, up to a double space
 * (anything after is a note for the reader). The printed line must equal it or end with a space and it.
 */
export function readmeExamples(markdown: string): ReadmeExample[] {
  const out: ReadmeExample[] = [];
  const re = /<!--\s*example(?::\s*([\w.-]+))?(\s+typecheck-only\b[^\n]*?)?\s*-->\s*\n```(ts|js|typescript|javascript)\n([\s\S]*?)\n```/g;
  for (let m = re.exec(markdown); m !== null; m = re.exec(markdown)) {
    const code = m[4]!;
    const expected: string[] = [];
    for (const line of code.split('\n')) {
      if (!/\bconsole\.log\(/.test(line)) continue;
      const c = /;\s*\/\/\s?(.*)$/.exec(line);
      if (!c || c[1]!.trim() === '') throw new Error(`README example line has console.log but no expected-output comment:\n${line}`);
      let text = c[1]!;
      const arrow = text.lastIndexOf(' → ');
      if (arrow >= 0) text = text.slice(arrow + 3);
      const note = text.indexOf('  ');
      if (note >= 0) text = text.slice(0, note);
      expected.push(text.trim());
    }
    out.push({ name: m[1] ?? `example-${out.length + 1}`, lang: m[3]!.startsWith('t') ? 'ts' : 'js', code, expected, run: m[2] === undefined });
  }
  return out;
}

/** Compares an example's stdout with its expectations; returns the mismatches, empty when it matches. */
export function checkOutput(example: ReadmeExample, stdout: string): string[] {
  const lines = stdout.replace(/\n$/, '').split('\n');
  const problems: string[] = [];
  // an example with no console.log comments (it writes a table) must only run without an error
  if (example.expected.length === 0) return problems;
  if (lines.length !== example.expected.length) {
    problems.push(`printed ${lines.length} lines, the comments expect ${example.expected.length}`);
  }
  for (let i = 0; i < Math.max(lines.length, example.expected.length); i++) {
    const got = lines[i];
    const want = example.expected[i];
    if (got === undefined || want === undefined) continue;
    if (got !== want && !got.endsWith(` ${want}`)) problems.push(`line ${i + 1}: printed ${JSON.stringify(got)}, comment says ${JSON.stringify(want)}`);
  }
  return problems;
}

/** Every TypeScript or JavaScript block of a Markdown file, marked as an example or not (the first line of each). */
export function codeBlocks(markdown: string): { line: number; marked: boolean }[] {
  const out: { line: number; marked: boolean }[] = [];
  const lines = markdown.split('\n');
  lines.forEach((l, i) => {
    if (/^```(ts|js|typescript|javascript)\s*$/.test(l)) out.push({ line: i + 1, marked: /^<!--\s*example\b/.test(lines[i - 1] ?? '') });
  });
  return out;
}
