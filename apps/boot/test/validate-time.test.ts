// validate --time (issue 21): the guest's own initcall durations (initcall_debug) from a recorded console,
// set against pcisim's config-access time per initcall under a cost profile. The recording is
// reference/time/q35-initcall-debug (pcisim record -M q35 under TCG with initcall_debug loglevel=8; its
// counts are exact against pcisim, as the fidelity recordings'); a KVM timing recording
// (pcisim record --accel kvm) has the same initcalls in its JSON, and is read the same way.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCli } from '../src/index.js';
import { parseInitcalls } from '../src/record/initcalls.js';
import { timingAppend } from '../src/record/kvm-time.js';
import { MODELLED_INITCALLS, validateTime } from '../src/core/validate-time.js';
import { bootScenario } from '../src/core/boot-scenario.js';
import { parseQemuArgs } from '../src/core/scenario.js';
import { resolveCostProfile } from '../src/core/cost.js';

const TIME = fileURLToPath(new URL('../../../reference/time/', import.meta.url));
const REC = join(TIME, 'q35-initcall-debug.json');
const CONSOLE = readFileSync(join(TIME, 'q35-initcall-debug.console.log'), 'latin1');
const dir = mkdtempSync(join(tmpdir(), 'pcisim-validate-time-'));

const run = async (args: string[]) => {
  let out = '';
  let err = '';
  const code = await runCli(args, { stdout: (s) => (out += s), stderr: (s) => (err += s) });
  return { code, out, err };
};

describe('parseInitcalls', () => {
  const calls = parseInitcalls(CONSOLE);
  it('reads every "initcall … returned … after N usecs" line of the recorded console', () => {
    expect(calls).toHaveLength(CONSOLE.split('\n').filter((l) => /initcall \S+ returned -?\d+ after \d+ usecs/.test(l)).length);
    expect(calls.length).toBeGreaterThan(500);
  });
  it("has the PCI initcalls with the kernel's own figures", () => {
    const us = (fn: string) => calls.find((c) => c.fn === fn)?.usecs;
    // [    2.095260] initcall pci_subsys_init+0x0/0x6b returned 0 after 36000 usecs
    expect(calls.find((c) => c.fn === 'pci_subsys_init')).toEqual({ fn: 'pci_subsys_init', ret: 0, usecs: 36000, at: 2.09526 });
    expect(us('acpi_init')).toBe(408000);
    expect(us('pcibios_assign_resources')).toBe(103188);
    expect(us('pcie_portdrv_init')).toBe(1334);
  });
  it('takes a module suffix, a negative return, ANSI colour and a missing timestamp', () => {
    const text = [
      '\x1b[0m[    5.1] initcall foo_init+0x0/0x10 [foo] returned -19 after 12 usecs\r',
      'initcall bar_init+0x0/0x20 returned 0 after 0 usecs',
      '[    5.2] calling  baz_init+0x0/0x10 @ 1',
    ].join('\n');
    expect(parseInitcalls(text)).toEqual([
      { fn: 'foo_init', ret: -19, usecs: 12, at: 5.1 },
      { fn: 'bar_init', ret: 0, usecs: 0 },
    ]);
  });
});

describe('record --accel kvm', () => {
  it('adds initcall_debug and a log level that prints it, once', () => {
    const notes: string[] = [];
    expect(timingAppend('console=ttyS0 panic=0', notes)).toBe('console=ttyS0 panic=0 initcall_debug loglevel=8');
    expect(notes).toEqual(["added initcall_debug loglevel=8 to the kernel command line (Linux prints each initcall's duration at KERN_DEBUG)"]);
    const none: string[] = [];
    expect(timingAppend('initcall_debug ignore_loglevel', none)).toBe('initcall_debug ignore_loglevel');
    expect(none).toEqual([]);
  });
  it('without /dev/kvm or QEMU, one line says which', async () => {
    const saved = process.env['PCISIM_QEMU'];
    process.env['PCISIM_QEMU'] = '/nonexistent/qemu-system-x86_64';
    try {
      const r = await run(['record', '--accel', 'kvm', '-M', 'q35', '--out', dir]);
      expect(r.code).toBe(1);
      expect(r.err.trimEnd().split('\n').filter((l) => !l.startsWith('pcisim record: '))).toEqual([
        expect.stringMatching(/^pcisim: (--accel kvm: no \/dev\/kvm on this host .*|--accel kvm: cannot open \/dev\/kvm .*|\/nonexistent\/qemu-system-x86_64 not found: run scripts\/setup-reference\.sh)$/),
      ]);
    } finally {
      if (saved === undefined) delete process.env['PCISIM_QEMU'];
      else process.env['PCISIM_QEMU'] = saved;
    }
  });
});

describe('validateTime on the recording', () => {
  const v = validateTime(REC, 'tcg-reference');
  it('one row per modelled initcall, measured from the console, predicted from the simulated boot', () => {
    expect(v.initcalls.map((c) => c.fn)).toEqual([...MODELLED_INITCALLS]);
    const measured = parseInitcalls(CONSOLE);
    for (const c of v.initcalls) {
      expect(c.measuredUs).toBe(measured.find((m) => m.fn === c.fn)!.usecs);
      expect(c.otherUs).toBe(c.measuredUs! - c.predictedUs);
      expect(c.configShare).toBe(c.measuredUs ? c.predictedUs / c.measuredUs : null);
    }
    expect(v.accel).toBe('tcg');
    expect(v.profile).toBe('tcg-reference');
  });
  it("the predicted initcalls and setup_arch add up to the boot's Linux time, under any profile", () => {
    for (const cost of ['tcg-reference', 'lkml-2020', 'measured-here']) {
      const t = validateTime(REC, cost);
      const rec = JSON.parse(readFileSync(REC, 'utf8')) as { qemuArgs: string[]; append: string };
      const boot = bootScenario(parseQemuArgs(['-m', '512', ...rec.qemuArgs, '-append', rec.append]), { costProfile: cost });
      // setup_arch's early conf1 reads: 50 reads = 50 address writes in KVM + 50 data reads in userspace
      const p = resolveCostProfile(cost).ns;
      const setupArchUs = (50 * (p.userspaceExitIo + p.inKernelPio)) / 1000;
      expect(t.total.predictedUs + setupArchUs).toBeCloseTo(boot.report.phases.linux.timeNs / 1000, 0);
    }
  });
  it('pci_subsys_init is where the scan is: most of pcisim’s time, a share of the measured one', () => {
    const s = v.initcalls.find((c) => c.fn === 'pci_subsys_init')!;
    expect(s.predictedUs / v.total.predictedUs).toBeGreaterThan(0.9);
    expect(s.coarse).toBe(true); // 36000 µs: whole jiffies, before the TSC clock
    expect(v.initcalls.find((c) => c.fn === 'pcibios_assign_resources')!.coarse).toBe(false);
  });
  it('says that a TCG recording is priced by tcg-reference, not a KVM profile', () => {
    expect(validateTime(REC, 'lkml-2020').notes[0]).toMatch(/^this recording ran under TCG, .*--cost tcg-reference prices it; lkml-2020 prices KVM's exits/);
    expect(v.notes.some((n) => n.startsWith('this recording ran under TCG'))).toBe(false);
  });
});

describe('pcisim validate --time', () => {
  it('prints one row per initcall and the total', async () => {
    const r = await run(['validate', '--time', REC, '--cost', 'tcg-reference']);
    expect(r.code).toBe(0);
    expect(r.out.split('\n')[0]).toBe("q35-initcall-debug: each PCI initcall as the guest timed it (initcall_debug, under tcg) against pcisim's config-access time under tcg-reference");
    expect(r.out).toMatch(/^pcibios_assign_resources +103,188 +0\.0 +0\.0 % +103,188$/m);
  });
  it('--json is the comparison', async () => {
    const r = await run(['validate', '--time', '--json', REC]);
    expect(JSON.parse(r.out)).toEqual(JSON.parse(JSON.stringify(validateTime(REC, 'lkml-2020'))));
  });
  it('reads a KVM timing recording (pcisim.kvm-time/1) from its own initcalls', async () => {
    const rec = JSON.parse(readFileSync(REC, 'utf8')) as { qemuArgs: string[]; append: string };
    const f = join(dir, 'q35-x.kvm.json');
    writeFileSync(f, JSON.stringify({ schema: 'pcisim.kvm-time/1', scenario: 'q35-x', recordedWith: { accel: 'kvm' }, qemuArgs: rec.qemuArgs, append: rec.append, initcalls: [{ fn: 'pci_subsys_init', ret: 0, usecs: 90123 }] }));
    const t = validateTime(f, 'measured-here');
    expect(t.accel).toBe('kvm');
    const s = t.initcalls.find((c) => c.fn === 'pci_subsys_init')!;
    expect(s.measuredUs).toBe(90123);
    expect(s.coarse).toBe(false);
    expect(t.notes).toEqual([
      'no initcall_debug line for amd_postcore_init, pci_arch_init, acpi_init, vga_arb_device_init, pnpacpi_init, pci_apply_final_quirks (not built in, or the console was cut)',
    ]);
  });
  it('a recording without initcall_debug lines is one line saying how to get them', async () => {
    const ref = fileURLToPath(new URL('../../../reference/q35-default.json', import.meta.url));
    const r = await run(['validate', '--time', ref]);
    expect(r.code).toBe(1);
    expect(r.err.trimEnd().split('\n')).toHaveLength(1);
    expect(r.err).toMatch(/^pcisim: .*q35-default\.json: no initcall durations \(no "initcall … returned … after N usecs" line in .*q35-default\.console\.log\): record with initcall_debug loglevel=8 in -append \(pcisim record --accel kvm adds them\)$/m);
  });
  it('--cost without --time, and --json with --markdown, are usage errors', async () => {
    const a = await run(['validate', REC, '--cost', 'lkml-2020']);
    expect([a.code, a.err.trimEnd()]).toEqual([2, 'pcisim: validate takes --cost with --time only (counts do not depend on the cost profile)']);
    const b = await run(['validate', REC, '--json', '--markdown']);
    expect([b.code, b.err.trimEnd()]).toEqual([2, 'pcisim: validate: --markdown and --json print different things; give one']);
  });
});
