/**
 * The option table: every command's parser and help come from it, README.md's option list too; a flag works
 * in every command that takes it (the boot flags with and without --qmp); one boot entry, so a native-hot-plug
 * root port boots the same in boot, sweep and validate.
 */
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runCli, type BootReport, type SweepResult } from '../src/index.js';
import { COMMANDS, OPTIONS, optionsMarkdown, usageText } from '../src/commands/options.js';

const run = async (args: string[]) => {
  let out = '';
  let err = '';
  const code = await runCli(args, { stdout: (s) => (out += s), stderr: (s) => (err += s) });
  return { code, out, err };
};

// q35 with ACPI hot-plug off: QEMU's _OSC grants native hot-plug, so pciehp binds the root port at boot
const NATIVE_PORT = ['-M', 'q35', '-global', 'ICH9-LPC.acpi-pci-hotplug-with-bridge-support=off', '-device', 'pcie-root-port,id=rp1,chassis=1'];

describe('help, version, usage errors', () => {
  it('pcisim --help and pcisim <command> --help print help and exit 0', async () => {
    const top = await run(['--help']);
    expect(top.code).toBe(0);
    for (const c of COMMANDS) expect(top.out).toContain(`  ${c} `);
    for (const c of COMMANDS) {
      for (const h of ['--help', '-h']) {
        const r = await run([c, h]);
        expect(r.code, `${c} ${h}`).toBe(0);
        expect(r.err).toBe('');
        expect(r.out.startsWith(`usage: pcisim ${c} `)).toBe(true);
        for (const o of OPTIONS.filter((x) => (x.commands as readonly string[]).includes(c))) expect(r.out).toContain(o.name);
      }
    }
    expect((await run(['help', 'sweep'])).out).toBe((await run(['sweep', '--help'])).out);
    // the help wins over the rest of the line: validate does not open a file called --help, record records nothing
    expect((await run(['validate', '--help'])).out).toContain('usage: pcisim validate');
    expect((await run(['record', '-M', 'q35', '--help'])).out).toContain('usage: pcisim record');
    expect(await run(['boot', '--frobnicate', '--format', 'xml', '-h'])).toMatchObject({ code: 0, err: '' });
  });

  it("pcisim --version prints the app's version from its package.json", async () => {
    const pkg = JSON.parse(readFileSync(fileURLToPath(new URL('../package.json', import.meta.url)), 'utf8')) as { version: string };
    expect(await run(['--version'])).toEqual({ code: 0, out: `pcisim ${pkg.version}\n`, err: '' });
  });

  it('an unknown option is one line and exit 2, in every command', async () => {
    for (const c of COMMANDS) {
      const r = await run([c, '--frobnicate']);
      expect(r.code, c).toBe(2);
      expect(r.out).toBe('');
      expect(r.err).toBe(`pcisim: unknown option '--frobnicate' (pcisim ${c} --help lists the options)\n`);
    }
    // an option of another command is unknown here
    expect((await run(['topology', '--chart'])).err).toContain("unknown option '--chart'");
    expect(await run(['frobnicate'])).toMatchObject({ code: 2, err: "pcisim: unknown command 'frobnicate' (pcisim --help lists the commands)\n" });
  });

  it('a value outside the choices is named with the choices', async () => {
    expect(await run(['boot', '--firmware', 'ovmf'])).toMatchObject({ code: 2, err: "pcisim: --firmware takes seabios, qboot or none, not 'ovmf'\n" });
    expect(await run(['topology', '--guest', 'linux-5.4'])).toMatchObject({ code: 2, err: "pcisim: --guest takes linux-6.1-cloud or linux-6.1-generic, not 'linux-5.4'\n" });
  });

  it("README.md's option list is the option table (run scripts/update-docs.mjs after a change)", () => {
    const readme = readFileSync(fileURLToPath(new URL('../../../README.md', import.meta.url)), 'utf8');
    const start = '<!-- pcisim-options -->\n';
    const block = readme.slice(readme.indexOf(start) + start.length, readme.indexOf('<!-- /pcisim-options -->'));
    expect(block).toBe(optionsMarkdown());
  });

  it("apps/boot/README.md's usage is pcisim --help (run scripts/update-docs.mjs after a change)", async () => {
    const readme = readFileSync(fileURLToPath(new URL('../README.md', import.meta.url)), 'utf8');
    const start = '<!-- pcisim-usage -->\n';
    const block = readme.slice(readme.indexOf(start) + start.length, readme.indexOf('<!-- /pcisim-usage -->'));
    expect(block).toBe('```\n' + usageText() + '\n```\n');
    expect((await run(['--help'])).out).toBe(usageText() + '\n');
  });
});

describe('the boot flags with and without --qmp', () => {
  it('--trace, --format, --firmware, --guest-patch and --guest work with --qmp', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pcisim-opt-'));
    const trace = join(dir, 't.json');
    const args = ['boot', '-M', 'q35', '-device', 'pcie-root-port,id=rp1,chassis=1', '--qmp', 'device_add virtio-rng-pci,bus=rp1,id=r1@+1s'];
    const r = await run([...args, '--trace', trace, '--format', 'perf-kvm-stat', '--firmware', 'seabios', '--guest-patch', 'mmconfig-v1', '--guest', 'linux-6.1-generic']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toContain('Analyze events for all VMs, all VCPUs:');
    expect((JSON.parse(readFileSync(trace, 'utf8')) as { traceEvents: unknown[] }).traceEvents.length).toBeGreaterThan(0);
    // --guest-patch reaches the boot under --qmp: the MMCONFIG guest makes its accesses through ECAM
    const json = async (extra: string[]) => (JSON.parse((await run([...args, '--json', ...extra])).out) as { boot: BootReport }).boot.phases.linux.config.accesses;
    const plain = await json([]);
    const v1 = await json(['--guest-patch', 'mmconfig-v1']);
    expect(v1.mmcfg).toBeGreaterThan(plain.mmcfg);
    expect(v1.conf1).toBeLessThan(plain.conf1);
  });

  it('--guest works without --qmp', async () => {
    expect((await run(['boot', '-M', 'q35', '--guest', 'linux-6.1-generic', '--json'])).code).toBe(0);
  });

  it('pcisim boot with a native-hot-plug root port, --qmp, --trace and --format perf-kvm-stat', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pcisim-opt-'));
    const trace = join(dir, 't.json');
    const r = await run(['boot', ...NATIVE_PORT, '--qmp', 'device_add virtio-rng-pci,bus=rp1,id=r1@+1s', '--trace', trace, '--format', 'perf-kvm-stat']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toContain('Analyze events for all VMs, all VCPUs:');
    expect(existsSync(trace)).toBe(true);
  });
});

describe('one boot entry: a native-hot-plug root port boots in every command', () => {
  const bootJson = async (): Promise<BootReport> => {
    const r = await run(['boot', '-m', '512', ...NATIVE_PORT, '--json']);
    expect(r.code).toBe(0);
    return JSON.parse(r.out) as BootReport;
  };

  it('pcisim sweep runs it as pcisim boot does', async () => {
    const report = await bootJson();
    const dir = mkdtempSync(join(tmpdir(), 'pcisim-opt-'));
    const matrix = join(dir, 'm.json');
    writeFileSync(matrix, JSON.stringify({ base: { qemuArgs: ['-m', '512', ...NATIVE_PORT] }, axes: { kvm: ['', 'pci-hole'] } }));
    const r = await run(['sweep', matrix]);
    expect(r.err).toMatch(/^pcisim sweep: 2 scenarios, 0 failed, /);
    expect(r.code).toBe(0);
    const lines = r.out.trimEnd().split('\n').map((l) => JSON.parse(l) as SweepResult);
    expect(lines).toHaveLength(2);
    for (const l of lines) expect(l.error).toBeUndefined();
    expect(lines[0]!.linux!.accesses).toBe(report.phases.linux.config.accesses.total);
    expect(lines[0]!.firmware!.accesses).toBe(report.phases.firmware.config.accesses.total);
  });

  it('pcisim validate runs it as pcisim boot does', async () => {
    const report = await bootJson();
    const dir = mkdtempSync(join(tmpdir(), 'pcisim-opt-'));
    const ref = join(dir, 'native-port.json');
    writeFileSync(ref, JSON.stringify(report));
    const r = await run(['validate', ref]);
    expect(r.err).toBe('');
    expect(r.out).toContain('native-port: exact');
    expect(r.code).toBe(0);
  });

  it('compare, report and topology boot it too', async () => {
    expect((await run(['compare', ...NATIVE_PORT])).code).toBe(0);
    expect((await run(['topology', ...NATIVE_PORT])).code).toBe(0);
    const html = join(mkdtempSync(join(tmpdir(), 'pcisim-opt-')), 'r.html');
    expect((await run(['report', ...NATIVE_PORT, '--html', html])).code).toBe(0);
  });
});
