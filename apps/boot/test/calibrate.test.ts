// pcisim calibrate (issue 21): the profile it writes is what --cost reads, each figure derived from its
// measured rows as the sources say; where there is no /dev/kvm or no compiler, one line says so. The C
// program is built (and run briefly, for its shape, never its timings) only where cc and /dev/kvm exist.
import { describe, expect, it } from 'vitest';
import { accessSync, constants, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { COST_EVENTS, parseCostProfile, type CostMeasurement } from '@sim/kvm';
import { runCli } from '../src/index.js';
import { buildCalibrator, calibrateBlocker, findCompiler, hostInfo, parseCalibrateOutput, profileFromRows, runCalibrator, type CalibrateRaw } from '../src/core/calibrate.js';
import { costProfileFile, resolveCostProfile } from '../src/core/cost.js';

const HERE = fileURLToPath(new URL('../../../reference/costs/calibrated-here.json', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'pcisim-calibrate-'));

const run = async (args: string[]) => {
  let out = '';
  let err = '';
  const code = await runCli(args, { stdout: (s) => (out += s), stderr: (s) => (err += s) });
  return { code, out, err };
};

const here = JSON.parse(readFileSync(HERE, 'utf8')) as { ns: Record<string, number>; measurements: CostMeasurement[]; host: Record<string, unknown> };
const row = (name: string): CostMeasurement => here.measurements.find((m) => m.name === name)!;
const round1 = (x: number): number => Math.round(x * 10) / 10;

describe('the profile calibrate wrote on this project machine (reference/costs/calibrated-here.json)', () => {
  it('is a profile --cost reads, with its host and rows', () => {
    const p = resolveCostProfile(HERE);
    expect(p.name).toBe('calibrated-here');
    expect(p.host?.['kvmModule']).toBe('kvm_pvm');
    expect(p.host?.['nested']).toBe(true);
    expect(String(p.host?.['virtualisation'])).toMatch(/software virtualisation/);
    for (const e of COST_EVENTS) {
      expect(p.sources?.[e]).toBeTruthy();
      expect(p.spread?.[e]?.p10).toBeLessThanOrEqual(p.ns[e]);
      expect(p.spread?.[e]?.p90).toBeGreaterThanOrEqual(p.ns[e]);
    }
  });
  it('each event is its rows as the sources say (userspace exits minus one turn of the empty loop)', () => {
    const loop = row('null_loop').median;
    expect(here.ns['userspaceExitIo']).toBe(round1((row('pio_out_user').median + row('pio_in_user').median) / 2 - loop));
    expect(here.ns['userspaceExitMmio']).toBe(round1((row('mmio_read_user').median + row('mmio_write_user').median) / 2 - loop));
    expect(here.ns['inKernelPio']).toBe(round1(row('pic_pio_read_kernel').median));
    expect(here.ns['inKernelMmio']).toBe(round1(row('ioeventfd_mmio_write').median));
    expect(here.ns['eptViolationMap']).toBe(Math.max(0, round1(row('ro_first_touch').median)));
    expect(here.ns['noExitAccess']).toBe(Math.max(0, round1(row('ram_read').median)));
    expect(here.ns['memslotUpdate']).toBe(round1(row('memslot_update').median));
  });
  it('profileFromRows of its rows gives its figures back, and the file round-trips through cost show --json', async () => {
    const raw: CalibrateRaw = { schema: 'pcisim.kvm-calibrate/1', api: 12, tscKHz: Number(here.host['tscKHz']), irqchip: true, mode: 'long64_cpl0', rows: here.measurements };
    const p = profileFromRows(raw, hostInfo('/nonexistent'), { name: 'x', date: '2026-01-01T00:00:00Z', version: '0' });
    expect(p.ns).toEqual(here.ns);
    const r = await run(['cost', 'show', HERE, '--json']);
    expect(r.code).toBe(0);
    expect(parseCostProfile(JSON.parse(r.out))).toEqual(resolveCostProfile(HERE));
    expect(JSON.parse(r.out)).toEqual(JSON.parse(JSON.stringify(costProfileFile(resolveCostProfile(HERE)))));
  });
  it('without a no-exit load row, profileFromRows names the missing row', () => {
    const raw: CalibrateRaw = { schema: 'pcisim.kvm-calibrate/1', api: 12, tscKHz: 1, irqchip: true, mode: 'long64_cpl0', rows: here.measurements.filter((m) => m.name !== 'ram_read') };
    expect(() => profileFromRows(raw, hostInfo('/nonexistent'), { name: 'x', date: 'd', version: '0' })).toThrow('calibrate: kvm-calibrate measured no ram_read row for noExitAccess');
  });
  it('boot --cost charges its figures: the same counts, times = counts × its costs', async () => {
    const a = JSON.parse((await run(['boot', '-M', 'q35', '--json'])).out);
    const b = JSON.parse((await run(['boot', '-M', 'q35', '--json', '--cost', HERE])).out);
    const ns = here.ns as Record<'userspaceExitIo' | 'userspaceExitMmio' | 'inKernelPio', number>;
    for (const phase of ['firmware', 'linux'] as const) {
      const e = b.phases[phase].exits;
      expect(e).toEqual(a.phases[phase].exits);
      // q35's exits: conf1 data ports and ECAM to userspace, the 0xcf8 address write in KVM (coalesced PIO)
      expect(b.phases[phase].timeNs).toBe(Math.round(e.KVM_EXIT_IO * ns.userspaceExitIo + e.KVM_EXIT_MMIO * ns.userspaceExitMmio + e.inKernel * ns.inKernelPio));
    }
    expect((await run(['boot', '-M', 'q35', '--cost', HERE])).out).toMatch(/^pcisim boot: .*; cost profile calibrated-here$/m);
  });
});

describe('compare and cost show with the calibrated file', () => {
  it('compare -M q35 --cost <file> prices every row with it', async () => {
    const r = await run(['compare', '-M', 'q35', '--cost', HERE]);
    expect(r.code).toBe(0);
    expect(r.out.split('\n')[0]).toBe('pcisim compare: -M q35; cost profile calibrated-here');
    // the baseline row's PCI ms is the Linux phase's time under the profile
    const boot = JSON.parse((await run(['boot', '-M', 'q35', '--json', '--cost', HERE])).out);
    expect(r.out).toMatch(new RegExp(`^baseline .* ${(boot.phases.linux.timeNs / 1e6).toFixed(2)} +0\\.00$`, 'm'));
  });
  it('cost show prints the host and each figure\'s p10-p90 before its method', async () => {
    const r = await run(['cost', 'show', HERE]);
    expect(r.out).toMatch(/^host: cpu AMD EPYC; kernel Linux 6\.18\.44-fc-v1300; kvmModule kvm_pvm; /m);
    const p = resolveCostProfile(HERE);
    expect(r.out).toContain(`  userspaceExitIo    ${p.ns.userspaceExitIo}  ${p.spread!.userspaceExitIo!.p10}-${p.spread!.userspaceExitIo!.p90}`);
  });
});

describe('a profile file with a bad measured field is one line naming it', () => {
  const base = { name: 'm', extends: 'lkml-2020', ns: {} };
  it.each([
    [{ ...base, host: [] }, 'host must be an object, got an array'],
    [{ ...base, host: { cpu: {} } }, 'host.cpu must be a string, number or boolean, got an object'],
    [{ ...base, spread: { userspaceExitIo: { p10: 1 } } }, 'spread.userspaceExitIo must be {"p10": <ns>, "p90": <ns>}'],
    [{ ...base, spread: { nope: { p10: 1, p90: 2 } } }, 'spread.nope is not a cost event'],
    [{ ...base, measurements: {} }, 'measurements must be an array, got an object'],
    [{ ...base, measurements: [{ name: 'a', kind: 'k', desc: 'd', samples: 1, ops: 1, median: 'x', p10: 0, p90: 0 }] }, 'measurements[0].median must be a number, got "x"'],
  ])('%j', async (json, message) => {
    const f = join(dir, 'bad.json');
    writeFileSync(f, JSON.stringify(json));
    const r = await run(['boot', '-M', 'q35', '--cost', f]);
    expect(r.code).toBe(1);
    expect(r.err.trimEnd()).toBe(`pcisim: --cost: ${f}: ${message}`);
  });
});

describe('where calibrate cannot measure', () => {
  it('no /dev/kvm: one line', () => {
    expect(calibrateBlocker({ kvm: '/nonexistent/kvm', cc: '/usr/bin/cc' })).toBe(
      'no /nonexistent/kvm on this host (the KVM module is not loaded, or this is a container without it): nothing to measure',
    );
  });
  it('no compiler: one line', () => {
    const kvm = join(dir, 'fake-kvm');
    writeFileSync(kvm, '');
    const saved = { PATH: process.env['PATH'], CC: process.env['CC'] };
    process.env['PATH'] = '/nonexistent';
    delete process.env['CC'];
    try {
      expect(calibrateBlocker({ kvm })).toBe('no C compiler (cc) to build apps/boot/native/kvm-calibrate.c: install one (Debian: apt-get install build-essential), or set CC');
    } finally {
      process.env['PATH'] = saved.PATH;
      if (saved.CC !== undefined) process.env['CC'] = saved.CC;
    }
  });
  it("the program's error line becomes pcisim's", () => {
    expect(() => parseCalibrateOutput('{"error": "open /dev/kvm: Permission denied"}\n')).toThrow('calibrate: open /dev/kvm: Permission denied');
    expect(() => parseCalibrateOutput('Segmentation fault\n')).toThrow('calibrate: kvm-calibrate printed no result: "Segmentation fault"');
  });
  it('calibrate takes no arguments', async () => {
    const r = await run(['calibrate', 'now']);
    expect(r.code).toBe(2);
    expect(r.err.trimEnd()).toBe("pcisim: calibrate takes no arguments, got 'now'");
  });
});

const cc = findCompiler();
const kvmUsable = (() => {
  try {
    accessSync('/dev/kvm', constants.R_OK | constants.W_OK);
    return true;
  } catch {
    return false;
  }
})();

describe.skipIf(cc === undefined)('kvm-calibrate.c builds with this machine\'s cc (skipped where there is no C compiler)', () => {
  it('builds once into the cache, then reuses the binary', () => {
    const cache = join(dir, 'cache');
    const bin = buildCalibrator(cc!, cache);
    expect(existsSync(bin)).toBe(true);
    expect(buildCalibrator(cc!, cache)).toBe(bin);
  });
  // the shape of its output, never its timings
  it.skipIf(!kvmUsable)('runs on /dev/kvm and measures every row the profile needs (skipped where /dev/kvm is missing or not usable)', () => {
    const raw = runCalibrator(buildCalibrator(cc!, join(dir, 'cache')), 0.05);
    const p = profileFromRows(raw, hostInfo(), { name: 'probe', date: '2026-01-01T00:00:00Z', version: '0' });
    expect(raw.rows.map((r) => r.name)).toEqual(expect.arrayContaining(['null_loop', 'pio_out_user', 'pio_in_user', 'mmio_read_user', 'mmio_write_user', 'ram_read', 'ro_first_touch', 'memslot_update']));
    for (const e of COST_EVENTS) expect(Number.isFinite(p.ns[e])).toBe(true);
  });
});
