/**
 * The fuzz tests' harness: `runCli` in one worker thread (never a process per input), a watchdog that ends
 * the worker when an input does not finish (a hang), and the property every input must have: it ends in a
 * result (exit 0) or in one error line in a tool's style with exit 1 or 2; never an uncaught exception, a
 * stack trace, a JavaScript error's own words, or a hang.
 *
 * The worker runs the built CLI (apps/boot/dist, which `pnpm test` builds first; after editing src, run
 * `npx tsc -b apps/boot` before `npx vitest run test/fuzz`). It sees no QEMU and no kernel, so `record`
 * refuses at once instead of booting a real VM.
 *
 * The seed is fixed, so CI runs the same inputs every pass; PCISIM_FUZZ_SEED=<n> runs others (=random picks
 * one and prints it), PCISIM_FUZZ_RUNS=<factor> runs that many times as many inputs (a longer campaign).
 */
import { Worker } from 'node:worker_threads';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { afterAll, expect } from 'vitest';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url));
const ENTRY = new URL('../../dist/index.js', import.meta.url);

const seedEnv = process.env['PCISIM_FUZZ_SEED'];
/** fast-check's seed: 17 (the issue) unless PCISIM_FUZZ_SEED says otherwise */
export const SEED = seedEnv === 'random' ? (Math.random() * 0x7fffffff) | 0 : seedEnv !== undefined && seedEnv !== '' ? Number(seedEnv) : 17;
if (!Number.isInteger(SEED)) throw new Error(`PCISIM_FUZZ_SEED must be an integer or "random", not '${seedEnv}'`);
const factor = Number(process.env['PCISIM_FUZZ_RUNS'] ?? '1');
/** n inputs, times PCISIM_FUZZ_RUNS */
export const runs = (n: number): number => Math.max(1, Math.round(n * (Number.isFinite(factor) && factor > 0 ? factor : 1)));

/** how long one input may take before it counts as a hang (a loaded CI machine is slow, a hang is forever) */
export const HANG_MS = Number(process.env['PCISIM_FUZZ_HANG_MS'] ?? '60000');

export interface Outcome {
  argv: readonly string[];
  /** exit status; null when runCli threw, the worker died or the input hung */
  rc: number | null;
  stdout: string;
  stderr: string;
  ms: number;
  /** what escaped runCli: a rejection's stack, or an uncaught error in the worker */
  threw?: string;
  hung?: boolean;
}

const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const mod = import(workerData.entry);
parentPort.on('message', async ({ id, argv }) => {
  const { runCli } = await mod;
  let stdout = '', stderr = '';
  const t0 = performance.now();
  try {
    const rc = await runCli(argv, { stdout: (s) => { stdout += s; }, stderr: (s) => { stderr += s; }, stderrIsTTY: false });
    parentPort.postMessage({ id, rc, stdout, stderr, ms: performance.now() - t0 });
  } catch (e) {
    parentPort.postMessage({ id, rc: null, stdout, stderr, ms: performance.now() - t0, threw: String((e && e.stack) || e) });
  }
});
`;

/** `runCli` in a worker thread, one input at a time. */
export class CliRunner {
  private worker: Worker | undefined;
  private nextId = 0;
  private pending: { id: number; resolve: (o: Omit<Outcome, 'argv'>) => void } | undefined;

  constructor(private readonly env: Record<string, string> = {}) {
    if (!existsSync(ENTRY)) throw new Error(`${fileURLToPath(ENTRY)} is missing: build first (npx tsc -b apps/boot, or pnpm test)`);
  }

  private start(): Worker {
    const w = new Worker(WORKER, {
      eval: true,
      workerData: { entry: ENTRY.href },
      // no QEMU, no kernel: `record` refuses before it boots anything; named topologies from reference/
      env: { ...process.env, PCISIM_QEMU: '/nonexistent/qemu-system-x86_64', PCISIM_KERNEL: '/nonexistent/vmlinuz', PCISIM_REFERENCE_DIR: join(repoRoot, 'reference'), ...this.env },
      stdout: true,
      stderr: true,
    });
    w.on('message', (m: { id: number } & Omit<Outcome, 'argv'>) => {
      if (this.pending?.id === m.id) {
        const p = this.pending;
        this.pending = undefined;
        p.resolve(m);
      }
    });
    // an error nobody caught inside the worker (an async callback, an unhandled rejection): the input crashed it
    w.on('error', (e) => {
      const p = this.pending;
      this.pending = undefined;
      this.worker = undefined;
      p?.resolve({ rc: null, stdout: '', stderr: '', ms: 0, threw: `uncaught in the worker: ${String(e.stack ?? e)}` });
    });
    w.on('exit', () => {
      if (this.worker === w) this.worker = undefined;
    });
    // whatever the CLI writes to the process's own streams is not its output: keep it out of the test's log
    w.stdout.resume();
    w.stderr.resume();
    return w;
  }

  async run(argv: readonly string[]): Promise<Outcome> {
    this.worker ??= this.start();
    const w = this.worker;
    const id = this.nextId++;
    let timer: NodeJS.Timeout | undefined;
    const done = new Promise<Omit<Outcome, 'argv'>>((resolve) => {
      this.pending = { id, resolve };
      timer = setTimeout(() => {
        if (this.pending?.id !== id) return;
        this.pending = undefined;
        this.worker = undefined;
        void w.terminate();
        resolve({ rc: null, stdout: '', stderr: '', ms: HANG_MS, hung: true });
      }, HANG_MS);
    });
    w.postMessage({ id, argv: [...argv] });
    const r = await done;
    clearTimeout(timer);
    return { argv, ...r };
  }

  async close(): Promise<void> {
    await this.worker?.terminate();
    this.worker = undefined;
  }
}

/** A line in pcisim's style: the tool that says it, a colon, the message. */
const ERROR_LINE = /^(pcisim( [a-z-]+)?|qemu-system-x86_64|kvm|linux): ./;
/**
 * A line that informs and is no error: a warning, sweep's summary, the hint QEMU adds under its own error
 * (qemu_create_machine → error_append_hint: "Use -machine help to list supported machines"; parse_option_size's
 * two lines on size suffixes), the rows of the machine list `-M help` prints (`q35   Standard PC (Q35 + ICH9, 2009) …`).
 */
const INFO_LINE =
  /^pcisim [a-z-]+: warning: |^pcisim sweep: \d+ scenarios|^Use -machine help to list supported machines$|^Optional suffix k, M, G, T, P or E means kilo-, mega-, giga-, tera-, peta-$|^and exabytes, respectively\.$|^[a-z0-9.-]+ {2,}\S/;
/** a stack frame, as V8 prints it */
const STACK = /^ {2,}at (?:async )?\S.*(?::\d+:\d+\)?|\(index \d+\)|\(<anonymous>\)|\(native\))$/m;
/** a JavaScript error's own words: what pcisim says must name the problem in the user's terms */
const JS_WORDS = /Cannot read propert|Cannot set propert|is not a function|is not iterable|is not defined|undefined is not|Maximum call stack|Invalid array length|\[object Object\]|Unexpected end of JSON input at|ERR_[A-Z_]{4,}|(TypeError|RangeError|ReferenceError|SyntaxError): /;

/**
 * What is wrong with an outcome, or undefined: the property every input must have. `errorLinesAllowed`:
 * validate names each bad file on a line of its own. `inputHasBreaks`: a value in the input holds a line
 * break, which an error message may quote as QEMU would.
 */
export function problemOf(o: Outcome, errorLinesAllowed = 1, inputHasBreaks = false): string | undefined {
  if (o.hung) return `hang: no answer in ${HANG_MS / 1000} s`;
  if (o.threw !== undefined) return `uncaught exception: ${firstLine(o.threw)}`;
  if (o.rc !== 0 && o.rc !== 1 && o.rc !== 2) return `exit status ${String(o.rc)}`;
  for (const [name, text] of [
    ['stderr', o.stderr],
    ['stdout', o.stdout],
  ] as const) {
    if (STACK.test(text)) return `stack trace on ${name}: ${firstLine(text.slice(text.search(STACK) - 200))}`;
  }
  const JS = JS_WORDS.exec(o.stderr);
  if (JS) return `JavaScript's words on stderr: ${normalise(lineAround(o.stderr, JS.index))}`;
  const lines = o.stderr.split('\n').filter((l) => l.trim() !== '');
  const errors = lines.filter((l) => !INFO_LINE.test(l));
  // a message may quote an argument as given, line breaks and all; anything else spans one line
  const quotesBreaks = inputHasBreaks || o.argv.some((a) => /[\n\r\v\f\u2028\u2029\x85]/.test(a));
  for (const l of errors) {
    if (ERROR_LINE.test(l)) continue;
    // V8's JSON.parse message quotes the text around the error, line breaks and all
    if (/is not valid JSON|in JSON at position/.test(l)) return `error spanning lines (JSON.parse's message quotes the file): ${normalise(l)}`;
    if (!quotesBreaks) return `stderr line not in a tool's style: ${normalise(l)}`;
  }
  if (o.rc === 0 && errors.length > 0) return `exit 0 with an error line: ${normalise(errors[0]!)}`;
  // `pcisim` alone: the usage, and exit 2
  if (o.rc === 2 && errors.length === 0 && o.stdout.startsWith('usage: ')) return undefined;
  if (o.rc === 2 && errors.length !== 1) return `exit 2 with ${errors.length} error lines`;
  if (o.rc === 1 && errors.length === 0 && o.stdout.trim() === '') return 'exit 1 with no word on why';
  if (errors.length > errorLinesAllowed) return `${errors.length} error lines: ${normalise(errors[0]!)}`;
  return undefined;
}

/** JSON the command said it prints: one document, or one per line */
export function jsonProblem(o: Outcome, lines: boolean): string | undefined {
  if (o.rc !== 0 && !(lines && o.rc === 1)) return undefined;
  const docs = lines ? o.stdout.split('\n').filter((l) => l !== '') : [o.stdout];
  for (const d of docs) {
    try {
      JSON.parse(d);
    } catch (e) {
      return `--json printed no JSON: ${(e as Error).message}`;
    }
  }
  return undefined;
}

const firstLine = (s: string): string => normalise(s.split('\n').find((l) => l.trim() !== '') ?? '');
const lineAround = (s: string, at: number): string => s.slice(s.lastIndexOf('\n', at) + 1, s.indexOf('\n', at) < 0 ? undefined : s.indexOf('\n', at));
/** a message with its particulars (paths, numbers, quoted input) blanked, to group findings into classes */
export function normalise(s: string): string {
  return s
    .slice(0, 300)
    .replace(/'[^']*'/g, "'…'")
    .replace(/"[^"]*"/g, '"…"')
    .replace(/\/[^\s:,)]+/g, '<path>')
    .replace(/\b\d+(\.\d+)?\b/g, 'N');
}

/**
 * Crash classes known and being fixed on another branch: reported, not failed on, until that branch is
 * merged. Empty since fix-cli's fixes (unwritable outputs, malformed references and scenario files) were
 * merged; a class goes here only with the branch that fixes it.
 */
export const PENDING: readonly { re: RegExp; why: string }[] = [];

/** Findings grouped by class, each with the smallest input that showed it. */
export class Findings {
  readonly classes = new Map<string, { count: number; example: string; size: number }>();
  inputs = 0;
  slowest: { ms: number; argv: readonly string[] } = { ms: 0, argv: [] };
  byKind = new Map<string, number>();

  add(kind: string, o: Outcome, problem: string | undefined, describe: () => string): void {
    this.inputs++;
    this.byKind.set(kind, (this.byKind.get(kind) ?? 0) + 1);
    if (o.ms > this.slowest.ms) this.slowest = { ms: o.ms, argv: o.argv };
    if (problem === undefined) return;
    const key = `${kind}: ${normalise(problem)}`;
    const example = describe();
    const c = this.classes.get(key);
    if (!c) this.classes.set(key, { count: 1, example, size: example.length });
    else {
      c.count++;
      if (example.length < c.size) Object.assign(c, { example, size: example.length });
    }
  }

  /** the classes no PENDING entry covers */
  get failures(): string[] {
    return [...this.classes.keys()].filter((k) => !PENDING.some((p) => p.re.test(k)));
  }

  report(): string {
    const head = `fuzz: seed ${SEED} (PCISIM_FUZZ_SEED), ${this.inputs} inputs (${[...this.byKind].map(([k, n]) => `${k} ${n}`).join(', ')}), slowest ${(this.slowest.ms / 1000).toFixed(2)} s: ${JSON.stringify(this.slowest.argv).slice(0, 200)}`;
    const failures = new Set(this.failures);
    const body = [...this.classes].map(([k, c]) => {
      const pending = failures.has(k) ? '' : ` [pending: ${PENDING.find((p) => p.re.test(k))!.why}]`;
      // a pending class is named only: its example is in the other branch's tests
      return `\n  ${c.count} × ${k}${pending}` + (pending ? '' : `\n    e.g. ${c.example.slice(0, 700).replace(/\n/g, '\n    ')}`);
    });
    return head + (body.length ? `\n${body.length} classes of failure (${failures.size} not pending):${body.join('')}` : '\nno failure');
  }
}

export function tempDir(tag: string): string {
  return mkdtempSync(join(tmpdir(), `pcisim-fuzz-${tag}-`));
}

/**
 * A fuzz test's runner (call inside its describe block) and its end: the report printed, the test failed on
 * any class not pending; the temp folder removed, or kept with the failing inputs in it.
 */
export function fuzzSuite(dir: string): { runner: CliRunner; finish: (findings: Findings) => void } {
  const runner = new CliRunner();
  let failed = false;
  // generous: a loaded machine ends a worker and removes thousands of files slowly
  afterAll(async () => {
    await runner.close();
    if (!failed) rmSync(dir, { recursive: true, force: true });
  }, 300_000);
  return {
    runner,
    finish: (findings) => {
      console.log(findings.report());
      failed = findings.failures.length > 0;
      if (failed) console.log(`fuzz: the inputs are kept in ${dir}`);
      expect(findings.failures, findings.report()).toEqual([]);
    },
  };
}

/**
 * The edits both argv and text lines take (delete, duplicate, swap two, insert one) on a list in place;
 * false for another kind, which the caller makes itself.
 */
export function editList(a: string[], kind: string, at: number, at2: number, item: string): boolean {
  const i = at % Math.max(1, a.length);
  const t = a[i] ?? '';
  if (kind === 'delete') a.splice(i, 1);
  else if (kind === 'duplicate') a.splice(i, 0, t);
  else if (kind === 'swap') {
    const j = at2 % Math.max(1, a.length);
    [a[i], a[j]] = [a[j] ?? '', t];
  } else if (kind === 'insert') a.splice(at % (a.length + 1), 0, item);
  else return false;
  return true;
}
