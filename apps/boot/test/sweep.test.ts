import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  BENCH_MATRIX,
  SweepMatrixError,
  checkMatrix,
  expandMatrix,
  matrixSize,
  resolveScenario,
  runSweep,
  type SweepMatrix,
  type SweepResult,
} from '../src/core/sweep/index.js';
import { sweepCommand } from '../src/commands/sweep.js';
import { UsageError as SweepUsageError } from '../src/core/errors.js';
import { bootScenario } from '../src/core/boot-scenario.js';
import { spreadSample } from '../src/core/sweep/run.js';
import { parseQemuArgs } from '../src/core/scenario.js';

/** small and quick: lastbus=0 keeps each boot near 1,000 accesses */
const SMALL: SweepMatrix = {
  base: { qemuArgs: ['-M', 'q35'], append: 'pci=lastbus=0' },
  axes: {
    nodefaults: [false, true],
    kvm: ['', 'pci-hole', 'pio-fast'],
    guestPatch: ['none', 'mmconfig-v1'],
  },
};

async function collect(m: unknown, jobs: number, freshMachines = false): Promise<SweepResult[]> {
  const out: SweepResult[] = [];
  await runSweep(m, { jobs, freshMachines, onResult: (r) => out.push(r) });
  return out;
}

/** three machine types, two topologies each, and what varies on the guest's side */
const MIXED: SweepMatrix = {
  base: { append: 'pci=lastbus=7' },
  axes: {
    machine: ['q35', 'pc', 'microvm,pcie=on'],
    devices: [[], ['pcie-pci-bridge,id=ppb', 'pci-bridge,id=br1,bus=ppb,chassis_nr=1,addr=1.0', 'virtio-net-pci,bus=br1,addr=2.0']],
    kvm: ['', 'ro-page-2m,pio-fast', 'mmio-bus'],
    guestPatch: ['none', 'mmconfig-v1'],
  },
};

describe('sweep matrix', () => {
  it('is the cartesian product, axes nesting in the order written (first slowest)', () => {
    const all = [...expandMatrix(SMALL)];
    expect(all).toHaveLength(12);
    expect(matrixSize(SMALL)).toBe(12);
    expect(all[0]).toEqual({ nodefaults: false, kvm: [], guestPatch: 'none' });
    expect(all[1]).toEqual({ nodefaults: false, kvm: [], guestPatch: 'mmconfig-v1' });
    expect(all[2]).toEqual({ nodefaults: false, kvm: ['pci-hole'], guestPatch: 'none' });
    expect(all[11]).toEqual({ nodefaults: true, kvm: ['pio-fast'], guestPatch: 'mmconfig-v1' });
    // the same axes written the other way round nest the other way round
    const swapped = { ...SMALL, axes: { guestPatch: SMALL.axes!.guestPatch, kvm: SMALL.axes!.kvm, nodefaults: SMALL.axes!.nodefaults } };
    expect([...expandMatrix(swapped)][1]).toEqual({ guestPatch: 'none', kvm: [], nodefaults: true });
  });

  it('a matrix without axes is one scenario: the base', () => {
    expect([...expandMatrix({ base: { qemuArgs: ['-M', 'pc'] } })]).toEqual([{}]);
  });

  it('the bench matrix has 1,000 scenarios', () => {
    expect(matrixSize(BENCH_MATRIX)).toBe(1000);
  });

  it('resolves a point the way compare() builds a mitigation set', () => {
    const m: SweepMatrix = { base: { qemuArgs: ['-M', 'q35', '-append', 'console=ttyS0'], append: 'panic=0' } };
    const r = resolveScenario(m, { machine: 'pc', append: 'pci=lastbus=3', pvBit: true, mcfg: 2, devices: ['e1000'], kvm: ['pci-hole'], guestPatch: 'mmconfig-v2' });
    expect(r.scenario.machine).toBe('pc');
    expect(r.scenario.qemuArgs).toEqual(['-append', 'console=ttyS0', '-M', 'pc', '-device', 'e1000']);
    expect(r.scenario.append).toBe('console=ttyS0 panic=0 pci=lastbus=3');
    expect(r.scenario.cpu).toBe('qemu64,kvm-pci-go-mmconfig=on');
    expect(r.scenario.accurateMcfgReserve).toBe(2);
    expect(r.kvm).toEqual(['pci-hole']);
    expect(r.guestPatch).toBe('mmconfig-v2');
  });

  it('refuses what it cannot run, naming the field', () => {
    expect(() => checkMatrix([])).toThrow(SweepMatrixError);
    expect(() => checkMatrix({ axes: { colour: ['red'] } })).toThrow(/unknown axis "colour"/);
    expect(() => checkMatrix({ axes: { kvm: ['pci-hole', 'warp-drive'] } })).toThrow(/"axes\.kvm\[1\]": unknown mitigation 'warp-drive'/);
    expect(() => checkMatrix({ axes: { guestPatch: ['mmconfig-v3'] } })).toThrow(/axes\.guestPatch\[0\]/);
    expect(() => checkMatrix({ axes: { append: [] } })).toThrow(/non-empty/);
    expect(() => checkMatrix({ axes: { mcfg: [null, 300] } })).toThrow(/axes\.mcfg\[1\]/);
    expect(() => checkMatrix({ base: { qemuArgs: '-M q35' } })).toThrow(/base\.qemuArgs/);
    expect(() => checkMatrix({ base: {}, axes: {}, extra: 1 })).toThrow(/unknown key "extra"/);
  });
});

describe('spreadSample', () => {
  it('brings up every value of every axis of the bench matrix within the first 32 scenarios', () => {
    const first = spreadSample(1000, 32);
    expect(new Set(first).size).toBe(32);
    const all = [...expandMatrix(BENCH_MATRIX)];
    for (const axis of ['devices', 'append', 'kvm', 'guestPatch'] as const) {
      const values = new Set(first.map((i) => JSON.stringify(all[i]![axis])));
      expect(values.size, axis).toBe(BENCH_MATRIX.axes![axis]!.length);
    }
  });

  it('is every scenario once when asked for as many or more', () => {
    expect(spreadSample(12, 64).sort((a, b) => a - b)).toEqual([...Array(12).keys()]);
    expect(spreadSample(1, 32)).toEqual([0]);
    expect(spreadSample(7, 0)).toEqual([]);
  });
});

describe('runSweep', () => {
  it('reports each scenario as pcisim boot does, in matrix order', async () => {
    const out = await collect(SMALL, 1);
    expect(out.map((r) => r.index)).toEqual([...Array(12).keys()]);
    const r = resolveScenario(SMALL, out[5]!.scenario);
    const b = bootScenario(r.scenario, { kvm: r.kvm, guestPatch: r.guestPatch });
    const l = b.report.phases.linux;
    expect(out[5]!.linux).toEqual({ accesses: l.config.accesses.total, absent: l.config.absent, exits: l.exits, timeNs: l.timeNs });
    expect(out[5]!.firmware).toEqual({ accesses: b.report.phases.firmware.config.accesses.total });
    expect(out.every((x) => x.error === undefined)).toBe(true);
  });

  it('gives the same lines, byte for byte, on 1 thread and on 3 workers', async () => {
    const m: SweepMatrix = { ...SMALL, axes: { ...SMALL.axes, append: ['', 'pci=lastbus=1', 'pci=lastbus=2', 'pci=lastbus=3', 'pci=nommconf'] } };
    const one = await collect(m, 1);
    expect(one).toHaveLength(60);
    const three = await collect(m, 3);
    expect(three.map((r) => JSON.stringify(r))).toEqual(one.map((r) => JSON.stringify(r)));
    // 120 scenarios: more than the three threads' samples (96), so that chunks follow them
    const chunked = await collect({ ...m, axes: { ...m.axes, mcfg: [null, 1] } }, 3);
    expect(chunked).toHaveLength(120);
    const alone = await collect({ ...m, axes: { ...m.axes, mcfg: [null, 1] } }, 1, true);
    expect(chunked.map((r) => JSON.stringify(r))).toEqual(alone.map((r) => JSON.stringify(r)));
  }, 60_000);

  it('a scenario that does not boot is a line with its error, not the end of the sweep', async () => {
    const out = await collect({ base: { qemuArgs: ['-M', 'q35'], append: 'pci=lastbus=0' }, axes: { devices: [[], ['no-such-device']] } }, 2);
    expect(out).toHaveLength(2);
    expect(out[0]!.linux?.accesses).toBeGreaterThan(0);
    expect(out[1]!.error).toMatch(/no-such-device/);
    expect(out[1]!.linux).toBeUndefined();
  }, 60_000);

  it('restores one machine per QEMU command line and thread, and prints what new machines would', async () => {
    const fresh = await collect(MIXED, 1, true);
    const restored = await collect(MIXED, 1);
    expect(restored.map((r) => JSON.stringify(r))).toEqual(fresh.map((r) => JSON.stringify(r)));
    expect(fresh.filter((r) => r.error !== undefined)).toEqual([]);
    const one = await runSweep(MIXED, { jobs: 1 });
    // 6 command lines, each powered on with 3 mitigation sets, each of those restored for the second guest
    expect(one.machines).toEqual({ built: 6, reused: 12, poweredOn: 18, restored: 18, refused: 0 });
    expect((await runSweep(MIXED, { jobs: 1, freshMachines: true })).machines).toEqual({ built: 0, reused: 0, poweredOn: 0, restored: 0, refused: 0 });
    const two = await runSweep(MIXED, { jobs: 2, chunk: 6 });
    expect(two.machines.refused).toBe(0);
    expect(two.machines.poweredOn + two.machines.restored).toBe(36);
  }, 60_000);

  it('checks jobs', async () => {
    await expect(runSweep(SMALL, { jobs: 0 })).rejects.toThrow(RangeError);
    await expect(runSweep(SMALL, { jobs: 1.5 })).rejects.toThrow(RangeError);
  });
});

describe('sweepCommand', () => {
  const file = (m: unknown): string => {
    const dir = mkdtempSync(join(tmpdir(), 'pcisim-sweep-'));
    const f = join(dir, 'matrix.json');
    writeFileSync(f, JSON.stringify(m));
    return f;
  };

  it('prints one JSON line per scenario; the progress line only on a terminal, the summary always', async () => {
    const f = file(SMALL);
    for (const tty of [false, true]) {
      let stdout = '';
      let stderr = '';
      const s = await sweepCommand([f, '--jobs', '2'], { stdout: (x) => (stdout += x), stderr: (x) => (stderr += x), stderrIsTTY: tty });
      expect(s).toMatchObject({ scenarios: 12, errors: 0, jobs: 2 });
      const lines = stdout.trimEnd().split('\n');
      expect(lines).toHaveLength(12);
      expect(lines.map((l) => (JSON.parse(l) as SweepResult).index)).toEqual([...Array(12).keys()]);
      if (tty) expect(stderr).toMatch(/\rpcisim sweep: 12 scenarios, 0 failed, [\d.]+ s on 2 threads, [1-4] machines? built\n$/);
      else expect(stderr).toMatch(/^pcisim sweep: 12 scenarios, 0 failed, [\d.]+ s on 2 threads, [1-4] machines? built\n$/);
    }
  }, 60_000);

  it('usage errors', async () => {
    const io = { stdout: () => {}, stderr: () => {} };
    await expect(sweepCommand([], io)).rejects.toThrow(SweepUsageError);
    await expect(sweepCommand(['m.json', '--jobs', '0'], io)).rejects.toThrow(/--jobs needs a positive integer/);
    await expect(sweepCommand(['m.json', '--fast'], io)).rejects.toThrow(/unknown option '--fast'/);
    await expect(sweepCommand(['m.json', '--fresh-machines=yes'], io)).rejects.toThrow(/unknown option '--fresh-machines=yes'/);
    await expect(sweepCommand(['/nonexistent/m.json'], io)).rejects.toThrow(/cannot read/);
    const bad = file({ axes: { kvm: 'pci-hole' } });
    await expect(sweepCommand([bad], io)).rejects.toThrow(/axis "kvm" must be a non-empty list/);
  });

  it('the matrix of the example in the module comment is valid', () => {
    const m = checkMatrix({
      base: { qemuArgs: ['-M', 'q35'], append: 'console=ttyS0' },
      axes: {
        machine: ['q35', 'pc', 'microvm,pcie=on'],
        append: ['', 'pci=lastbus=0'],
        kvm: ['', 'pci-hole', 'mmio-bus,pio-fast'],
        guestPatch: ['none', 'mmconfig-v1', 'mmconfig-v2'],
        pvBit: [false, true],
        mcfg: [null, 0, 8],
        devices: [[], ['pcie-root-port,id=rp1,chassis=1', 'virtio-net-pci,bus=rp1']],
        args: [[], ['-m', '1G']],
        nodefaults: [false, true],
        cost: ['lkml-2020', 'measured-here'],
        pvEnumeration: [false, true],
      },
    });
    expect(matrixSize(m)).toBe(3 * 2 * 3 * 3 * 2 * 3 * 2 * 2 * 2 * 2 * 2);
    expect(parseQemuArgs(['-M', 'q35']).machine).toBe('q35');
  });
});
