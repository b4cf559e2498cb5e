/**
 * @module
 * `pcisim sweep <matrix.json> [--jobs N] [--fresh-machines]`: a scenario matrix booted on N threads (this one
 * and N-1 worker threads; default 1), one JSON line per scenario on stdout (in matrix order, the same for every
 * N), a progress line on stderr when stderr is a terminal. Scenarios with the same QEMU command line share one
 * realized machine per thread, restored before each boot ({@link MachineCache}); `--fresh-machines` builds
 * one for every scenario instead (same output, slower).
 */
import { readFileSync } from 'node:fs';
import { checkMatrix, SweepMatrixError, type SweepMatrix } from './matrix.js';
import { runSweep, type SweepSummary } from './run.js';

export * from './matrix.js';
export { runSweep, runScenario, sweepWorkerUrl, type SweepResult, type SweepOptions, type SweepSummary } from './run.js';

/** A q35 sweep of 1,000 scenarios: 5 topologies × 10 kernel command lines × 10 KVM mitigation sets × 2 guests. */
export const BENCH_MATRIX: SweepMatrix = {
  base: { qemuArgs: ['-M', 'q35'] },
  axes: {
    devices: [
      [],
      ['pcie-root-port,id=rp1,chassis=1', 'virtio-net-pci,bus=rp1'],
      ['pcie-root-port,id=rp1,chassis=1,addr=3.0,multifunction=on', 'pcie-root-port,id=rp2,chassis=2,addr=3.1', 'pcie-root-port,id=rp3,chassis=3,addr=3.2', 'pcie-root-port,id=rp4,chassis=4,addr=3.3'],
      ['pcie-pci-bridge,id=ppb', 'pci-bridge,id=br1,bus=ppb,chassis_nr=1,addr=1.0'],
      ['pcie-root-port,id=rp1,chassis=1', 'virtio-scsi-pci,bus=rp1', 'virtio-rng-pci,bus=pcie.0', 'virtio-balloon-pci'],
    ],
    append: ['', 'pci=lastbus=0', 'pci=lastbus=1', 'pci=lastbus=3', 'pci=lastbus=7', 'pci=lastbus=15', 'pci=lastbus=31', 'pci=lastbus=63', 'pci=lastbus=127', 'pci=nommconf'],
    kvm: ['', 'pci-hole', 'mmio-bus', 'ro-page', 'ro-page-2m', 'ro-page-prefetch', 'ro-page-prefetch-2m', 'ro-page-full', 'pio-fast', 'pci-hole,pio-fast'],
    guestPatch: ['none', 'mmconfig-v1'],
  },
};

export interface SweepCliIo {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  /** stderr is a terminal: draw the progress line */
  stderrIsTTY?: boolean;
}

/** A usage error (`pcisim sweep` exits 2 for it). */
export class SweepUsageError extends Error {
  readonly code = 'USAGE';
}

/** Parses `<matrix.json> [--jobs N] [--fresh-machines]` and runs the sweep; resolves to the summary. */
export async function sweepCommand(argv: readonly string[], io: SweepCliIo): Promise<SweepSummary> {
  let file: string | undefined;
  let jobs = 1;
  let freshMachines = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--jobs' || a === '-j' || a.startsWith('--jobs=')) {
      const v = a.startsWith('--jobs=') ? a.slice(7) : argv[++i];
      if (v === undefined || !/^[1-9][0-9]*$/.test(v)) throw new SweepUsageError(`--jobs needs a positive integer, got ${v === undefined ? 'nothing' : `'${v}'`}`);
      jobs = Number(v);
    } else if (a === '--fresh-machines') {
      freshMachines = true;
    } else if (a.startsWith('-') && a !== '-') {
      throw new SweepUsageError(`unknown option '${a}'`);
    } else if (file === undefined) {
      file = a;
    } else {
      throw new SweepUsageError(`one matrix file, got '${file}' and '${a}'`);
    }
  }
  if (file === undefined) throw new SweepUsageError('sweep needs a matrix file (JSON: {"base": {...}, "axes": {...}})');
  let text: string;
  try {
    text = readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (e) {
    throw new SweepMatrixError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new SweepMatrixError(`${file} is not JSON: ${(e as Error).message}`);
  }
  const matrix = checkMatrix(parsed);
  const tty = io.stderrIsTTY === true;
  let lastDraw = 0;
  let out: string[] = [];
  const flush = (): void => {
    if (out.length) io.stdout(out.join(''));
    out = [];
  };
  const summary = await runSweep(matrix, {
    jobs,
    freshMachines,
    onResult: (r) => {
      out.push(JSON.stringify(r) + '\n');
      if (out.length >= 256) flush();
    },
    onProgress: tty
      ? (done, total) => {
          const now = performance.now();
          if (done !== total && now - lastDraw < 100) return;
          lastDraw = now;
          flush();
          io.stderr(`\rpcisim sweep: ${done}/${total} scenarios (${Math.floor((100 * done) / total)}%)`);
        }
      : undefined,
  });
  flush();
  if (tty) {
    const built = summary.machines.built;
    io.stderr(
      `\rpcisim sweep: ${summary.scenarios} scenarios, ${summary.errors} failed, ${(summary.wallMs / 1000).toFixed(2)} s on ${summary.jobs} thread${summary.jobs === 1 ? '' : 's'}, ${built} machine${built === 1 ? '' : 's'} built\n`,
    );
  }
  return summary;
}
