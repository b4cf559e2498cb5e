import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { runCli } from '../src/index.js';
import { qemuArgvOfText, shellWords, stripLauncher } from '../src/core/pasted-line.js';
import { standInHostResources } from '../src/record/host-resources.js';

const REF = fileURLToPath(new URL('../../../reference/', import.meta.url));

const run = async (args: string[]) => {
  let out = '';
  let err = '';
  const code = await runCli(args, { stdout: (s) => (out += s), stderr: (s) => (err += s) });
  return { code, out, err };
};

describe('a pasted command line, as a shell reads it', () => {
  it('shell words: quotes, escapes, backslash-newline continuations, comments', () => {
    expect(shellWords(`a 'b c' "d \\"e\\" \\$f" g\\ h \\\n-i # comment\nj`)).toEqual(['a', 'b c', 'd "e" $f', 'g h', '-i', 'j']);
    expect(shellWords(`-device '{"driver":"virtio-blk-pci","bootindex":1}'`)).toEqual(['-device', '{"driver":"virtio-blk-pci","bootindex":1}']);
    expect(() => shellWords(`-name 'guest`)).toThrow("unterminated ' quote");
  });

  it('the environment prefix and the program are not QEMU options', () => {
    expect(stripLauncher(['LC_ALL=C', 'PATH=/usr/bin', 'HOME=/var/lib/libvirt/qemu/d', '/usr/bin/qemu-system-x86_64', '-M', 'q35'])).toEqual(['-M', 'q35']);
    expect(stripLauncher(['/usr/libexec/qemu-kvm', '-S'])).toEqual(['-S']);
    expect(stripLauncher(['env', 'A=1', 'qemu-kvm', '-nodefaults'])).toEqual(['-nodefaults']);
    expect(stripLauncher(['-M', 'q35'])).toEqual(['-M', 'q35']);
  });

  it("a libvirt guest log: the last start's command line, up to the line without a backslash", () => {
    const log = [
      '2026-12-01 10:00:00.000+0000: starting up libvirt version: 9.0.0, qemu version: 7.2.22',
      'LC_ALL=C \\',
      '/usr/bin/qemu-system-x86_64 \\',
      '-M pc',
      '2026-12-01 10:05:00.000+0000: shutting down, reason=shutdown',
      '2026-12-01 11:00:00.000+0000: starting up libvirt version: 9.0.0, qemu version: 7.2.22',
      'LC_ALL=C \\',
      'HOME=/var/lib/libvirt/qemu/domain-2-g \\',
      '/usr/bin/qemu-system-x86_64 \\',
      "-name guest=g,debug-threads=on \\",
      "-device '{\"driver\":\"e1000\"}'",
      'char device redirected to /dev/pts/3 (label charserial0)',
    ].join('\n');
    expect(qemuArgvOfText(log, 'g.log')).toEqual(['-name', 'guest=g,debug-threads=on', '-device', '{"driver":"e1000"}']);
    expect(() => qemuArgvOfText('hello world\n', 'notes.txt')).toThrow('notes.txt: no QEMU command line in it');
  });

  it.each(['q35-libvirt-headless', 'q35-libvirt-verbatim'])('pcisim boot --cmdline-file %s.libvirt.log reports what the real boot of that line did', async (name) => {
    const ref = JSON.parse(readFileSync(`${REF}${name}.json`, 'utf8')) as { phases: Record<string, { config: unknown }> };
    const r = await run(['boot', '--cmdline-file', `${REF}${name}.libvirt.log`, '--json']);
    expect(r.code).toBe(0);
    const rep = JSON.parse(r.out) as { phases: Record<string, { config: { accesses: unknown; absent: number } }>; noPciEffect: string[]; hostCpu: string };
    for (const p of ['firmware', 'linux']) {
      expect(rep.phases[p]!.config.accesses).toEqual((ref.phases[p]!.config as { accesses: unknown }).accesses);
      expect(rep.phases[p]!.config.absent).toEqual((ref.phases[p]!.config as { absent: number }).absent);
    }
    expect(rep.noPciEffect).toContain('-global ICH9-LPC.disable_s3=1');
    expect(rep.noPciEffect).toContain('-machine hpet=off');
    expect(rep.hostCpu).toMatch(/^-cpu host is the host's CPU: Intel .*--host-cpu intel, the default/);
  });

  it('the same line pasted as words: everything after the program is QEMU\'s, even --no-reboot', async () => {
    const line = ['LC_ALL=C', 'PATH=/usr/bin', '/usr/bin/qemu-system-x86_64', '-M', 'q35', '-nodefaults', '--no-reboot', '-name', 'g'];
    const a = await run(['boot', '--json', ...line]);
    const b = await run(['boot', '--json', '--', ...line]);
    expect(a.code).toBe(0);
    expect(JSON.parse(a.out)).toEqual(JSON.parse(b.out));
    expect((JSON.parse(a.out) as { noPciEffect: string[] }).noPciEffect).toEqual(['--no-reboot', '-name g']);
    expect(await run(['boot', '--cmdline-file', '/nonexistent/g.log'])).toMatchObject({ code: 1, err: 'pcisim: --cmdline-file: cannot read /nonexistent/g.log: no such file or directory\n' });
  });

  it('no -M is QEMU\'s default machine, pc; -cpu host takes --host-cpu', async () => {
    const pc = JSON.parse((await run(['boot', '-m', '512', '--json'])).out) as { devices: { bdf: string; vendor: string; device: string }[] };
    expect(pc.devices.find((d) => d.bdf === '0000:00:00.0')).toMatchObject({ vendor: '8086', device: '1237' });
    const intel = JSON.parse((await run(['boot', '-M', 'q35', '-cpu', 'host', '--json'])).out) as { phases: { linux: { config: { accesses: { total: number } } } } };
    const amd = JSON.parse((await run(['boot', '-M', 'q35', '-cpu', 'host', '--host-cpu', 'amd', '--json'])).out) as typeof intel;
    const epyc = JSON.parse(readFileSync(`${REF}q35-cpu-epyc.json`, 'utf8')) as typeof intel;
    const skylake = JSON.parse(readFileSync(`${REF}q35-cpu-skylake-client.json`, 'utf8')) as typeof intel;
    // an AMD host is family 17h or later like EPYC; an Intel one makes no AMD probe, like Skylake-Client
    expect(amd.phases.linux.config.accesses.total).toBe(epyc.phases.linux.config.accesses.total);
    expect(intel.phases.linux.config.accesses.total).toBe(skylake.phases.linux.config.accesses.total);
    expect((await run(['boot', '-M', 'q35', '-cpu', 'host', '-accel', 'tcg'])).err).toBe("qemu-system-x86_64: CPU model 'host' requires KVM or HVF\n");
    expect((await run(['boot', '-cpu', 'Pentium9'])).err).toBe("qemu-system-x86_64: unable to find CPU model 'Pentium9'\n");
  });
});

describe("the recorder's stand-ins for a production line's host resources", () => {
  it("KVM, libvirt's file descriptors, its images and key file: replaced and named, devices untouched", () => {
    const argv = qemuArgvOfText(readFileSync(`${REF}q35-libvirt-headless.libvirt.log`, 'utf8'), 'log');
    const plan = standInHostResources(argv, { hostCpu: 'intel', exists: (p) => p === '/dev/urandom' });
    const opt = (name: string) => plan.qemuArgs.filter((_, i) => plan.qemuArgs[i - 1] === name);
    expect(plan.qemuArgs).not.toContain('-S');
    expect(opt('-accel')).toEqual([]);
    expect(opt('-cpu')).toEqual(['Cascadelake-Server']);
    expect(opt('-chardev')).toContain('socket,id=charmonitor,path=charmonitor.sock,server=on,wait=off');
    expect(opt('-netdev')).toEqual(['{"type":"user","id":"hostnet0"}']);
    expect(plan.files).toEqual([{ path: 'debian12.qcow2', format: 'qcow2', bytes: 64 << 20 }]);
    expect(opt('-device')).toEqual(argv.filter((_, i) => argv[i - 1] === '-device'));
    expect(standInHostResources(['-machine', 'q35,accel=kvm,nvdimm=on', '-cpu', 'host,pmu=off'], { hostCpu: 'amd', exists: () => true }).qemuArgs).toEqual([
      '-machine', 'q35,nvdimm=on', '-cpu', 'EPYC-Milan,pmu=off',
    ]);
    // JSON that is not JSON is left to QEMU's own error
    const bad = ['-object', '{"qom-type":"secret"}x', '-netdev', '{bad', '-blockdev', '{', '-device', '{"driver":'];
    expect(standInHostResources(bad, { hostCpu: 'intel', exists: () => false }).qemuArgs).toEqual(bad);
  });
});
