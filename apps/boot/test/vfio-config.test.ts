import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../src/cli.js';

const FIXTURES = new URL('../../../packages/qemu/test/fixtures/vfio/', import.meta.url);

async function cli(argv: string[]): Promise<{ rc: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const rc = await runCli(argv, { stdout: (s) => (out += s), stderr: (s) => (err += s) });
  return { rc, out, err };
}

describe('--vfio-config: the host function behind -device vfio-pci', () => {
  it('boots a GPU behind a root port from lspci output, and from a sysfs config file with its resource file', async () => {
    const lspci = new URL('nvidia-g98m.lspci.txt', FIXTURES).pathname;
    const line = ['-M', 'q35', '-device', 'pcie-root-port,id=rp0,chassis=1', '-device', 'vfio-pci,host=41:00.0,bus=rp0'];
    const a = await cli(['boot', ...line, '--vfio-config', `0000:41:00.0=${lspci}`]);
    expect(a.rc).toBe(0);
    expect(a.out).toMatch(/01:00\.0 \[10de:06ec\] class 030000/);
    expect(a.out).toMatch(/accepted, not modelled: .*256 bytes of a PCI Express device: its extended capabilities are taken as none/);
    // the same device as sysfs files: config (binary) and resource beside it
    const dir = mkdtempSync(join(tmpdir(), 'pcisim-vfio-'));
    const hex = readFileSync(lspci, 'utf8').split('\n').filter((l) => /^[0-9a-f]{2}: /.test(l)).flatMap((l) => l.slice(4).trim().split(' ').map((b) => parseInt(b, 16)));
    writeFileSync(join(dir, 'config'), Uint8Array.from(hex));
    writeFileSync(
      join(dir, 'resource'),
      ['0x00000000f2000000 0x00000000f2ffffff 0x0000000000040200', '0x00000000d0000000 0x00000000dfffffff 0x000000000014220c', '0x0000000000000000 0x0000000000000000 0x0000000000000000', '0x00000000f0000000 0x00000000f1ffffff 0x0000000000140204', '0x0000000000000000 0x0000000000000000 0x0000000000000000', '0x0000000000002000 0x000000000000207f 0x0000000000040101', '0x0000000000000000 0x0000000000000000 0x0000000000000000'].join('\n') + '\n',
    );
    const b = await cli(['boot', ...line, '--json', '--vfio-config', `0000:41:00.0=${join(dir, 'config')}`]);
    expect(b.rc).toBe(0);
    const c = await cli(['boot', ...line, '--json', '--vfio-config', `0000:41:00.0=${lspci}`]);
    expect(JSON.parse(b.out).phases).toEqual(JSON.parse(c.out).phases);
  });

  it('one line for what is wrong', async () => {
    const line = ['-M', 'q35', '-device', 'vfio-pci,host=41:00.0'];
    const none = await cli(['boot', ...line]);
    expect([none.rc, none.err.trim().split('\n').length]).toEqual([1, 1]);
    expect(none.err).toMatch(/no host device here to read: give its config space with --vfio-config 0000:41:00\.0=PATH/);
    const bad = await cli(['boot', ...line, '--vfio-config', 'gpu.txt']);
    expect(bad.err).toMatch(/--vfio-config takes DDDD:BB:DD\.F=path, not 'gpu\.txt'/);
    const missing = await cli(['boot', ...line, '--vfio-config', '41:00.0=/nonexistent/config']);
    expect(missing.err).toMatch(/--vfio-config 0000:41:00\.0: cannot read \/nonexistent\/config: no such file or directory/);
  });
});
