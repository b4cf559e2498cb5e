import { describe, expect, it } from 'vitest';
import { bootScenario, parseQemuArgs } from '../../src/index.js';
import { TraceCollector, buildTraceEvents, PID_GUEST, PID_KVM, PID_QEMU, type TraceEvent } from '../../src/formats/index.js';
import { validateTraceEventFile } from './trace-event-schema.js';

const boot = (args: string[], opts: Parameters<typeof bootScenario>[1] = {}, collector = new TraceCollector()) =>
  bootScenario(parseQemuArgs(args), { ...opts, trace: collector });

describe('Chrome Trace Event JSON of a q35 boot', () => {
  const r = boot(['-M', 'q35']);
  const file = buildTraceEvents(r);
  const json = JSON.stringify(file);
  const parsed: unknown = JSON.parse(json);
  const events = file.traceEvents;
  const x = (name: string | RegExp) => events.filter((e) => e.ph === 'X' && (typeof name === 'string' ? e.name === name : name.test(e.name)));

  it('every event is valid Trace Event Format (as Perfetto imports it)', () => {
    expect(validateTraceEventFile(parsed)).toEqual([]);
  });

  it('is the JSON Object Format with displayTimeUnit ns', () => {
    expect(Object.keys(file)).toEqual(['traceEvents', 'displayTimeUnit', 'otherData']);
    expect(file.displayTimeUnit).toBe('ns');
  });

  it('has one labelled process per layer', () => {
    const names = events.filter((e) => e.ph === 'M' && e.name === 'process_name').map((e) => [e.pid, e.args!['name']]);
    expect(names).toEqual([
      [PID_GUEST, 'guest (firmware + Linux 6.1)'],
      [PID_KVM, 'kvm'],
      [PID_QEMU, 'qemu-system-x86_64'],
    ]);
  });

  it('has complete events for the firmware, the initcalls, each bus scan and each BAR sizing', () => {
    expect(x('firmware')).toHaveLength(1);
    expect(x('linux')).toHaveLength(1);
    for (const n of ['setup_arch', 'pci_arch_init', 'acpi_init', 'pci_acpi_scan_root', 'scan bus 00', 'pci_subsys_init', 'pcibios_fixup_peer_bridges']) {
      expect(x(n), n).toHaveLength(1);
    }
    const bars = x(/^BAR sizing /).map((e) => e.args!['bdf']);
    expect(bars).toEqual(r.report.devices.map((d) => d.bdf.slice(5)));
    const fw = x('firmware')[0]!;
    expect(fw.ts).toBe(60); // µs
    expect(fw.dur).toBe(2843);
    expect(x('linux')[0]!.dur! * 1000).toBe(r.report.phases.linux.timeNs);
  });

  it('BAR sizing sits inside its bus scan', () => {
    const scan = x('scan bus 00')[0]!;
    for (const b of x(/^BAR sizing /)) {
      expect(b.ts).toBeGreaterThanOrEqual(scan.ts);
      expect(b.ts + b.dur!).toBeLessThanOrEqual(scan.ts + scan.dur!);
    }
  });

  it('marks the milestones as global instants', () => {
    const inst = events.filter((e) => e.ph === 'i');
    expect(inst.map((e) => e.name)).toContain('fw_start');
    expect(inst.map((e) => e.name)).toContain('linux_start_kernel');
    expect(inst.every((e) => e.s === 'g')).toBe(true);
  });

  it('aggregates the exits into counters whose bins add up to every exit', () => {
    const t = r.trace!;
    const sum = (f: (b: (typeof t.bins)[number]) => number) => t.bins.reduce((a, b) => a + f(b), 0);
    const vmx = r.kvmStats.firmware.vmxExits;
    const lvmx = r.kvmStats.linux.vmxExits;
    expect(sum((b) => b.IO_INSTRUCTION)).toBe(vmx.IO_INSTRUCTION + lvmx.IO_INSTRUCTION);
    expect(sum((b) => b.EPT_MISCONFIG)).toBe(vmx.EPT_MISCONFIG + lvmx.EPT_MISCONFIG);
    expect(sum((b) => b.KVM_EXIT_IO)).toBe(r.report.phases.firmware.exits!.KVM_EXIT_IO + r.report.phases.linux.exits!.KVM_EXIT_IO);
    const counters = events.filter((e) => e.ph === 'C');
    expect(counters.length).toBeGreaterThan(10);
    // every counter series ends at zero
    for (const name of new Set(counters.map((c) => c.name))) {
      const last = counters.filter((c) => c.name === name).at(-1)!;
      expect(Object.values(last.args!).every((v) => v === 0), name).toBe(true);
    }
  });

  it('is cheap enough to leave on: counters, not 18k instants', () => {
    expect(events.filter((e) => e.ph === 'i' && e.pid === PID_KVM)).toHaveLength(0);
    expect(events.length).toBeLessThan(5000);
    expect(json.length).toBeLessThan(500_000);
  });

  it('is deterministic', () => {
    expect(JSON.stringify(buildTraceEvents(boot(['-M', 'q35'])))).toBe(json);
  });
});

describe('other boots give valid traces too', () => {
  const cases: [string, string[], Parameters<typeof bootScenario>[1]][] = [
    ['pc', ['-M', 'pc'], {}],
    ['microvm', ['-M', 'microvm'], {}],
    ['q35 ro-page-prefetch + mmconfig-v2', ['-M', 'q35', '-cpu', 'qemu64,kvm-pci-go-mmconfig=on'], { kvm: ['ro-page-prefetch'], guestPatch: 'mmconfig-v2' }],
    ['q35 pci-hole', ['-M', 'q35'], { kvm: ['pci-hole'] }],
    ['q35 pci=nommconf', ['-M', 'q35', '-append', 'pci=nommconf'], {}],
    ['q35 pv-enumeration', ['-M', 'q35'], { pvEnumeration: true }],
  ];
  for (const [name, args, opts] of cases) {
    it(name, () => {
      const r = boot(args, opts);
      expect(validateTraceEventFile(JSON.parse(JSON.stringify(buildTraceEvents(r))))).toEqual([]);
    });
  }
});

describe('exit instants on request', () => {
  it('one valid ph:"i" per exit', () => {
    const r = boot(['-M', 'q35'], {}, new TraceCollector({ exitEvents: true }));
    const file = buildTraceEvents(r, { exitInstants: true });
    expect(validateTraceEventFile(JSON.parse(JSON.stringify(file)))).toEqual([]);
    const inst = file.traceEvents.filter((e: TraceEvent) => e.ph === 'i' && e.pid === PID_KVM);
    const k = r.kvmStats;
    const timed = (s: typeof k.linux) => s.vmxExits.IO_INSTRUCTION + s.vmxExits.EPT_MISCONFIG + s.vmxExits.EPT_VIOLATION;
    expect(inst).toHaveLength(timed(k.firmware) + timed(k.linux));
  });

  it('refuses instants the collector did not keep', () => {
    expect(() => buildTraceEvents(boot(['-M', 'q35']), { exitInstants: true })).toThrow(/exitEvents/);
  });
});

describe('the schema check catches what Perfetto rejects', () => {
  const ok = { traceEvents: [{ name: 'process_name', ph: 'M', pid: 1, tid: 0, args: { name: 'p' } }, { name: 'thread_name', ph: 'M', pid: 1, tid: 1, args: { name: 't' } }] };
  const bad = (e: Record<string, unknown>) => validateTraceEventFile({ traceEvents: [...ok.traceEvents, e] });
  it('accepts a minimal file', () => expect(validateTraceEventFile(ok)).toEqual([]));
  it('unknown ph', () => expect(bad({ name: 'a', ph: 'Q', pid: 1, tid: 1, ts: 0 })).not.toEqual([]));
  it('string ts', () => expect(bad({ name: 'a', ph: 'X', pid: 1, tid: 1, ts: '1', dur: 1 })).not.toEqual([]));
  it('X without dur', () => expect(bad({ name: 'a', ph: 'X', pid: 1, tid: 1, ts: 0 })).not.toEqual([]));
  it('fractional pid', () => expect(bad({ name: 'a', ph: 'i', pid: 1.5, tid: 1, ts: 0, s: 'g' })).not.toEqual([]));
  it('counter with a string', () => expect(bad({ name: 'c', ph: 'C', pid: 1, tid: 0, ts: 0, args: { a: 'x' } })).not.toEqual([]));
  it('overlapping slices', () => {
    const e = validateTraceEventFile({
      traceEvents: [...ok.traceEvents, { name: 'a', ph: 'X', pid: 1, tid: 1, ts: 0, dur: 10 }, { name: 'b', ph: 'X', pid: 1, tid: 1, ts: 5, dur: 10 }],
    });
    expect(e.join()).toMatch(/without nesting/);
  });
});
