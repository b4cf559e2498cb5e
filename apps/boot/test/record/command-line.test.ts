import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  kernelName,
  kernelRelease,
  MICROVM_TSC_KHZ,
  planRecording,
  ramSize,
  REFERENCE_KERNEL,
  resolveInputPaths,
} from '../../src/record/command-line.js';
import { RecordError } from '../../src/record/errors.js';
import { fakeBzImage, FIXTURES, tempDirs } from './helpers.js';

const REPO = fileURLToPath(new URL('../../../../', import.meta.url));
const tmp = tempDirs('pcisim-cmdline-test-');

describe('the kernel command line (the recorder must see the boot)', () => {
  it('an empty -append gets console=ttyS0, and the note says why', () => {
    const p = planRecording(['-M', 'q35'], '');
    expect(p.append).toBe('console=ttyS0');
    expect(p.qemuArgs).toEqual(['-M', 'q35']);
    expect(p.notes).toEqual([
      "added console=ttyS0 (the recorder reads Linux's device list and its panic on the serial console) to the kernel command line",
    ]);
  });

  it("keeps a line that already has the console, adds nothing to the references' line", () => {
    expect(planRecording(['-M', 'q35'], 'console=ttyS0 earlyprintk=ttyS0 panic=0')).toMatchObject({ append: 'console=ttyS0 earlyprintk=ttyS0 panic=0', notes: [] });
    expect(planRecording(['-M', 'q35'], 'console=ttyS0,115200n8').append).toBe('console=ttyS0,115200n8');
    expect(planRecording(['-M', 'q35'], 'console=tty0').append).toBe('console=tty0 console=ttyS0');
  });

  it('quiet or a low loglevel hides the device list: loglevel=7 goes after it', () => {
    expect(planRecording([], 'console=ttyS0 quiet').append).toBe('console=ttyS0 quiet loglevel=7');
    expect(planRecording([], 'console=ttyS0 loglevel=3').append).toBe('console=ttyS0 loglevel=3 loglevel=7');
    expect(planRecording([], 'console=ttyS0 quiet loglevel=8').append).toBe('console=ttyS0 quiet loglevel=8');
  });

  it('panic=N reboots into the firmware again: panic=0 goes after it', () => {
    const p = planRecording([], 'console=ttyS0 panic=1');
    expect(p.append).toBe('console=ttyS0 panic=1 panic=0');
    expect(p.notes[0]).toMatch(/^added panic=0 \(with panic=1 the guest reboots/);
  });

  it('microvm gets a fixed tsc_early_khz=, q35 and pc do not', () => {
    const ref = 'console=ttyS0 earlyprintk=ttyS0 panic=0';
    expect(MICROVM_TSC_KHZ).toBe(2_600_000);
    const p = planRecording(['-M', 'microvm,pcie=on', '-device', 'virtio-rng-pci'], ref);
    expect(p.append).toBe(`${ref} tsc_early_khz=2600000`);
    expect(p.notes.join()).toMatch(/tsc_early_khz=2600000 \(microvm's TSC calibration against the PIT fails under -trace/);
    expect(planRecording(['-machine', 'type=microvm'], ref).append).toBe(`${ref} tsc_early_khz=2600000`);
    expect(planRecording(['-M', 'microvm'], `${ref} tsc_early_khz=3000000`).append).toBe(`${ref} tsc_early_khz=3000000`);
    expect(planRecording(['-M', 'q35'], ref).append).toBe(ref);
    expect(planRecording(['-M', 'pc'], ref).append).toBe(ref);
  });

  it('refuses at once what it cannot record', () => {
    expect(() => planRecording(['-trace', 'pci_*'], '')).toThrow(RecordError);
    expect(() => planRecording(['-D', 'x.log'], '')).toThrow(/recorder owns the trace/);
    expect(() => planRecording(['-append', 'x'], '')).toThrow(/goes in `append`/);
    const e = (() => {
      try {
        planRecording(['-nodefaults', '-monitor', 'stdio'], '');
      } catch (x) {
        return x as RecordError;
      }
      throw new Error('expected a refusal');
    })();
    expect(e.code).toBe('BAD_ARGUMENTS');
    expect(e.message).toBe("-monitor stdio takes stdio, where the recorder reads the guest's serial console: give it another backend");
  });
});

describe('the serial console (a line that brings its own)', () => {
  const LIBVIRT_SERIAL = ['-chardev', 'stdio,id=charserial0', '-device', 'isa-serial,chardev=charserial0,id=serial0'];

  it('-nodefaults without a serial port: adds -serial stdio, as the reference scenarios do', () => {
    const p = planRecording(['-M', 'q35', '-nodefaults'], 'console=ttyS0');
    expect(p.qemuArgs).toEqual(['-M', 'q35', '-nodefaults', '-serial', 'stdio']);
    expect(p.notes).toEqual(['added -serial stdio: -nodefaults leaves no serial port, and the recorder reads the guest console there']);
    expect(planRecording(['-nodefaults', '-serial', 'stdio'], 'console=ttyS0')).toMatchObject({ qemuArgs: ['-nodefaults', '-serial', 'stdio'], notes: [] });
  });

  it("libvirt's -chardev stdio + -device isa-serial under -nodefaults is used as it is", () => {
    const args = ['-M', 'q35', '-nodefaults', ...LIBVIRT_SERIAL];
    const p = planRecording(args, 'console=ttyS0 panic=0');
    expect(p.qemuArgs).toEqual(args);
    expect(p.notes).toEqual([]);
    expect(p.consoleTty).toBe('ttyS0');
  });

  it('without -nodefaults, -nographic would put the monitor on the same stdio: -monitor none', () => {
    const p = planRecording(['-M', 'q35', ...LIBVIRT_SERIAL], 'console=ttyS0');
    expect(p.qemuArgs).toEqual(['-M', 'q35', ...LIBVIRT_SERIAL, '-monitor', 'none']);
    expect(p.notes).toEqual(["added -monitor none: -nographic would put QEMU's monitor on the stdio that the scenario's serial port uses"]);
    expect(planRecording(['-serial', 'stdio'], 'console=ttyS0').qemuArgs).toEqual(['-serial', 'stdio', '-monitor', 'none']);
    expect(planRecording(['-serial', 'mon:stdio', '-qmp', 'unix:q.sock,server=on,wait=off'], 'console=ttyS0').notes).toEqual([]);
    // mon: puts the monitor on the port itself, and QEMU then adds none
    expect(planRecording(['-serial', 'mon:stdio'], 'console=ttyS0')).toMatchObject({ qemuArgs: ['-serial', 'mon:stdio'], notes: [] });
    // QEMU's default serial port: -nographic muxes it with the monitor on stdio itself
    expect(planRecording(['-M', 'q35'], 'console=ttyS0')).toMatchObject({ qemuArgs: ['-M', 'q35'], notes: [] });
  });

  it("libvirt's usual pty console goes to stdio while recording, and the note says so", () => {
    const p = planRecording(['-nodefaults', '-chardev', 'pty,id=charserial0,logfile=/dev/fdset/1', '-device', 'isa-serial,chardev=charserial0,id=serial0'], '');
    expect(p.qemuArgs).toEqual(['-nodefaults', '-chardev', 'stdio,id=charserial0', '-device', 'isa-serial,chardev=charserial0,id=serial0']);
    expect(p.notes[0]).toBe('the serial port ttyS0 (-chardev pty,id=charserial0,logfile=/dev/fdset/1) goes to stdio while recording: the recorder reads the guest console there');
    expect(planRecording(['-nodefaults', '-serial', 'pty'], 'console=ttyS0').qemuArgs).toEqual(['-nodefaults', '-serial', 'stdio']);
  });

  it('reads the console on the ttyS of the stdio port (ISA index: -serial first, then isa-serial devices)', () => {
    const p = planRecording(['-nodefaults', '-serial', 'null', '-chardev', 'stdio,id=c1', '-device', 'isa-serial,chardev=c1'], '');
    expect(p.consoleTty).toBe('ttyS1');
    expect(p.append).toBe('console=ttyS1');
    expect(planRecording(['-nodefaults', '-chardev', 'stdio,id=c', '-device', 'isa-serial,chardev=c,index=2'], '').append).toBe('console=ttyS2');
  });
});

describe('recordedWith.memory: what the line asked for, in -m terms', () => {
  it.each([
    [[], '512M'],
    [['-m', '2G'], '2G'],
    [['-m', '4G'], '4G'],
    [['-m', '2048M'], '2G'],
    [['-m', '2048'], '2G'],
    [['-m', 'size=2097152k'], '2G'],
    [['-m', '1536'], '1536M'],
    [['-m', '1.5G'], '1536M'],
    [['-m', '4G,slots=2,maxmem=8G'], '4G'],
    // QEMU merges every -m: one without size= keeps the size
    [['-m', 'slots=2,maxmem=8G'], '512M'],
    // rounded up to 8 KiB, as parse_memory_options() does
    [['-m', '2097153k'], '2097160K'],
    [['--m', '1G'], '1G'],
  ])('%j → %s', (args, memory) => {
    expect(ramSize(['-accel', 'tcg', '-m', '512', '-nographic', ...(args as string[])])).toBe(memory);
  });

  it('a size QEMU would refuse is shown as written', () => {
    expect(ramSize(['-m', 'lots'])).toBe('lots');
  });
});

describe('input paths (QEMU runs in the output folder)', () => {
  it('makes relative input files absolute, leaves sockets and missing files relative', () => {
    const dir = tmp();
    mkdirSync(join(dir, 'img'));
    writeFileSync(join(dir, 'img', 'bz'), '');
    writeFileSync(join(dir, 'img', 'disk,1.raw'), '');
    const args = [
      '-kernel', 'img/bz', '-initrd', 'nope.img',
      '-drive', 'if=none,id=d0,file=img/disk,,1.raw,format=raw',
      '-chardev', 'socket,id=s,path=qmp.sock,server=on',
      '-M', 'q35',
    ];
    expect(resolveInputPaths(args, dir)).toEqual([
      '-kernel', join(dir, 'img/bz'), '-initrd', 'nope.img',
      '-drive', `if=none,id=d0,file=${join(dir, 'img/disk,,1.raw')},format=raw`,
      '-chardev', 'socket,id=s,path=qmp.sock,server=on',
      '-M', 'q35',
    ]);
  });
});

describe('the kernel version', () => {
  it('REFERENCE_KERNEL is the kernel of every reference recording', () => {
    const kernels = new Set<string>();
    for (const f of readdirSync(FIXTURES).filter((f) => f.endsWith('.json'))) {
      const j = JSON.parse(readFileSync(join(FIXTURES, f), 'utf8')) as { schema?: string; recordedWith?: { kernel: string } };
      if (j.schema === 'pcisim.reference/1' && j.recordedWith) kernels.add(j.recordedWith.kernel);
    }
    expect([...kernels]).toEqual([REFERENCE_KERNEL]);
  });

  it("reads the release from the bzImage's setup header, whatever the file is called", () => {
    const dir = tmp();
    writeFileSync(join(dir, 'vmlinuz'), fakeBzImage('6.1.0-57-cloud-amd64'));
    expect(kernelRelease(join(dir, 'vmlinuz'))).toBe('6.1.0-57-cloud-amd64');
    expect(kernelName(join(dir, 'vmlinuz'))).toBe('vmlinuz-6.1.0-57-cloud-amd64');
    writeFileSync(join(dir, 'not-a-kernel'), 'hello');
    expect(kernelRelease(join(dir, 'not-a-kernel'))).toBeUndefined();
    expect(kernelName(join(dir, 'not-a-kernel'))).toBe('not-a-kernel');
    expect(kernelRelease(join(dir, 'missing'))).toBeUndefined();
  });

  it("scripts/setup-reference.sh fetches the references' kernel package, not the newest", () => {
    const pkg = execFileSync('bash', [join(REPO, 'scripts/setup-reference.sh'), '--print-package'], { encoding: 'utf8', env: { ...process.env, PCISIM_KERNEL_PKG: '' } });
    expect(pkg).toBe(`${REFERENCE_KERNEL.replace(/^vmlinuz-/, 'linux-image-')}\n`);
  });
});
