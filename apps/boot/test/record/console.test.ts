import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConsole, stripAnsi } from '../../src/record/console.js';
import { FIXTURES, loadReport, recordedScenarios } from './helpers.js';

const EXCERPT = [
  '\x1bc\x1b[?7l\x1b[2J\x1b[0mSeaBIOS (version 1.16.2-debian-1.16.2-1)\r',
  '\x1bc\x1b[?7l\x1b[2J\x1b[0mk\r[    0.000000] Linux version 6.1.0-56-cloud-amd64\r',
  '[    0.516240] PCI: Using configuration type 1 for base access\r',
  '[    0.866371] PCI: Using E820 reservations for host bridge windows\r',
  '[    0.905748] PCI host bridge to bus 0000:00\r',
  '[    0.909868] pci_bus 0000:00: root bus resource [bus 00-ff]\r',
  '[    0.906524] pci_bus 0000:00: root bus resource [io  0x0000-0x0cf7 window]\r',
  '[    0.914474] pci 0000:00:00.0: [8086:29c0] type 00 class 0x060000\r',
  '[    0.919676] pci 0000:00:01.0: [1b36:000c] type 01 class 0x060400\r',
  '[    0.919676] pci 0000:00:01.0: reg 0x10: [mem 0xfea00000-0xfea00fff]\r',
  '[    0.972082] pci_bus 0000:02: extended config space not accessible\r',
  '[    0.997374] pci 0000:02:01.0: [1af4:1001] type 00 class 0x010000\r',
  '[    1.010801] pci 0000:00:01.0: PCI bridge to [bus 01-02]\r',
  '[    1.010801] pci 0000:01:00.0: PCI bridge to [bus 02]\r',
  '[    1.164579] PCI: CLS 0 bytes, default 64\r',
  '[    1.476940] Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(0,0)\r',
  '[    1.483100] ---[ end Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(0,0) ]---\r',
].join('\n');

describe('parseConsole', () => {
  it('finds devices, bridges, config lines and the panic', () => {
    const c = parseConsole(EXCERPT);
    expect(c.devices).toEqual([
      { bdf: '00:00.0', vendor: '8086', device: '29c0', header_type: '00', class: '060000' },
      { bdf: '00:01.0', vendor: '1b36', device: '000c', header_type: '01', class: '060400' },
      { bdf: '02:01.0', vendor: '1af4', device: '1001', header_type: '00', class: '010000' },
    ]);
    expect(c.bridges).toEqual({ '00:01.0': { secondary: 1, subordinate: 2 }, '01:00.0': { secondary: 2, subordinate: 2 } });
    expect(c.linuxConfigLines).toEqual([
      '[    0.516240] PCI: Using configuration type 1 for base access',
      '[    0.905748] PCI host bridge to bus 0000:00',
      '[    0.909868] pci_bus 0000:00: root bus resource [bus 00-ff]',
      '[    0.972082] pci_bus 0000:02: extended config space not accessible',
      '[    1.164579] PCI: CLS 0 bytes, default 64',
    ]);
    expect(c.linuxStarted).toBe(true);
    expect(c.vfsPanic).toBe(true);
    expect(c.panicEnded).toBe(true);
  });

  it('a console that never reaches Linux', () => {
    const c = parseConsole('SeaBIOS (version 1.16.2)\r\nBooting from ROM...\r\n');
    expect(c).toMatchObject({ devices: [], linuxStarted: false, panic: undefined, vfsPanic: false });
  });

  it('stripAnsi removes the terminal resets SeaBIOS and the kernel write', () => {
    expect(stripAnsi('\x1bc\x1b[?7l\x1b[2J\x1b[0mSeaBIOS')).toBe('SeaBIOS');
  });

  // The recorded consoles: *.log is git-ignored at the root, so CI may not have them.
  const withConsole = recordedScenarios().filter((s) => existsSync(join(FIXTURES, `${s}.console.log`)));
  it.runIf(withConsole.length > 0).each(withConsole)('%s: the console gives the JSON devices, bridges and config lines', (s) => {
    const ref = loadReport(s);
    const c = parseConsole(readFileSync(join(FIXTURES, `${s}.console.log`), 'latin1'));
    expect(c.devices).toEqual(ref.devices);
    expect(c.bridges).toEqual(ref.bridges);
    expect(c.linuxConfigLines).toEqual(ref.linuxConfigLines);
    expect(c.vfsPanic).toBe(true);
  });
});
