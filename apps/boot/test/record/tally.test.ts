import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readAccessesFile } from '../../src/record/accesses-file.js';
import { ConfigTallyBuilder, formatBusOrder, packAccess, parseBdf, PhaseTallyBuilder, PresentSet, tallyPhases } from '../../src/record/tally.js';
import type { AccessRecord, ConfigTally, Phase } from '../../src/core/report-types.js';
import { FIXTURES, loadReport, recordedScenarios, REFERENCE_SCENARIOS } from './helpers.js';

function withoutPorts(c: ConfigTally): ConfigTally {
  const { portAccesses: _ignored, ...rest } = c;
  return rest;
}

describe('tally builder on the reference recordings', () => {
  const scenarios = recordedScenarios();

  it('finds all 8 reference scenarios in the fixtures', () => {
    for (const s of REFERENCE_SCENARIOS) expect(scenarios).toContain(s);
  });

  it.each(scenarios)('%s: accesses + Linux device list reproduce the JSON phases exactly', async (scenario) => {
    const ref = loadReport(scenario);
    const builder = new PhaseTallyBuilder(ref.devices);
    for await (const a of readAccessesFile(join(FIXTURES, `${scenario}.accesses.txt.gz`))) builder.add(a);
    const got = builder.result();
    for (const phase of ['firmware', 'linux'] as Phase[]) {
      expect(got[phase]).toEqual(withoutPorts(ref.phases[phase].config));
      // toEqual ignores key order; the reference's byBus / perPresentDevice order is first access.
      expect(Object.keys(got[phase].perPresentDevice)).toEqual(Object.keys(ref.phases[phase].config.perPresentDevice));
    }
  });

  it('q35-default: the figures the issue quotes', async () => {
    const ref = loadReport('q35-default');
    const accesses: AccessRecord[] = [];
    for await (const a of readAccessesFile(join(FIXTURES, 'q35-default.accesses.txt.gz'))) accesses.push(a);
    const t = tallyPhases(accesses, ref.devices);
    expect(t.linux.accesses).toEqual({ conf1: 8820, mmcfg: 47, total: 8867 });
    expect(t.linux.absent).toBe(8231);
    expect(t.firmware.accesses).toMatchObject({ conf1: 178, mmcfg: 265 });
    expect(t.linux.busOrder).toBe('0,255,1-254');
  });
});

describe('ConfigTallyBuilder', () => {
  const rec = (bus: number, dev: number, fn: number, write = false, mech: 'conf1' | 'mmcfg' = 'conf1') => ({
    mech,
    write,
    bus,
    devfn: (dev << 3) | fn,
  });

  it('splits absent accesses into bus / slot / function', () => {
    // Bus 0: 00:00.0 and 00:1f.0; bus 1: 01:00.0. Bus 2 exists behind a bridge but holds nothing.
    const b = new ConfigTallyBuilder(['00:00.0', '0000:00:1f.0', '01:00.0']);
    b.add(rec(0, 0, 0)); // present
    b.add(rec(0, 0x1f, 2)); // absent function of a present slot
    b.add(rec(0, 3, 0, true)); // absent slot on a present bus, a write
    b.add(rec(2, 0, 0, false, 'mmcfg')); // absent bus (no device on it)
    b.add(rec(1, 0, 0)); // present
    b.add(rec(0, 0, 0, true, 'mmcfg')); // present
    const t = b.result();
    expect(t.accesses).toEqual({ conf1: 4, mmcfg: 2, total: 6 });
    expect([t.reads, t.writes, t.absent]).toEqual([4, 2, 3]);
    expect(t.absentBreakdown).toEqual({
      absent_reads: 2,
      absent_writes: 1,
      absent_bus: 1,
      absent_slot_on_present_bus: 1,
      absent_function_of_present_slot: 1,
    });
    expect(t.distinctBdfProbed).toBe(5);
    expect(t.byBus).toEqual({ '0': 4, '2': 1, '1': 1 });
    expect(t.byBusMechanism['0']).toEqual({ conf1: 3, mmcfg: 1, absent: 2 });
    expect(t.byBusMechanism['2']).toEqual({ conf1: 0, mmcfg: 1, absent: 1 });
    expect(t.perPresentDevice).toEqual({ '00:00.0': 2, '01:00.0': 1 });
    expect(t.busOrder).toBe('0,2,1');
  });

  it('a packed log counts as a plain per-access count says, run by run', () => {
    // addPacked() counts run by run (accesses to one bus in a row), with a separate loop for buses that hold
    // no device; checked against the definitions counted one access at a time with Maps. Runs of every length,
    // buses revisited, present and absent functions, both mechanisms, reads and writes (a fixed LCG)
    const devices = ['00:00.0', '00:1f.0', '00:1f.3', '01:00.0', '05:03.1'];
    const present = new PresentSet(devices);
    let x = 12345;
    const next = (m: number): number => ((x = (Math.imul(x, 1103515245) + 12345) >>> 0) >>> 8) % m;
    const log: { mech: number; write: number; bus: number; devfn: number }[] = [];
    let bus = 0;
    for (let k = 0; k < 5000; k++) {
      if (next(8) === 0) bus = [0, 1, 2, 5, 0xff][next(5)]!;
      const devfn = next(4) === 0 ? [0, 0xf8, 0xfb, 0x19][next(4)]! : next(256);
      log.push({ mech: next(2), write: next(5) === 0 ? 1 : 0, bus, devfn });
    }
    const b = new ConfigTallyBuilder(present);
    b.addPacked(Uint32Array.from(log, (a) => packAccess(a.mech, a.write, a.bus, a.devfn)), log.length);
    const t = b.result();

    const bdf = (bus: number, devfn: number): string => `${bus.toString(16).padStart(2, '0')}:${(devfn >> 3).toString(16).padStart(2, '0')}.${devfn & 7}`;
    const presentBdf = new Set(devices);
    const busHas = (n: number): boolean => devices.some((d) => parseInt(d.slice(0, 2), 16) === n);
    const slotHas = (n: number, devfn: number): boolean => devices.some((d) => d.startsWith(bdf(n, devfn).slice(0, 5)));
    const byBusMechanism: Record<string, { conf1: number; mmcfg: number; absent: number }> = {};
    const perPresentDevice: Record<string, number> = {};
    const order: number[] = [];
    const seen = new Set<string>();
    const breakdown = { absent_reads: 0, absent_writes: 0, absent_bus: 0, absent_slot_on_present_bus: 0, absent_function_of_present_slot: 0 };
    for (const a of log) {
      const name = bdf(a.bus, a.devfn);
      seen.add(name);
      if (!byBusMechanism[a.bus]) order.push(a.bus);
      const m = (byBusMechanism[a.bus] ??= { conf1: 0, mmcfg: 0, absent: 0 });
      if (a.mech) m.mmcfg++;
      else m.conf1++;
      if (presentBdf.has(name)) {
        perPresentDevice[name] = (perPresentDevice[name] ?? 0) + 1;
        continue;
      }
      m.absent++;
      if (a.write) breakdown.absent_writes++;
      else breakdown.absent_reads++;
      if (!busHas(a.bus)) breakdown.absent_bus++;
      else if (!slotHas(a.bus, a.devfn)) breakdown.absent_slot_on_present_bus++;
      else breakdown.absent_function_of_present_slot++;
    }
    const writes = log.filter((a) => a.write).length;
    const mmcfg = log.filter((a) => a.mech).length;
    expect(t.accesses).toEqual({ conf1: log.length - mmcfg, mmcfg, total: log.length });
    expect([t.reads, t.writes]).toEqual([log.length - writes, writes]);
    expect(t.absentBreakdown).toEqual(breakdown);
    expect(t.absent).toBe(breakdown.absent_reads + breakdown.absent_writes);
    expect(t.distinctBdfProbed).toBe(seen.size);
    expect(t.byBusMechanism).toEqual(byBusMechanism);
    expect(t.byBus).toEqual(Object.fromEntries(Object.entries(byBusMechanism).map(([k, v]) => [k, v.conf1 + v.mmcfg])));
    expect(t.perPresentDevice).toEqual(perPresentDevice);
    expect(t.busOrder).toBe(formatBusOrder(order));
    // every kind of access came up
    expect(Object.values(breakdown).every((n) => n > 0)).toBe(true);
    expect(Object.keys(perPresentDevice).length).toBeGreaterThan(2);
  });

  it('an empty phase is all zeros', () => {
    const t = new ConfigTallyBuilder([]).result();
    expect(t.accesses.total).toBe(0);
    expect(t.byBus).toEqual({});
    expect(t.busOrder).toBe('');
  });

  it('rejects out-of-range accesses and bad device names', () => {
    const b = new ConfigTallyBuilder(new PresentSet());
    expect(() => b.add({ mech: 'conf1', write: false, bus: 256, devfn: 0 })).toThrow(RangeError);
    expect(() => b.add({ mech: 'conf1', write: false, bus: -1, devfn: 0 })).toThrow(RangeError);
    expect(() => new PresentSet(['00:20.0'])).toThrow(RangeError);
    expect(() => new PresentSet(['bogus'])).toThrow(RangeError);
  });

  it('ignores devices outside domain 0 (conf1 and the ECAM window do not reach them)', () => {
    const p = new PresentSet(['0001:00:00.0']);
    expect(p.has(0, 0)).toBe(false);
  });
});

describe('helpers', () => {
  it('formatBusOrder joins consecutive runs', () => {
    expect(formatBusOrder([0, 255, ...Array.from({ length: 254 }, (_, i) => i + 1)])).toBe('0,255,1-254');
    expect(formatBusOrder([0, 1, 255, 2, 3, 4])).toBe('0-1,255,2-4');
    expect(formatBusOrder([3])).toBe('3');
    expect(formatBusOrder([])).toBe('');
  });

  it('parseBdf takes both forms', () => {
    expect(parseBdf('00:1f.2')).toEqual({ domain: 0, bus: 0, devfn: 0xfa });
    expect(parseBdf('0000:ff:00.0')).toEqual({ domain: 0, bus: 255, devfn: 0 });
    expect(parseBdf('00:1f.8')).toBeUndefined();
  });
});
