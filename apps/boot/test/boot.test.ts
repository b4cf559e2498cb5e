import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { bootScenario, parseQemuArgs, runCli } from '../src/index.js';
import type { BootReport } from '../src/index.js';

const fixture = (name: string): BootReport & { devices: { bdf: string; vendor: string; device: string; class: string }[] } =>
  JSON.parse(readFileSync(fileURLToPath(new URL(`../../../reference/${name}.json`, import.meta.url)), 'utf8'));

// The linux phase must equal the real QEMU 7.2 + Linux 6.1 recording field by field.
describe.each(['q35-default', 'q35-nodefaults', 'q35-lastbus0', 'q35-nommconf'])('%s matches the real boot', (name) => {
  const ref = fixture(name);
  const sim = bootScenario(parseQemuArgs([...ref.qemuArgs, '-append', ref.append])).report;
  const real = ref.phases.linux.config;
  const got = sim.phases.linux.config;
  it('accesses by mechanism', () => expect(got.accesses).toEqual(real.accesses));
  it('absent accesses and their breakdown', () => {
    expect(got.absent).toBe(real.absent);
    expect(got.absentBreakdown).toEqual(real.absentBreakdown);
  });
  it('reads and writes', () => expect([got.reads, got.writes]).toEqual([real.reads, real.writes]));
  it('every bus', () => expect(got.byBus).toEqual(real.byBus));
  it('every present device', () => expect(got.perPresentDevice).toEqual(real.perPresentDevice));
  it('the device list', () => {
    expect(sim.devices.map((d) => [d.bdf.slice(5), d.vendor, d.device, d.class])).toEqual(
      ref.devices.map((d) => [d.bdf, d.vendor, d.device, d.class]),
    );
  });
});

describe('exits and time under lkml-2020', () => {
  const r = bootScenario(parseQemuArgs(['-M', 'q35', '-append', 'console=ttyS0']));
  const l = r.report.phases.linux;
  it('each conf1 access is one KVM_EXIT_IO and one coalesced 0xcf8 write handled in KVM', () => {
    // pci_check_type1(): two 0xcf8 reads exit, its 0xcfb byte write and two 0xcf8 writes are coalesced
    expect(l.exits!.KVM_EXIT_IO).toBe(l.config.accesses.conf1 + 2);
    expect(l.exits!.inKernel).toBe(l.config.accesses.conf1 + 3);
    expect(l.exits!.KVM_EXIT_MMIO).toBe(l.config.accesses.mmcfg);
  });
  it('costs 6 µs per userspace exit and 1 µs per exit handled in KVM', () => {
    expect(l.timeNs).toBe((l.exits!.KVM_EXIT_IO + l.exits!.KVM_EXIT_MMIO) * 6000 + l.exits!.inKernel * 1000);
  });
});

describe('pcisim boot command line', () => {
  const run = async (args: string[]) => {
    let out = '';
    let err = '';
    const code = await runCli(args, { stdout: (s) => (out += s), stderr: (s) => (err += s) });
    return { code, out, err };
  };
  it('prints the seed figure in its own words', async () => {
    const r = await run(['boot', '-M', 'q35']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('8,231 of them to functions that do not exist');
    expect(r.out).toContain("41.155 ms  the 8,231 accesses to absent functions alone (the 2020 cover letter's figure");
  });
  it('--json carries the §6 fields', async () => {
    const r = await run(['boot', '-M', 'q35', '--json']);
    const j = JSON.parse(r.out) as BootReport;
    expect(j.schema).toBe('pcisim.boot/1');
    expect(j.phases.linux.config.accesses.total).toBe(8867);
    expect(j.phases.linux.exits).toEqual({ KVM_EXIT_IO: 8822, KVM_EXIT_MMIO: 47, inKernel: 8823, noExit: 0 });
  });
  it('an unknown machine fails in QEMU words, no stack trace', async () => {
    const r = await run(['boot', '-M', 'virt']);
    expect(r.code).toBe(1);
    expect(r.err).toBe('qemu-system-x86_64: unsupported machine type\nUse -machine help to list supported machines\n');
  });
  it('an unknown option fails in QEMU words', async () => {
    const r = await run(['boot', '-frobnicate']);
    expect(r.code).toBe(1);
    expect(r.err).toBe('qemu-system-x86_64: -frobnicate: invalid option\n');
  });
  it('an unknown CPU model fails in QEMU words', async () => {
    const r = await run(['boot', '-cpu', 'pentium9']);
    expect(r.err).toBe("qemu-system-x86_64: unable to find CPU model 'pentium9'\n");
  });
  it('a bad pcisim flag is a usage error', async () => {
    expect((await run(['boot', '--guest-patch', 'v9'])).code).toBe(2);
  });
  it('vendor=GenuineIntel drops the AMD-only probes (00:18.0 and ff:00.0)', () => {
    const amd = bootScenario(parseQemuArgs(['-M', 'q35'])).report.phases.linux.config;
    const intel = bootScenario(parseQemuArgs(['-M', 'q35', '-cpu', 'qemu64,vendor=GenuineIntel'])).report.phases.linux.config;
    // 2 early_init_amd reads + 5 amd_bus probes + the 00:18.0 and ff:00.0 check_hostbridge probes stay
    expect(amd.accesses.total - intel.accesses.total).toBe(7);
  });
});
