import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { RecordError } from '../../src/record/errors.js';
import { parseTrace, parseTraceLine, TraceDecoder } from '../../src/record/trace-parser.js';
import { conf1, FWCFG, mmcfg, op, tempDirs } from './helpers.js';

const tmp = tempDirs();

async function* asyncLines(lines: string[]): AsyncGenerator<string> {
  for (const l of lines) yield l;
}

async function error(p: Promise<unknown>): Promise<RecordError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof RecordError) return e;
    throw e;
  }
  throw new Error('expected a RecordError');
}

describe('parseTraceLine', () => {
  it('reads QEMU 7.2 log-backend lines, with or without the pid@time prefix', () => {
    const line = "memory_region_ops_write cpu 0 mr 0x55766e014010 addr 0xcf8 value 0x80000000 size 4 name 'pci-conf-idx'";
    const want = { write: true, cpu: 0, addr: 0xcf8, valueHex: '80000000', size: 4, name: 'pci-conf-idx' };
    expect(parseTraceLine(line)).toEqual(want);
    expect(parseTraceLine(`4711@1700000000.123456:${line}`)).toEqual(want);
    expect(parseTraceLine("memory_region_ops_write cpu -1 mr 0x1 addr 0xfee00000 value 0x0 size 4 name 'apic-msi'")?.cpu).toBe(-1);
    expect(parseTraceLine("memory_region_ops_read cpu 0 mr 0x1 addr 0x10 value 0x0 size 4 name 'e1000e mmio'")?.name).toBe('e1000e mmio');
    expect(parseTraceLine('memory_region_ops_read cpu 0 mr 0x1 addr 0x10')).toBeUndefined();
  });
});

describe('parseTrace: the counting rules', () => {
  it('conf1: bus/devfn/reg from the latch, reg low bits from the port, values unmasked', async () => {
    const t = await parseTrace([
      FWCFG,
      ...conf1('read', 0, 0x1f, 2, 0x00, 4, 0x29228086),
      ...conf1('read', 0, 3, 0, 0x0e, 1, 0xffffffff), // byte at 0xcfe: reg 0x0e
      ...conf1('write', 1, 0, 0, 0x04, 2, 0x7),
    ]);
    expect(t.accesses).toEqual([
      { phase: 'L', mech: 'conf1', write: false, bus: 0, devfn: 0xfa, reg: 0, size: 4, value: 0x29228086 },
      { phase: 'L', mech: 'conf1', write: false, bus: 0, devfn: 0x18, reg: 0x0e, size: 1, value: 0xffffffff },
      { phase: 'L', mech: 'conf1', write: true, bus: 1, devfn: 0, reg: 4, size: 2, value: 7 },
    ]);
    expect(t.portAccesses.linux).toMatchObject({ cf8_write_dword: 3, cfc_read: 2, cfc_write: 1, data_without_new_address: 0 });
  });

  it('conf1: no config access while the enable bit is clear; raw port counts still kept', async () => {
    const t = await parseTrace([
      op('read', 0xcfc, 0xffffffff, 4, 'pci-conf-data'), // never latched
      op('write', 0xcf8, 0x00000000, 4, 'pci-conf-idx'),
      op('read', 0xcfc, 0xffffffff, 4, 'pci-conf-data'), // latched, enable clear
      op('write', 0xcfb, 0x1, 1, 'pci-conf-idx'), // Linux's pci_check_type1 byte write: ignored by QEMU
      op('read', 0xcf8, 0x0, 4, 'pci-conf-idx'),
      op('write', 0xcf8, 0x80000000, 4, 'pci-conf-idx'),
      op('read', 0xcfc, 0x29c08086, 4, 'pci-conf-data'),
      op('read', 0xcfc, 0x29c08086, 4, 'pci-conf-data'), // same latch again
    ]);
    expect(t.accesses).toHaveLength(2);
    expect(t.portAccesses.linux).toEqual({
      cf8_write_dword: 2,
      cf8_write_other: 1,
      cf8_read: 1,
      cfc_read: 4,
      cfc_write: 0,
      data_with_enable_clear: 2,
      data_without_new_address: 2,
    });
    expect(t.warnings.some((w) => w.includes('enable bit clear'))).toBe(true);
  });

  it('mmcfg: decoded from the offset, for q35 (absolute) and microvm (bare offset) addresses', async () => {
    const t = await parseTrace([
      FWCFG,
      mmcfg('read', 0xb0000000, 0, 2, 0, 0x100, 4, 0),
      mmcfg('read', 0, 0xff, 31, 7, 0xffc, 4, '0xffffffffffffffff'),
      mmcfg('write', 0xb0000000, 3, 0, 1, 0x10, 4, 0xffffffff),
    ]);
    expect(t.accesses).toEqual([
      { phase: 'L', mech: 'mmcfg', write: false, bus: 0, devfn: 0x10, reg: 0x100, size: 4, value: 0 },
      // QEMU's mmcfg read of nothing returns a 64-bit all-ones: kept exactly in valueHex.
      { phase: 'L', mech: 'mmcfg', write: false, bus: 255, devfn: 0xff, reg: 0xffc, size: 4, value: 0xffffffff, valueHex: '0xffffffffffffffff' },
      { phase: 'L', mech: 'mmcfg', write: true, bus: 3, devfn: 1, reg: 0x10, size: 4, value: 0xffffffff },
    ]);
  });

  it('mmcfg: an explicit window base', async () => {
    const t = await parseTrace([mmcfg('read', 0xb4000000, 2, 0, 0, 0, 2, 0x1af4)], { mmcfgBase: 0xb4000000 });
    expect(t.accesses[0]).toMatchObject({ bus: 2, devfn: 0, reg: 0 });
  });

  it('phases: everything up to the last fw_cfg access is firmware, ports included', async () => {
    const t = await parseTrace([
      ...conf1('read', 0, 0, 0, 0, 2, 0x8086),
      op('read', 0x510, 0x0, 2, 'fwcfg'),
      ...conf1('read', 0, 1, 0, 0, 2, 0x1234),
      FWCFG,
      ...conf1('read', 0, 2, 0, 0, 4, 0x10d38086),
      mmcfg('read', 0xb0000000, 0, 0, 0, 0x100, 4, 0),
    ]);
    expect(t.accesses.map((a) => a.phase)).toEqual(['F', 'F', 'L', 'L']);
    expect(t.portAccesses.firmware).toMatchObject({ cf8_write_dword: 2, cfc_read: 2 });
    expect(t.portAccesses.linux).toMatchObject({ cf8_write_dword: 1, cfc_read: 1 });
    expect(t.lastFwCfgLine).toBe(6);
    expect(t.warnings).toEqual([]);
  });

  it('phases: with no fw_cfg access everything is linux, and says so', async () => {
    const t = await parseTrace(conf1('read', 0, 0, 0, 0, 2, 0x8086));
    expect(t.accesses[0]?.phase).toBe('L');
    expect(t.warnings[0]).toMatch(/no fw_cfg/);
  });

  it('skips other regions, other trace events, QEMU messages, blank lines and CRs', async () => {
    const t = await parseTrace(
      asyncLines([
        "pci_cfg_read ich9-ahci 31:2 @0x0 -> 0x29228086",
        op('write', 0x70, 0x8f, 1, 'rtc-index'),
        '',
        `${conf1('read', 0, 0, 0, 0, 2, 0x8086)[0]}\r`,
        `${conf1('read', 0, 0, 0, 0, 2, 0x8086)[1]}\r`,
        'qemu-system-x86_64: terminating on signal 15 from pid 42 (node)',
      ]),
    );
    expect(t.accesses).toHaveLength(1);
    expect(t.lines).toBe(6);
    expect(t.opsLines).toBe(3);
  });

  it('reads files, gzipped or not', async () => {
    const dir = tmp();
    const text = `${[FWCFG, ...conf1('read', 0, 0, 0, 0, 2, 0x8086)].join('\n')}\n`;
    writeFileSync(join(dir, 't.log'), text);
    writeFileSync(join(dir, 't.log.gz'), gzipSync(text));
    expect((await parseTrace(join(dir, 't.log'))).accesses).toHaveLength(1);
    expect((await parseTrace(join(dir, 't.log.gz'))).accesses).toHaveLength(1);
  });
});

describe('parseTrace: bad input', () => {
  it('a file that is not a trace: NOT_A_TRACE at the first offending line', async () => {
    const e = await error(parseTrace(['', '# pcisim design', 'The contract between the packages']));
    expect(e.code).toBe('NOT_A_TRACE');
    expect(e.line).toBe(2);
    expect(e.message).toMatch(/^line 2: not a QEMU trace/);
  });

  it('an empty trace, or one without memory_region_ops lines: NOT_A_TRACE', async () => {
    expect((await error(parseTrace([]))).code).toBe('NOT_A_TRACE');
    const e = await error(parseTrace(['pci_cfg_read ich9-ahci 31:2 @0x0 -> 0x29228086']));
    expect(e.code).toBe('NOT_A_TRACE');
    expect(e.message).toMatch(/-trace memory_region_ops_read/);
  });

  it('a trace cut mid-line: TRUNCATED_TRACE naming the last line', async () => {
    const full = op('read', 0xcfc, 0x8086, 2, 'pci-conf-data');
    for (const cut of [full.slice(0, 40), full.slice(0, -1), 'memory_reg', 'mem']) {
      const e = await error(parseTrace([FWCFG, ...conf1('read', 0, 0, 0, 0, 2, 0x8086), cut]));
      expect(e.code).toBe('TRUNCATED_TRACE');
      expect(e.line).toBe(4);
    }
  });

  it('a malformed line in the middle: BAD_TRACE_LINE with its number', async () => {
    const lines = [FWCFG, 'memory_region_ops_read cpu 0 mr 0x1 addr 0xcfc value zz size 2', FWCFG];
    const e = await error(parseTrace(lines));
    expect(e.code).toBe('BAD_TRACE_LINE');
    expect(e.line).toBe(2);
    const garbage = await error(parseTrace([FWCFG, 'Hello, World', FWCFG]));
    expect(garbage.code).toBe('BAD_TRACE_LINE');
    expect(garbage.line).toBe(2);
  });

  it('names the file in the message', async () => {
    const dir = tmp();
    const path = join(dir, 'README.md');
    writeFileSync(path, '# not a trace\n');
    const e = await error(parseTrace(path));
    expect(e.file).toBe(path);
    expect(e.message.startsWith(`${path}:1: `)).toBe(true);
  });

  it('a missing file: IO_ERROR', async () => {
    expect((await error(parseTrace('/nonexistent/trace.log'))).code).toBe('IO_ERROR');
  });
});

describe('TraceDecoder', () => {
  it('can be driven line by line', () => {
    const d = new TraceDecoder();
    for (const l of [FWCFG, ...conf1('write', 0, 0, 0, 0x90, 4, 0x33333330)]) d.push(l);
    expect(d.finish().accesses).toEqual([
      { phase: 'L', mech: 'conf1', write: true, bus: 0, devfn: 0, reg: 0x90, size: 4, value: 0x33333330 },
    ]);
  });
});
