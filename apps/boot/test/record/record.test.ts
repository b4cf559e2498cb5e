import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { RecordError } from '../../src/record/errors.js';
import { toReferenceJson } from '../../src/record/json.js';
import { findKernel, findQemu, importTrace, recordBoot, recordingCommand, scenarioArgs } from '../../src/record/record.js';
import type { BootReport } from '../../src/core/report-types.js';
import { runCli } from '../../src/cli.js';
import { conf1, fakeBzImage, FIXTURES, FWCFG, mmcfg, op, recordedScenarios, tempDirs } from './helpers.js';

/** A small boot: firmware reads 00:00.0 and 00:03.0, Linux reads 00:00.0, 00:1f.0, 01:00.0 (absent bus). */
const TRACE = [
  ...conf1('read', 0, 0, 0, 0, 2, 0x8086),
  ...conf1('read', 0, 3, 0, 0, 2, 0xffffffff),
  mmcfg('write', 0xb0000000, 0, 0, 0, 0x60, 4, 0xb0000001),
  FWCFG,
  op('write', 0x3f8, 0x5b, 1, 'serial'),
  ...conf1('read', 0, 0, 0, 0, 4, 0x29c08086),
  ...conf1('read', 0, 0x1f, 0, 0, 4, 0x29188086),
  ...conf1('read', 1, 0, 0, 0, 4, 0xffffffff),
  mmcfg('read', 0xb0000000, 0, 0, 0, 0x100, 4, 0),
];
const CONSOLE = [
  'SeaBIOS (version 1.16.2-debian-1.16.2-1)',
  '[    0.000000] Linux version 6.1.0-56-cloud-amd64',
  '[    0.516240] PCI: Using configuration type 1 for base access',
  '[    0.914474] pci 0000:00:00.0: [8086:29c0] type 00 class 0x060000',
  '[    0.973209] pci 0000:00:1f.0: [8086:2918] type 00 class 0x060100',
  '[    1.476940] Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(0,0)',
  '[    1.483100] ---[ end Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(0,0) ]---',
];

const tmp = tempDirs('pcisim-record-test-');

async function error(p: Promise<unknown>): Promise<RecordError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof RecordError) return e;
    throw e;
  }
  throw new Error('expected a RecordError');
}

/**
 * A stand-in for qemu-system-x86_64 (CI has no QEMU): writes TRACE to the -trace file, prints CONSOLE, then
 * idles until killed, like QEMU after a panic with panic=0. `-name <mode>` picks a misbehaviour. Like the
 * real one, it refuses two users of stdio (-nographic's monitor counts when defaults are on), prints nothing
 * without console=ttyS0, and leaves a file in its working directory.
 */
function fakeQemu(dir: string): string {
  const path = join(dir, 'fake-qemu');
  // A shell counts the runs: Node's start can outlast a short timeout on a loaded host, and SIGTERM then
  // comes before the script's first line.
  writeFileSync(
    path,
    `#!/bin/sh
[ "$1" = --version ] || echo run >>${JSON.stringify(join(dir, 'runs.txt'))}
exec ${JSON.stringify(process.execPath)} ${JSON.stringify(`${path}.cjs`)} "$@"
`,
  );
  writeFileSync(
    `${path}.cjs`,
    `const fs = require('node:fs');
const args = process.argv.slice(2);
if (args[0] === '--version') { console.log('QEMU emulator version 7.2.22 (fake)'); process.exit(0); }
const mode = args.includes('-name') ? args[args.indexOf('-name') + 1] : 'ok';
fs.writeFileSync('qemu-was-here', '');
const has = (o) => args.includes(o);
const value = (i) => args[i + 1] ?? '';
let stdio = 0;
args.forEach((a, i) => {
  if ((a === '-serial' || a === '-monitor') && /^(mon:)?stdio$/.test(value(i))) stdio++;
  if (a === '-chardev' && /^stdio(,|$)/.test(value(i))) stdio++;
});
const ownSerial = has('-serial') || args.some((a) => a.startsWith('isa-serial'));
if (!has('-nodefaults') && !ownSerial) stdio++; // -nographic: serial and monitor muxed on stdio
if (!has('-nodefaults') && ownSerial && !has('-monitor')) stdio++; // -nographic: the monitor alone
if (stdio > 1) { console.error('qemu-system-x86_64: cannot use stdio by multiple character devices'); process.exit(1); }
const append = value(args.indexOf('-append')).split(' ');
if (mode === 'fail') { console.error("qemu-system-x86_64: -device nope: 'nope' is not a valid device model name"); process.exit(1); }
const file = args.filter((a) => a.includes(',file=')).pop().split(',file=')[1];
fs.writeFileSync(file, ${JSON.stringify(`${TRACE.join('\n')}\n`)});
fs.writeFileSync(${JSON.stringify(join(dir, 'argv.json'))}, JSON.stringify(args));
let out = ${JSON.stringify(CONSOLE.map((l) => `${l}\r\n`).join(''))};
if (mode === 'oops') out = out.replace(/VFS: Unable to mount root fs/g, 'Attempted to kill init!');
if (mode !== 'hang' && append.includes('console=ttyS0')) process.stdout.write(out);
setInterval(() => {}, 1000);
`,
  );
  chmodSync(path, 0o755);
  return path;
}

describe('recordBoot (with a fake QEMU)', () => {
  it('boots, stops at the panic, writes the three files', async () => {
    const dir = tmp();
    const kernel = join(dir, 'vmlinuz');
    writeFileSync(kernel, '');
    const lines: string[] = [];
    const r = await recordBoot({
      scenario: 'tiny',
      description: 'a fake boot',
      qemuArgs: ['-M', 'q35', '-nodefaults'],
      append: 'console=ttyS0 panic=0',
      qemuBinary: fakeQemu(dir),
      kernel,
      outDir: join(dir, 'out'),
      timeoutMs: 20_000,
      onConsoleLine: (l) => lines.push(l),
    });
    expect(lines).toContain(CONSOLE[3]);
    // -nodefaults drops the serial console: the recorder adds it, and the report says so.
    expect(r.report.qemuArgs).toEqual(['-M', 'q35', '-nodefaults', '-serial', 'stdio']);
    const argv = JSON.parse(readFileSync(join(dir, 'argv.json'), 'utf8')) as string[];
    expect(argv.slice(0, 9)).toEqual(['-accel', 'tcg', '-m', '512', '-nographic', '-kernel', kernel, '-append', 'console=ttyS0 panic=0']);
    expect(r.report.recordedWith).toEqual({
      qemu: 'QEMU emulator version 7.2.22 (fake)',
      kernel: 'vmlinuz',
      accel: 'tcg',
      memory: '512M',
      cpu: 'QEMU default (qemu64: AuthenticAMD family 15) unless -cpu is given',
    });
    const { firmware, linux } = r.report.phases;
    expect(firmware.config).toMatchObject({ accesses: { conf1: 2, mmcfg: 1, total: 3 }, absent: 1 });
    expect(linux.config).toMatchObject({
      accesses: { conf1: 3, mmcfg: 1, total: 4 },
      absent: 1,
      absentBreakdown: { absent_bus: 1 },
      busOrder: '0-1',
      portAccesses: { cf8_write_dword: 3, cfc_read: 3 },
    });
    expect(r.report.devices.map((d) => d.bdf)).toEqual(['00:00.0', '00:1f.0']);
    expect(r.report.linuxConfigLines).toEqual([CONSOLE[2]]);

    const json = JSON.parse(readFileSync(r.files.json ?? '', 'utf8')) as BootReport;
    expect(json).toEqual(r.report);
    expect(gunzipSync(readFileSync(r.files.accesses ?? '')).toString().split('\n')).toHaveLength(1 + 7 + 1);
    expect(readFileSync(r.files.console ?? '', 'utf8')).toContain('end Kernel panic');
  });

  it('QEMU exiting early: QEMU_FAILED with its message', async () => {
    const dir = tmp();
    const e = await error(recordBoot({ qemuArgs: ['-name', 'fail'], append: '', qemuBinary: fakeQemu(dir), kernel: fakeQemu(dir), outDir: dir }));
    expect(e.code).toBe('QEMU_FAILED');
    expect(e.message).toMatch(/not a valid device model name/);
  });

  it('no panic in time: BOOT_TIMEOUT after the retries, the console kept apart', async () => {
    const dir = tmp();
    const qemu = fakeQemu(dir);
    const e = await error(recordBoot({ scenario: 's', qemuArgs: ['-name', 'hang'], append: '', qemuBinary: qemu, kernel: qemu, outDir: dir, timeoutMs: 300, retries: 2 }));
    expect(e.code).toBe('BOOT_TIMEOUT');
    expect(readFileSync(join(dir, 'runs.txt'), 'utf8')).toBe('run\nrun\nrun\n');
    expect(existsSync(join(dir, 's.failed.console.log'))).toBe(true);
    expect(existsSync(join(dir, 's.json'))).toBe(false);
  });

  it('a panic other than the missing root fs: UNEXPECTED_PANIC', async () => {
    const dir = tmp();
    const e = await error(recordBoot({ qemuArgs: ['-name', 'oops'], append: '', qemuBinary: fakeQemu(dir), kernel: fakeQemu(dir), outDir: dir }));
    expect(e.code).toBe('UNEXPECTED_PANIC');
    expect(e.message).toMatch(/Attempted to kill init/);
  });

  it('an empty kernel command line: console=ttyS0 added, the boot recorded, and the note given before it', async () => {
    const dir = tmp();
    const notes: string[] = [];
    const qemu = fakeQemu(dir);
    const r = await recordBoot({ qemuArgs: ['-M', 'q35'], append: '', qemuBinary: qemu, kernel: qemu, outDir: dir, timeoutMs: 20_000, retries: 0, onNote: (n) => notes.push(n) });
    expect(r.report.append).toBe('console=ttyS0');
    expect(r.report.devices.map((d) => d.bdf)).toEqual(['00:00.0', '00:1f.0']);
    expect(notes[0]).toBe("added console=ttyS0 (the recorder reads Linux's device list and its panic on the serial console) to the kernel command line");
    expect(r.notes).toEqual(notes);
  });

  it("a line with its own serial console (libvirt's -chardev stdio + isa-serial) records as it is", async () => {
    const dir = tmp();
    const qemu = fakeQemu(dir);
    const qemuArgs = ['-M', 'q35', '-nodefaults', '-chardev', 'stdio,id=charserial0', '-device', 'isa-serial,chardev=charserial0,id=serial0'];
    const r = await recordBoot({ qemuArgs, append: 'console=ttyS0 panic=0', qemuBinary: qemu, kernel: qemu, outDir: dir, timeoutMs: 20_000 });
    expect(r.report.qemuArgs).toEqual(qemuArgs);
    // the same without -nodefaults: -nographic's monitor is turned off
    const r2 = await recordBoot({ qemuArgs: qemuArgs.filter((a) => a !== '-nodefaults'), append: 'console=ttyS0', qemuBinary: qemu, kernel: qemu, outDir: dir, timeoutMs: 20_000 });
    expect(r2.report.qemuArgs.slice(-2)).toEqual(['-monitor', 'none']);
  });

  it('recordedWith.memory is the -m the line asked for', async () => {
    const dir = tmp();
    const qemu = fakeQemu(dir);
    const r = await recordBoot({ qemuArgs: ['-M', 'q35', '-m', 'size=2097152k'], append: 'console=ttyS0', qemuBinary: qemu, kernel: qemu, outDir: dir, timeoutMs: 20_000 });
    expect(r.report.recordedWith?.memory).toBe('2G');
  });

  it("QEMU runs in the output folder: the scenario's relative files land there", async () => {
    const dir = tmp();
    const qemu = fakeQemu(dir);
    await recordBoot({ qemuArgs: ['-M', 'q35'], append: 'console=ttyS0', qemuBinary: qemu, kernel: qemu, outDir: join(dir, 'out'), timeoutMs: 20_000 });
    expect(existsSync(join(dir, 'out', 'qemu-was-here'))).toBe(true);
    expect(existsSync('qemu-was-here')).toBe(false);
  });

  it("records the kernel's version, and warns before the boot when it is not the references'", async () => {
    const dir = tmp();
    const qemu = fakeQemu(dir);
    writeFileSync(join(dir, 'vmlinuz-new'), fakeBzImage('6.1.0-57-cloud-amd64'));
    writeFileSync(join(dir, 'vmlinuz'), fakeBzImage('6.1.0-56-cloud-amd64'));
    const opts = { qemuArgs: ['-M', 'q35'], append: 'console=ttyS0', qemuBinary: qemu, outDir: dir, timeoutMs: 20_000 };
    const newer = await recordBoot({ ...opts, kernel: join(dir, 'vmlinuz-new') });
    expect(newer.report.recordedWith?.kernel).toBe('vmlinuz-6.1.0-57-cloud-amd64');
    expect(newer.notes).toEqual([
      'warning: the kernel is vmlinuz-6.1.0-57-cloud-amd64, the references were recorded with vmlinuz-6.1.0-56-cloud-amd64: counts may differ from reference/ (scripts/setup-reference.sh fetches that one)',
    ]);
    const same = await recordBoot({ ...opts, kernel: join(dir, 'vmlinuz') });
    expect(same.report.recordedWith?.kernel).toBe('vmlinuz-6.1.0-56-cloud-amd64');
    expect(same.notes).toEqual([]);
  });

  it('pcisim record says on stderr what it added, before the boot', async () => {
    const dir = tmp();
    const qemu = fakeQemu(dir);
    writeFileSync(join(dir, 'vmlinuz'), fakeBzImage('6.1.0-56-cloud-amd64'));
    const saved = { q: process.env['PCISIM_QEMU'], k: process.env['PCISIM_KERNEL'] };
    process.env['PCISIM_QEMU'] = qemu;
    process.env['PCISIM_KERNEL'] = join(dir, 'vmlinuz');
    let out = '';
    let err = '';
    try {
      const code = await runCli(['record', '-M', 'q35', '-nodefaults', '--out', dir], { stdout: (s) => (out += s), stderr: (s) => (err += s) });
      expect(code).toBe(0);
    } finally {
      for (const [k, v] of [['PCISIM_QEMU', saved.q], ['PCISIM_KERNEL', saved.k]] as const) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
    expect(err).toBe(
      'pcisim record: added -serial stdio: -nodefaults leaves no serial port, and the recorder reads the guest console there\n' +
        "pcisim record: added console=ttyS0 (the recorder reads Linux's device list and its panic on the serial console) to the kernel command line\n",
    );
    expect(out).toMatch(/^recording: linux conf1 3, mmcfg 1, absent 1; wrote /);
  });

  it('missing QEMU or kernel: one line pointing at the setup script', async () => {
    const q = await error(recordBoot({ qemuArgs: [], append: '', qemuBinary: '/nonexistent/qemu-system-x86_64' }));
    expect(q.code).toBe('QEMU_NOT_FOUND');
    expect(q.message).toMatch(/run scripts\/setup-reference\.sh$/);
    expect(q.message).not.toContain('\n');
    expect(() => findQemu('no-such-qemu-binary')).toThrow(/setup-reference/);
    const dir = tmp();
    const k = await error(recordBoot({ qemuArgs: [], append: '', qemuBinary: fakeQemu(dir), kernel: join(dir, 'nope') }));
    expect(k.code).toBe('KERNEL_NOT_FOUND');
    expect(k.message).toMatch(/run scripts\/setup-reference\.sh$/);
    expect(() => findKernel(join(dir, 'nope'))).toThrow(RecordError);
  });
});

describe('command line', () => {
  it('puts the trace options last, both naming the file', () => {
    const cmd = recordingCommand({ kernel: '/k', append: 'a', qemuArgs: ['-M', 'pc'], traceFile: '/t' });
    expect(cmd).toEqual([
      '-accel', 'tcg', '-m', '512', '-nographic', '-kernel', '/k', '-append', 'a', '-M', 'pc',
      '-trace', 'memory_region_ops_read,file=/t', '-trace', 'memory_region_ops_write,file=/t',
    ]);
  });

  it('puts the serial console on stdio (-serial stdio for -nodefaults without a serial), and refuses -trace', () => {
    expect(scenarioArgs(['-M', 'q35'])).toEqual(['-M', 'q35']);
    expect(scenarioArgs(['-nodefaults'])).toEqual(['-nodefaults', '-serial', 'stdio']);
    expect(scenarioArgs(['-nodefaults', '-serial', 'file:/x'])).toEqual(['-nodefaults', '-serial', 'stdio']);
    expect(() => scenarioArgs(['-trace', 'pci_*'])).toThrow(RecordError);
  });
});

describe('importTrace', () => {
  it('parses a trace + console and writes the recording', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'boot.trace'), `${TRACE.join('\n')}\n`);
    writeFileSync(join(dir, 'boot.console.log'), CONSOLE.join('\r\n'));
    const r = await importTrace(join(dir, 'boot.trace'), {
      consolePath: join(dir, 'boot.console.log'),
      outDir: join(dir, 'out'),
      qemuArgs: ['-M', 'q35'],
      append: 'x',
    });
    expect(r.report.scenario).toBe('boot');
    expect(r.report.phases.linux.config.absent).toBe(1);
    expect(r.warnings).toEqual([]);
    expect(existsSync(join(dir, 'out', 'boot.json'))).toBe(true);
    expect(existsSync(join(dir, 'out', 'boot.accesses.txt.gz'))).toBe(true);
  });

  it('without a console, infers the devices from vendor-ID reads and says so', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'boot.trace'), `${TRACE.join('\n')}\n`);
    const r = await importTrace(join(dir, 'boot.trace'));
    expect(r.report.devices).toEqual([
      { bdf: '00:00.0', vendor: '8086', device: '29c0', class: '' },
      { bdf: '00:1f.0', vendor: '8086', device: '2918', class: '' },
    ]);
    expect(r.warnings.join()).toMatch(/inferred/);
    expect(r.files).toEqual({});
  });

  it('a truncated trace fails with the line number', async () => {
    const dir = tmp();
    const text = `${TRACE.join('\n')}\n`;
    writeFileSync(join(dir, 'cut.trace'), text.slice(0, text.length - 20));
    const e = await error(importTrace(join(dir, 'cut.trace')));
    expect(e.code).toBe('TRUNCATED_TRACE');
    expect(e.line).toBe(TRACE.length);
  });
});

describe('toReferenceJson', () => {
  it.each(recordedScenarios())('%s: rewrites the fixture JSON byte for byte (byBus in first-access order)', (s) => {
    const text = readFileSync(join(FIXTURES, `${s}.json`), 'utf8');
    expect(toReferenceJson(JSON.parse(text) as BootReport)).toBe(text);
  });
});
