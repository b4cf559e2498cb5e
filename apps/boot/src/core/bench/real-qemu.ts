/**
 * @module
 * The real thing, for BENCHMARKS.md's side-by-side: QEMU 7.2 under TCG booting Debian's Linux 6.1 the way
 * `pcisim record` does (`-accel tcg -m 512 -nographic -kernel … -append "console=ttyS0 earlyprintk=ttyS0
 * panic=0"` + the scenario), timed from spawn to the console line that ends PCI enumeration
 * ("PCI: CLS … bytes, default 64", printed by pci_apply_final_quirks()), then stopped. Optionally with the
 * recorder's `-trace memory_region_ops_read/write` on, as a recording runs.
 *
 * `node dist/core/bench/real-qemu.js [--trace] [--runs N] [qemu args…]` (needs scripts/setup-reference.sh).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BASE_QEMU_ARGS, scenarioArgs } from '../../record/record.js';

export interface RealBootOptions {
  qemuArgs: string[];
  append?: string;
  /** default: $PCISIM_KERNEL, else .cache/reference-kernel/vmlinuz in the repository */
  kernel?: string;
  /** default: $PCISIM_QEMU, else qemu-system-x86_64 */
  qemu?: string;
  /** also trace memory_region_ops_read/write to a file, as `pcisim record` does */
  trace?: boolean;
  timeoutMs?: number;
}

/** Wall ms from spawning QEMU to the end of Linux's PCI enumeration on the console. */
export function timeRealBoot(o: RealBootOptions): Promise<number> {
  const kernel = o.kernel ?? process.env.PCISIM_KERNEL ?? fileURLToPath(new URL('../../../../../.cache/reference-kernel/vmlinuz', import.meta.url));
  if (!existsSync(kernel)) return Promise.reject(new Error(`no kernel at ${kernel}: run scripts/setup-reference.sh`));
  const qemu = o.qemu ?? process.env.PCISIM_QEMU ?? 'qemu-system-x86_64';
  const dir = o.trace ? mkdtempSync(join(tmpdir(), 'pcisim-real-')) : null;
  const args = [...BASE_QEMU_ARGS, '-kernel', kernel, '-append', o.append ?? 'console=ttyS0 earlyprintk=ttyS0 panic=0', ...scenarioArgs(o.qemuArgs)];
  if (dir) args.push('-trace', `memory_region_ops_read,file=${join(dir, 't')}`, '-trace', `memory_region_ops_write,file=${join(dir, 't')}`);
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(qemu, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let done = false;
    const finish = (err: Error | null, ms = 0): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      child.kill('SIGKILL');
      child.once('close', () => {
        if (dir) rmSync(dir, { recursive: true, force: true });
        if (err) reject(err);
        else resolve(ms);
      });
    };
    const timer = setTimeout(() => finish(new Error(`no end of PCI enumeration within ${o.timeoutMs ?? 60_000} ms`)), o.timeoutMs ?? 60_000);
    child.stdout.setEncoding('latin1');
    child.stdout.on('data', (d: string) => {
      out += d;
      if (/PCI: CLS \d+ bytes/.test(out)) finish(null, performance.now() - t0);
      else if (out.length > 1 << 20) out = out.slice(-4096);
    });
    child.stderr.resume();
    child.on('error', (e) => finish(e));
    child.on('exit', (code) => finish(new Error(`${qemu} exited (${code}) before the end of PCI enumeration`)));
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const argv = process.argv.slice(2);
  const trace = argv.includes('--trace');
  const ri = argv.indexOf('--runs');
  const runs = ri >= 0 ? Number(argv[ri + 1]) : 5;
  const qemuArgs = argv.filter((a, i) => a !== '--trace' && a !== '--runs' && (ri < 0 || i !== ri + 1));
  const times: number[] = [];
  for (let i = 0; i < runs; i++) times.push(await timeRealBoot({ qemuArgs: qemuArgs.length ? qemuArgs : ['-M', 'q35'], trace }));
  times.sort((a, b) => a - b);
  process.stdout.write(
    JSON.stringify({ qemuArgs, trace, runs, medianMs: Math.round(times[times.length >> 1]!), minMs: Math.round(times[0]!), maxMs: Math.round(times[times.length - 1]!) }) + '\n',
  );
}
