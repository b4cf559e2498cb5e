import { describe, expect, it } from 'vitest';
import { bootScenario, parseQemuArgs, DEFAULT_SETS, type Scenario } from '../../src/index.js';
import { TraceCollector, formatPerfKvmStat, perfKvmStat, printfFixed } from '../../src/formats/index.js';

const boot = (args: string[], opts: Parameters<typeof bootScenario>[1] = {}) =>
  bootScenario(parseQemuArgs(args), { ...opts, trace: new TraceCollector() });

describe('perf kvm stat report layout', () => {
  const r = boot(['-M', 'q35']);
  const text = formatPerfKvmStat(r);

  it('is the q35 linux phase, in perf 6.1 print_result() layout', () => {
    expect(text).toBe(
      '# pcisim perf-kvm-stat: linux phase only (the kernel from its first instruction to the end of PCI init; firmware exits excluded); -M q35; cost profile lkml-2020; virtual time\n' +
        '\n\n' +
        'Analyze events for all VMs, all VCPUs:\n\n' +
        '             VM-EXIT    Samples  Samples%     Time%    Min Time    Max Time         Avg time \n\n' +
        '      IO_INSTRUCTION      17645    99.72%    99.55%      1.00us      6.00us      3.50us ( +-   0.54% )\n' +
        '       EPT_MISCONFIG         47     0.27%     0.45%      6.00us      6.00us      6.00us ( +-   0.00% )\n' +
        '               CPUID          2     0.01%     0.00%      0.00us      0.00us      0.00us ( +-   0.00% )\n' +
        '\nTotal Samples:17694, Total events handled time:62037.00us.\n\n',
    );
  });

  it('has the verbatim perf header and footer', () => {
    const lines = text.split('\n');
    expect(lines).toContain('Analyze events for all VMs, all VCPUs:');
    expect(lines).toContain('             VM-EXIT    Samples  Samples%     Time%    Min Time    Max Time         Avg time ');
    expect(text).toMatch(/\nTotal Samples:\d+, Total events handled time:\d+\.\d\dus\.\n\n$/);
    for (const l of lines.filter((x) => /^ +[A-Z_]+ +\d+ /.test(x))) {
      expect(l).toMatch(/^ {0,20}[A-Z_]{1,20} {1,10}\d+ +\d+\.\d\d% +\d+\.\d\d% +\d+\.\d\dus +\d+\.\d\dus +\d+\.\d\dus \( \+- +\d+\.\d\d% \)$/);
      expect(l.indexOf(' ', l.search(/[A-Z]/))).toBe(20);
    }
  });

  it('IO_INSTRUCTION counts every port access: two per conf1 access and the type-1 probe’s five', () => {
    const t = perfKvmStat(r);
    const io = t.rows.find((x) => x.reason === 'IO_INSTRUCTION')!;
    const conf1 = r.report.phases.linux.config.accesses.conf1;
    expect(conf1).toBe(8820);
    expect(io.samples).toBe(2 * conf1 + 5);
    // the exits in the text report, regrouped: KVM_EXIT_IO + in-kernel PIO (the coalesced 0xcf8 writes)
    expect(io.samples).toBe(r.report.phases.linux.exits!.KVM_EXIT_IO + r.kvmStats.linux.inKernel.pio);
  });

  it('EPT_MISCONFIG is the 47 MMCONFIG accesses: the firmware already took each page’s EPT_VIOLATION', () => {
    const linux = perfKvmStat(r);
    expect(linux.rows.find((x) => x.reason === 'EPT_MISCONFIG')!.samples).toBe(47);
    expect(r.report.phases.linux.config.accesses.mmcfg).toBe(47);
    expect(linux.rows.find((x) => x.reason === 'EPT_VIOLATION')).toBeUndefined();
    const fw = perfKvmStat(r, { phase: 'firmware' });
    const firstTouches = fw.rows.find((x) => x.reason === 'EPT_VIOLATION')!.samples;
    // one EPT_VIOLATION per ECAM page with no memslot, the first time it is touched (an MMIO SPTE is cached)
    expect(firstTouches).toBe(r.kvmStats.firmware.sptes.mmio);
    expect(firstTouches + fw.rows.find((x) => x.reason === 'EPT_MISCONFIG')!.samples).toBe(r.report.phases.firmware.config.accesses.mmcfg);
  });

  it('the whole boot is the sum of the two phases', () => {
    const all = perfKvmStat(r, { phase: 'boot' });
    const fw = perfKvmStat(r, { phase: 'firmware' });
    const lx = perfKvmStat(r, { phase: 'linux' });
    expect(all.totalSamples).toBe(fw.totalSamples + lx.totalSamples);
    expect(all.totalTimeNs).toBe(fw.totalTimeNs + lx.totalTimeNs);
    expect(formatPerfKvmStat(r, { phase: 'boot' })).toContain('# pcisim perf-kvm-stat: whole boot');
  });

  it('the total handled time is the phase’s config time of the report', () => {
    expect(perfKvmStat(r).totalTimeNs).toBe(r.report.phases.linux.timeNs);
  });

  it('sorts by samples, largest first, and leaves out reasons with none', () => {
    const rows = perfKvmStat(r).rows;
    for (let i = 1; i < rows.length; i++) expect(rows[i - 1]!.samples).toBeGreaterThanOrEqual(rows[i]!.samples);
    expect(rows.every((x) => x.samples > 0)).toBe(true);
  });

  it('needs the collector', () => {
    const plain = bootScenario(parseQemuArgs(['-M', 'q35']));
    expect(() => formatPerfKvmStat(plain)).toThrow(/TraceCollector/);
  });
});

describe('the collector agrees with KVM’s own counters under every mitigation set', () => {
  for (const set of DEFAULT_SETS) {
    it(set.name, () => {
      const s: Scenario = parseQemuArgs(['-M', 'q35']);
      if (set.append) s.append = `${s.append} ${set.append}`.trim();
      if (set.pvBit) s.cpu = `${s.cpu ?? 'qemu64'},kvm-pci-go-mmconfig=on`;
      if (set.accurateMcfgReserve !== undefined) s.accurateMcfgReserve = set.accurateMcfgReserve;
      const r = bootScenario(s, { kvm: set.kvm, guestPatch: set.guest, ...(set.pvEnumeration ? { pvEnumeration: true } : {}), trace: new TraceCollector() });
      for (const phase of ['firmware', 'linux'] as const) {
        const t = perfKvmStat(r, { phase });
        const k = r.kvmStats[phase];
        for (const reason of ['IO_INSTRUCTION', 'EPT_MISCONFIG', 'EPT_VIOLATION', 'CPUID'] as const) {
          const row = t.rows.find((x) => x.reason === reason);
          expect(row?.samples ?? 0, `${phase} ${reason}`).toBe(k.vmxExits[reason]);
          if (reason !== 'CPUID') expect(row?.timeNs ?? 0, `${phase} ${reason} time`).toBeCloseTo(k.vmxExitTimes[reason].totalNs, 6);
        }
      }
      // with the collector on, the report is what it is without it
      const plain = bootScenario(s, { kvm: set.kvm, guestPatch: set.guest, ...(set.pvEnumeration ? { pvEnumeration: true } : {}) });
      expect(r.report).toEqual(plain.report);
    });
  }
});

describe('printf %.2f', () => {
  it('rounds exact ties to even like glibc, the rest to nearest', () => {
    expect(printfFixed(0.125, 2)).toBe('0.12');
    expect(printfFixed(0.375, 2)).toBe('0.38');
    expect(printfFixed(2.5, 0)).toBe('2');
    expect(printfFixed(3.5, 0)).toBe('4');
    expect(printfFixed(1.005, 2)).toBe('1.00'); // 1.00499999999999989…
    expect(printfFixed(3.49986, 2)).toBe('3.50');
    expect(printfFixed(0, 2)).toBe('0.00');
  });
});
