// Issue 17, "the first hour": every bad input a new user meets is one line naming the problem, with the
// right exit status (2 usage, 1 bad input), never a stack trace; and the documented commands work as written.
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCli } from '../src/index.js';

const REF = fileURLToPath(new URL('../../../reference/', import.meta.url));
const BIN = fileURLToPath(new URL('../dist/bin.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'pcisim-first-hour-'));
const file = (name: string, content: unknown): string => {
  const f = join(dir, name);
  writeFileSync(f, typeof content === 'string' ? content : JSON.stringify(content));
  return f;
};

const run = async (args: string[]) => {
  let out = '';
  let err = '';
  const code = await runCli(args, { stdout: (s) => (out += s), stderr: (s) => (err += s) });
  return { code, out, err };
};

/** one line on stderr, no stack */
const oneLine = (err: string): string => {
  expect(err).not.toMatch(/\n\s+at /);
  expect(err.trimEnd().split('\n')).toHaveLength(1);
  return err.trimEnd();
};

describe('an output file that cannot be written', () => {
  it('--trace into a missing directory', async () => {
    const r = await run(['boot', '-M', 'q35', '--trace', '/nonexistent/dir/x.json']);
    expect(r.code).toBe(1);
    expect(oneLine(r.err)).toBe('pcisim: --trace: cannot write /nonexistent/dir/x.json: no such file or directory');
  });
  it('--html onto a directory', async () => {
    const r = await run(['report', '-M', 'q35', '--html', dir]);
    expect(r.code).toBe(1);
    expect(oneLine(r.err)).toBe(`pcisim: --html: cannot write ${dir}: illegal operation on a directory`);
  });
  it('--html into a missing directory', async () => {
    const r = await run(['report', '-M', 'q35', '--html', '/nonexistent/dir/x.html']);
    expect(r.code).toBe(1);
    expect(oneLine(r.err)).toBe('pcisim: --html: cannot write /nonexistent/dir/x.html: no such file or directory');
  });
});

describe('validate on a reference with a wrong field', () => {
  const ref = JSON.parse(readFileSync(join(REF, 'pc-qboot.json'), 'utf8')) as Record<string, unknown>;
  const cases: [string, Record<string, unknown>, string][] = [
    ['devices-null', { ...ref, devices: null }, '"devices" must be an array, got null'],
    ['append-12', { ...ref, append: 12 }, '"append" must be a string, got 12'],
    ['no-phases', { ...ref, phases: undefined }, '"phases" must be an object {"firmware", "linux"}, got nothing (the field is missing)'],
    ['linux-null', { ...ref, phases: { ...(ref.phases as object), linux: null } }, '"phases".linux must be an object {"config"}, got null'],
    ['qemuargs-numbers', { ...ref, qemuArgs: [1, 2] }, '"qemuArgs"[0] must be a string, got 1'],
    ['device-no-bdf', { ...ref, devices: [{ vendor: '8086' }] }, '"devices"[0].bdf must be a string, got nothing (the field is missing)'],
  ];
  for (const [name, json, message] of cases) {
    it(name, async () => {
      const f = file(`${name}.json`, json);
      const r = await run(['validate', f]);
      expect(r.code).toBe(1);
      expect(oneLine(r.err)).toBe(`pcisim: ${f}: ${message}`);
    });
  }

  it('text mode carries on past files it cannot read or simulate, names each, exits 1 at the end', async () => {
    const bad = file('bad-append.json', { ...ref, append: 12 });
    const unsimulable = file('bad-device.json', { ...ref, qemuArgs: ['-M', 'q35', '-device', 'no-such-device'] });
    const r = await run(['validate', bad, join(dir, 'missing.json'), unsimulable, join(REF, 'pc-qboot.json')]);
    expect(r.code).toBe(1);
    expect(r.out).toBe('pc-qboot: exact (firmware exact, linux exact)\n');
    expect(r.err.split('\n')).toEqual([
      `pcisim: ${bad}: "append" must be a string, got 12`,
      `pcisim: ${join(dir, 'missing.json')}: cannot read: no such file`,
      `qemu-system-x86_64: -device no-such-device: 'no-such-device' is not a valid device model name (${unsimulable})`,
      '',
    ]);
  });

  it('--json: a line {"file", "exact": false, "error"} for a file it cannot read', async () => {
    const r = await run(['validate', join(dir, 'missing.json'), join(REF, 'pc-qboot.json'), '--json']);
    expect(r.code).toBe(1);
    const lines = r.out.trimEnd().split('\n').map((l) => JSON.parse(l) as { file?: string; exact: boolean; error?: string });
    expect(lines[0]).toEqual({ file: join(dir, 'missing.json'), exact: false, error: `pcisim: ${join(dir, 'missing.json')}: cannot read: no such file` });
    expect(lines[1]!.exact).toBe(true);
  });

  it("the README's command validates every recording, and exits 0 unless docs/fidelity.md lists a known gap", async () => {
    const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
    expect(readme).toContain('`pnpm -s pcisim validate reference/*.json`');
    const { readdirSync } = await import('node:fs');
    const all = readdirSync(REF).filter((f) => f.endsWith('.json')).map((f) => join(REF, f));
    expect(all.length).toBeGreaterThanOrEqual(17);
    const r = await run(['validate', ...all]);
    // exit 0 when every recording is exact; the ones docs/fidelity.md lists as differing or not simulated
    // (its "Known gaps") make it 1, and each one that cannot be simulated is one line on stderr
    const table = readFileSync(new URL('../../../docs/fidelity.md', import.meta.url), 'utf8').split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| fixture'));
    const notSimulated = table.filter((l) => l.includes('| not simulated: ')).length;
    expect(r.err.split('\n').filter(Boolean)).toHaveLength(notSimulated);
    expect(r.code).toBe(table.every((l) => l.includes('| exact |')) ? 0 : 1);
    // one unindented line per simulated recording (a differing one adds its indented field lines)
    expect(r.out.trimEnd().split('\n').filter((l) => !l.startsWith(' '))).toHaveLength(all.length - notSimulated);
  }, 120_000);
});

describe('boot --scenario with a malformed file', () => {
  const cases: [string, unknown, string][] = [
    ['event-no-at', { qemuArgs: ['-M', 'q35'], events: [{ qmp: 'device_add e1000,id=n' }] }, '"events"[0] has no "at" (a time: 3.1s, 500ms, +2s)'],
    ['event-null', { qemuArgs: ['-M', 'q35'], events: [null] }, '"events"[0] must be an object {"at", "qmp"}, got null'],
    ['qemuargs-numbers', { qemuArgs: [1, 2, 3] }, '"qemuArgs"[0] must be a string, got 1'],
    ['events-object', { qemuArgs: ['-M', 'q35'], events: { at: 1 } }, '"events" must be an array of {"at", "qmp"}, got an object'],
    ['at-bool', { qemuArgs: ['-M', 'q35'], events: [{ at: true, qmp: 'x' }] }, '"events"[0].at must be a time (3.1s, 500ms, +2s) or nanoseconds >= 0, got true'],
    ['qmp-number', { qemuArgs: ['-M', 'q35'], events: [{ at: '1s', qmp: 7 }] }, '"events"[0].qmp must be a string, got 7'],
    ['append-array', { qemuArgs: ['-M', 'q35'], append: ['x'] }, '"append" must be a string, got an array'],
  ];
  for (const [name, json, message] of cases) {
    it(name, async () => {
      const f = file(`scenario-${name}.json`, json);
      const r = await run(['boot', '--scenario', f]);
      expect(r.code).toBe(1);
      expect(oneLine(r.err)).toBe(`pcisim: scenario ${f}: ${message}`);
    });
  }
});

describe('output piped into head', () => {
  const firstLineThenClose = (args: string[]): Promise<{ code: number | null; err: string; first: string }> =>
    new Promise((resolve) => {
      const p = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
      let err = '';
      let first = '';
      p.stderr.on('data', (d: Buffer) => (err += d.toString()));
      p.stdout.once('data', (d: Buffer) => {
        first = d.toString().split('\n')[0]!;
        p.stdout.destroy();
      });
      p.on('close', (code) => resolve({ code, err, first }));
    });

  it('pcisim validate a.json b.json --json | head -1: quiet, no EPIPE', async () => {
    const r = await firstLineThenClose(['validate', ...['pc-qboot', 'q35-qboot', 'pc-default', 'q35-default'].map((n) => join(REF, `${n}.json`)), '--json']);
    expect(r.first).toMatch(/^\{"scenario":"pc-qboot"/);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
  }, 60_000);

  it('pcisim sweep m.json | head -1: quiet, no EPIPE', async () => {
    // more than the 256 lines the sweep writes at a time: the reader is gone by the second write
    const m = file('pipe-matrix.json', { base: { qemuArgs: ['-M', 'q35', '-nodefaults'] }, axes: { append: Array.from({ length: 600 }, (_, i) => `x=${i}`) } });
    const r = await firstLineThenClose(['sweep', m]);
    expect(r.first).toMatch(/^\{"index":0,/);
    expect(r.err).not.toMatch(/EPIPE|\n\s+at /);
    expect(r.code).toBe(0);
  }, 60_000);
});

describe('--cost FILE', () => {
  it('pcisim cost show <profile> --json prints a file that --cost reads back: the same boot', async () => {
    const shown = await run(['cost', 'show', 'measured-here', '--json']);
    expect(shown.code).toBe(0);
    const j = JSON.parse(shown.out) as { name: string; ns: Record<string, number> };
    expect(j.name).toBe('measured-here');
    const f = file('measured.json', shown.out);
    const byName = await run(['boot', '-M', 'q35', '--cost', 'measured-here', '--json']);
    const byFile = await run(['boot', '-M', 'q35', '--cost', f, '--json']);
    expect(byFile.err).toBe('');
    expect(byFile.code).toBe(0);
    expect(byFile.out).toBe(byName.out);
  });

  it('a profile file changes the times in boot, compare and the sweep', async () => {
    const f = file('slow.json', { name: 'slow', extends: 'lkml-2020', ns: { userspaceExitIo: 60000 } });
    const base = JSON.parse((await run(['boot', '-M', 'q35', '--json'])).out) as { phases: { linux: { timeNs: number } } };
    const slow = JSON.parse((await run(['boot', '-M', 'q35', '--json', '--cost', f])).out) as { phases: { linux: { timeNs: number } } };
    expect(slow.phases.linux.timeNs).toBeGreaterThan(5 * base.phases.linux.timeNs);
    const c = await run(['compare', '-M', 'q35', '--json', '--cost', f]);
    expect(c.code).toBe(0);
    expect((JSON.parse(c.out) as { costProfile: string }).costProfile).toBe('slow');
    const m = file('cost-matrix.json', { base: { qemuArgs: ['-M', 'q35'] }, axes: { cost: ['lkml-2020', f] } });
    const s = await run(['sweep', m]);
    expect(s.code).toBe(0);
    const [a, b] = s.out.trimEnd().split('\n').map((l) => JSON.parse(l) as { linux: { timeNs: number } });
    expect(b!.linux.timeNs).toBeGreaterThan(5 * a!.linux.timeNs);
  }, 60_000);

  it('a bad profile is one line naming the file and the problem', async () => {
    const missing = await run(['boot', '-M', 'q35', '--cost', 'nosuch.json']);
    expect(missing.code).toBe(1);
    expect(oneLine(missing.err)).toBe("pcisim: --cost: 'nosuch.json' is neither a built-in profile (lkml-2020, measured-here, tcg-reference) nor a file");
    const typo = file('typo.json', { name: 't', ns: { userspaceExitIO: 1 } });
    const r = await run(['compare', '-M', 'q35', '--cost', typo]);
    expect(r.code).toBe(1);
    expect(oneLine(r.err)).toMatch(new RegExp(`^pcisim: --cost: ${typo}: ns.userspaceExitIO is not a cost event \\(did you mean userspaceExitIo\\?\\)`));
    const notJson = file('notjson.json', '{');
    expect(oneLine((await run(['boot', '--cost', notJson])).err)).toMatch(new RegExp(`^pcisim: --cost: ${notJson} is not JSON: `));
    const m = file('bad-cost-matrix.json', { base: { qemuArgs: ['-M', 'q35'] }, axes: { cost: [typo] } });
    const s = await run(['sweep', m]);
    expect(s.code).toBe(2);
    expect(oneLine(s.err)).toMatch(/^pcisim: sweep matrix: "axes.cost\[0\]": .*typo.json: ns.userspaceExitIO is not a cost event/);
  });

  it('a profile file edited between two boots of one process is read again', async () => {
    const f = file('edited.json', { name: 'first', extends: 'lkml-2020', ns: {} });
    const name = async () => (JSON.parse((await run(['compare', '-M', 'q35', '--json', '--cost', f])).out) as { costProfile: string }).costProfile;
    expect(await name()).toBe('first');
    writeFileSync(f, JSON.stringify({ name: 'second-name', extends: 'lkml-2020', ns: {} }));
    expect(await name()).toBe('second-name');
  });

  it('cost without show, or show without a profile, is a usage error', async () => {
    expect(await run(['cost'])).toMatchObject({ code: 2, err: "pcisim: cost takes 'show <profile|file.json>' (built-in profiles: lkml-2020, measured-here, tcg-reference)\n" });
    expect(await run(['cost', 'show'])).toMatchObject({ code: 2, err: 'pcisim: cost show needs a profile: lkml-2020, measured-here, tcg-reference, or a file\n' });
  });
});

describe('pcisim sweep', () => {
  it('exits 1 when a scenario failed, the summary on stderr (not a terminal)', async () => {
    const m = file('failing-matrix.json', { base: { qemuArgs: ['-M', 'q35'] }, axes: { args: [[], ['-device', 'no-such-device']] } });
    const r = await run(['sweep', m]);
    expect(r.code).toBe(1);
    expect(r.out.trimEnd().split('\n')).toHaveLength(2);
    expect(r.err).toMatch(/^pcisim sweep: 2 scenarios, 1 failed, [\d.]+ s on 1 thread, 1 machine built\n$/);
  });
});

describe('answers that were silently wrong', () => {
  it('the text header says what was simulated: machine, firmware, kernel', async () => {
    const header = async (args: string[]) => (await run(['boot', ...args])).out.split('\n')[0];
    expect(await header(['-M', 'q35'])).toBe('pcisim boot: q35 (QEMU 7.2), SeaBIOS 1.16.2, linux-6.1-cloud; cost profile lkml-2020');
    expect(await header(['-M', 'pc'])).toBe('pcisim boot: pc (QEMU 7.2), SeaBIOS 1.16.2, linux-6.1-cloud; cost profile lkml-2020');
    expect(await header(['-M', 'microvm,pcie=on'])).toBe('pcisim boot: microvm,pcie=on (QEMU 7.2), qboot, linux-6.1-cloud; cost profile lkml-2020');
    expect(await header(['-M', 'pc', '--firmware', 'qboot'])).toBe('pcisim boot: pc (QEMU 7.2), qboot, linux-6.1-cloud; cost profile lkml-2020');
    expect(await header(['-M', 'q35', '--firmware', 'none', '--guest', 'linux-6.1-generic'])).toBe('pcisim boot: q35 (QEMU 7.2), no firmware, linux-6.1-generic; cost profile lkml-2020');
  });

  it('UEFI firmware (OVMF) is refused with one line, exit 1', async () => {
    const msg = (arg: string) => `pcisim: UEFI firmware (OVMF) is not modelled yet (${arg}); pcisim models SeaBIOS and qboot: drop it, or --firmware seabios|qboot|none\n`;
    const pflash = 'if=pflash,format=raw,unit=0,readonly=on,file=/usr/share/OVMF/OVMF_CODE.fd';
    expect(await run(['boot', '-M', 'q35', '-drive', pflash])).toMatchObject({ code: 1, out: '', err: msg(`-drive ${pflash}`) });
    expect(await run(['boot', '-M', 'q35', '-bios', '/usr/share/ovmf/OVMF.fd'])).toMatchObject({ code: 1, out: '', err: msg('-bios /usr/share/ovmf/OVMF.fd') });
    expect(await run(['compare', '-M', 'q35', '-bios', 'edk2-x86_64-code.fd'])).toMatchObject({ code: 1, err: msg('-bios edk2-x86_64-code.fd') });
    // an unknown image is still QEMU's own error
    expect((await run(['boot', '-bios', 'mine.bin'])).err).toBe("qemu-system-x86_64: could not load PC BIOS 'mine.bin'\n");
  });

  it('options accepted but not modelled are listed: text and notModelled[] in JSON', async () => {
    const args = ['-M', 'q35', '-smp', '2', '-vga', 'none', '-kernel', 'vmlinuz', '-nographic', '-drive', 'file=d.img,if=ide', '-name', 'g'];
    const text = await run(['boot', ...args]);
    expect(text.code).toBe(0);
    expect(text.out.split('\n')[3]).toBe('accepted, not modelled: -kernel vmlinuz; -drive file=d.img,if=ide'); // -vga none is modelled
    expect(text.out.split('\n')[4]).toBe('accepted, no effect on PCI: -nographic; -name g');
    const json = JSON.parse((await run(['boot', ...args, '--json'])).out) as { notModelled: string[]; noPciEffect: string[] };
    expect(json.notModelled).toEqual(['-kernel vmlinuz', '-drive file=d.img,if=ide']);
    expect(json.noPciEffect).toEqual(['-nographic', '-name g']);
    const tcg = JSON.parse((await run(['boot', '-M', 'q35,kernel-irqchip=split', '-accel', 'tcg', '--json'])).out) as { notModelled: string[] };
    expect(tcg.notModelled).toEqual(['-accel tcg']); // kernel-irqchip is the board's (intel-iommu's intremap check)
    const plain = JSON.parse((await run(['boot', '-M', 'q35', '--json'])).out) as { notModelled: string[] };
    expect(plain.notModelled).toEqual([]);
    expect((await run(['boot', '-M', 'q35'])).out).not.toContain('not modelled');
  });

  it('timeNs are integer nanoseconds (measured-here has fractional costs), in boot, sweep and hot-plug JSON', async () => {
    const j = JSON.parse((await run(['boot', '-M', 'q35', '--cost', 'measured-here', '--json'])).out) as { phases: Record<string, { timeNs: number }> };
    expect(j.phases.firmware!.timeNs).toBe(3783099);
    expect(Number.isInteger(j.phases.linux!.timeNs)).toBe(true);
    const m = file('ns-matrix.json', { base: { qemuArgs: ['-M', 'q35'] }, axes: { cost: ['measured-here'], kvm: ['none', 'pci-hole', 'mmio-bus'], guestPatch: ['none', 'mmconfig-v2'] } });
    const s = await run(['sweep', m]);
    for (const l of s.out.trimEnd().split('\n')) expect(Number.isInteger((JSON.parse(l) as { linux: { timeNs: number } }).linux.timeNs)).toBe(true);
    const h = await run(['boot', '-M', 'q35', '-device', 'pcie-root-port,id=rp1,chassis=1', '--qmp', 'device_add e1000e,id=n,bus=rp1@+1s', '--cost', 'measured-here', '--json']);
    expect(h.out).not.toMatch(/"(\w*Ns|t|at)": -?\d+\.\d/);
  });

  it('the savings are one statement, each figure saying what it counts; the exit rows align', async () => {
    const out = (await run(['boot', '-M', 'q35'])).out.split('\n');
    const i = out.findIndex((l) => l.startsWith('Handled in KVM'));
    expect(out.slice(i, i + 3)).toEqual([
      'Handled in KVM (1000 ns) instead of in userspace (6000 ns an exit), the linux phase would save:',
      "     41.155 ms  the 8,231 accesses to absent functions alone (the 2020 cover letter's figure, what KVM_MEM_PCI_HOLE targets)",
      '     44.345 ms  all 8,869 exits to userspace (present devices too): 17.692 ms instead of 62.037 ms',
    ]);
    expect(out.filter((l) => / s a boot|less a boot/.test(l))).toEqual([]);
    // every number column ends where its heading ends
    const table = out.slice(out.findIndex((l) => l.startsWith('Config-space accesses')), out.findIndex((l) => l.startsWith('  time in config access')) + 1);
    const ends = new Set(table.filter((l) => l.trim() !== '').map((l) => l.length));
    expect([...ends]).toEqual([table[0]!.length]);
    const fw = table[0]!.indexOf('firmware') + 'firmware'.length;
    for (const l of table.filter((x) => /\d/.test(x))) expect(l.slice(0, fw)).toMatch(/\d( ms)?$/);
  });

  it('--kvm: no value is a usage error, none means no mitigation', async () => {
    expect(await run(['boot', '-M', 'q35', '--kvm'])).toMatchObject({ code: 2, err: 'pcisim: --kvm needs a value\n' });
    expect(await run(['boot', '--kvm=', '-M', 'q35'])).toMatchObject({ code: 2, err: 'pcisim: --kvm needs a value\n' });
    expect(await run(['boot', '--kvm', '-M', 'q35'])).toMatchObject({ code: 2, err: "pcisim: --kvm needs a value, not the option '-M'\n" });
    expect((await run(['boot', '--kvm', 'bogus', '-M', 'q35'])).err).toMatch(/^pcisim: --kvm: unknown mitigation 'bogus' \(one of pci-hole, /);
    const none = await run(['boot', '-M', 'q35', '--kvm', 'none', '--json']);
    expect(none.code).toBe(0);
    expect(none.out).toBe((await run(['boot', '-M', 'q35', '--json'])).out);
  });

  it('topology -M pc: the root bus has ACPI hot-plug (PIIX4), no MCFG', async () => {
    const r = await run(['topology', '-M', 'pc']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^machine pc, ACPI PCI hot-plug on \(QEMU 7\.2's pc default\)\n/);
    expect(r.out).toMatch(/\npci\.0 +00 +acpi +32 +4 +28 +PIIX4's ACPI hot-plug serves the root bus/);
    expect(r.out).toContain('bus numbers in use: 00; no MCFG; peer-bus scan up to ff');
    const j = JSON.parse((await run(['topology', '-M', 'pc', '--json'])).out) as { buses: { name: string; controller: string; freeSlots: number[] }[] };
    expect(j.buses[0]).toMatchObject({ name: 'pci.0', controller: 'acpi' });
    expect(j.buses[0]!.freeSlots).toHaveLength(28);
  });
});

describe('lines from other VMMs', () => {
  const hint = (vmm: string) =>
    `pcisim: pcisim models QEMU, not ${vmm}: to see what ${vmm}'s single-bus PCI (an MCFG for bus 0 only) saves, run \`pcisim compare -M q35\` (its accurate-mcfg rows) or \`pcisim boot -M q35 --mcfg accurate\`\n`;
  it('firecracker --api-sock …', async () => {
    expect(await run(['boot', 'firecracker', '--api-sock', '/tmp/fc.sock'])).toMatchObject({ code: 2, out: '', err: hint('Firecracker') });
  });
  it('cloud-hypervisor --kernel … (after --, with a path)', async () => {
    expect(await run(['compare', '--', '/usr/bin/cloud-hypervisor', '--kernel', 'vmlinux'])).toMatchObject({ code: 2, out: '', err: hint('Cloud Hypervisor') });
  });
  it('the rows it points to exist in pcisim compare', async () => {
    const c = JSON.parse((await run(['compare', '-M', 'q35', '--json'])).out) as { rows: { name: string }[] };
    expect(c.rows.map((r) => r.name)).toContain('accurate-mcfg');
    expect((await run(['boot', '-M', 'q35', '--mcfg', 'accurate'])).code).toBe(0);
  });
});

describe('other JSON inputs', () => {
  it("validate: an access list that is not gzip is one line naming it", async () => {
    const d = mkdtempSync(join(tmpdir(), 'pcisim-gz-'));
    writeFileSync(join(d, 'pc-qboot.json'), readFileSync(join(REF, 'pc-qboot.json')));
    writeFileSync(join(d, 'pc-qboot.accesses.txt.gz'), 'not gzip');
    const r = await run(['validate', join(d, 'pc-qboot.json')]);
    expect(r.code).toBe(1);
    expect(oneLine(r.err)).toBe(`pcisim: ${join(d, 'pc-qboot.accesses.txt.gz')}: cannot read the access list (incorrect header check) (${join(d, 'pc-qboot.json')})`);
  });

  it('compare --topology: a q35-<name>.json in $PCISIM_REFERENCE_DIR that is not a reference', async () => {
    const d = mkdtempSync(join(tmpdir(), 'pcisim-topo-'));
    writeFileSync(join(d, 'q35-broken.json'), '{');
    writeFileSync(join(d, 'q35-empty.json'), 'null');
    const before = process.env.PCISIM_REFERENCE_DIR;
    process.env.PCISIM_REFERENCE_DIR = d;
    try {
      const a = await run(['compare', '--topology', 'broken']);
      expect(a.code).toBe(1);
      expect(oneLine(a.err)).toMatch(new RegExp(`^pcisim: topology 'broken': ${join(d, 'q35-broken.json')} is not a readable JSON reference \\(`));
      const b = await run(['compare', '--topology', 'empty']);
      expect(oneLine(b.err)).toBe(`pcisim: topology 'empty': ${join(d, 'q35-empty.json')} has no "qemuArgs" list of strings`);
    } finally {
      if (before === undefined) delete process.env.PCISIM_REFERENCE_DIR;
      else process.env.PCISIM_REFERENCE_DIR = before;
    }
  });
});

describe('the HTML page says what was simulated too', () => {
  it('pcisim report -M pc -name g', async () => {
    const out = join(dir, 'pc.html');
    const r = await run(['report', '-M', 'pc', '-name', 'g', '--html', out]);
    expect(r.code).toBe(0);
    const page = readFileSync(out, 'utf8');
    expect(page).toContain('pc (QEMU 7.2), SeaBIOS 1.16.2, linux-6.1-cloud as pcisim models them · accepted, no effect on PCI: <code>-name g</code>');
  });
});

describe("the README's commands, as written", () => {
  const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
  const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

  it('pnpm -s pcisim sweep docs/sweep-matrix.json --jobs 2: every scenario boots, exit 0', async () => {
    expect(readme).toContain('`pnpm -s pcisim sweep docs/sweep-matrix.json --jobs 2`');
    const r = await run(['sweep', join(ROOT, 'docs/sweep-matrix.json'), '--jobs', '2']);
    expect(r.code).toBe(0);
    expect(r.out.trimEnd().split('\n')).toHaveLength(96);
    expect(r.err).toMatch(/^pcisim sweep: 96 scenarios, 0 failed, /);
  }, 60_000);

  it('pnpm -s pcisim cost show lkml-2020 --json > mine.json, then --cost mine.json', async () => {
    expect(readme).toContain('`pnpm -s pcisim cost show lkml-2020 --json > mine.json`, then `--cost mine.json`');
    const f = file('mine.json', (await run(['cost', 'show', 'lkml-2020', '--json'])).out);
    const r = await run(['boot', '-M', 'q35', '--cost', f]);
    expect(r.code).toBe(0);
    expect(r.out.split('\n')[0]).toBe('pcisim boot: q35 (QEMU 7.2), SeaBIOS 1.16.2, linux-6.1-cloud; cost profile lkml-2020');
  });
});
