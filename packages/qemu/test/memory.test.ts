import { describe, expect, it } from 'vitest';
import { AddressSpace, Q35Machine, QemuError, QemuHotplug, realizeArgv, type MemoryRegionOps } from '../src/index.js';

const region = (log: string[], name: string, value: number): MemoryRegionOps => ({
  read: (off, size) => (log.push(`${name} r ${off}/${size}`), value),
  write: (off, size, v) => void log.push(`${name} w ${off}/${size}=${v}`),
});

describe('AddressSpace (softmmu/memory.c, rust-vmm Bus)', () => {
  it('dispatches by the region an access starts in, with the offset; unassigned reads all-ones', () => {
    const log: string[] = [];
    const as = new AddressSpace('io');
    as.insert('b', 0x20, 4, region(log, 'b', 0xbb));
    as.insert('a', 0x10, 4, region(log, 'a', 0xaa));
    expect(as.regions()).toEqual([
      { name: 'a', addr: 0x10, size: 4 },
      { name: 'b', addr: 0x20, size: 4 },
    ]);
    expect(as.read(0x12, 1)).toBe(0xaa);
    expect(as.read(0x23, 1)).toBe(0xbb);
    expect(as.read(0x14, 2)).toBe(0xffff);
    as.write(0x21, 2, 7);
    as.write(0x30, 4, 7);
    expect(log).toEqual(['a r 2/1', 'b r 3/1', 'b w 1/2=7']);
    expect(as.lookup(0x13)).toBe(0);
    expect(as.lookup(0x24)).toBe(-1);
  });

  it('refuses an overlap; a removed region no longer answers', () => {
    const as = new AddressSpace('memory');
    const ecam = region([], 'ecam', 1);
    as.insert('ecam', 0xb0000000, 0x10000000, ecam);
    expect(() => as.insert('x', 0xbfffff00, 0x200, region([], 'x', 2))).toThrow(QemuError);
    // an MMIO address below 4 GiB may come as the int32 of its bits
    expect(as.read(0xb0001000 | 0, 4)).toBe(1);
    expect(as.remove(ecam)).toBe(true);
    expect(as.remove(ecam)).toBe(false);
    expect(as.read(0xb0001000, 4)).toBe(0xffffffff);
    as.insert('x', 0xbfffff00, 0x200, region([], 'x', 2));
    expect(as.size).toBe(1);
  });

  it("q35 maps its config ports, ECAM once PCIEXBAR is on, and the hot-plug controllers' registers", () => {
    const m = new Q35Machine({ nodefaults: true, ramBytes: 512 << 20, acpiPciHotplugWithBridgeSupport: true });
    realizeArgv(m, ['-device', 'pci-bridge,id=pb1,chassis_nr=2,shpc=on,bus=pcie.0,addr=0x4']);
    expect(m.io.regions().map((r) => r.name)).toEqual(['pci-conf-idx', 'pci-conf-data']);
    expect(m.memory.regions()).toEqual([]);
    m.lpc.setLong(0x40, 0x601);
    new QemuHotplug(m, { irq: () => {}, now: () => 0 });
    expect(m.io.regions()).toEqual([
      { name: 'acpi-pm1-sts', addr: 0x600, size: 1 },
      { name: 'acpi-pm1-en', addr: 0x602, size: 1 },
      { name: 'acpi-gpe0', addr: 0x620, size: 16 },
      { name: 'acpi-pci-hotplug', addr: 0xcc0, size: 24 },
      { name: 'pci-conf-idx', addr: 0xcf8, size: 4 },
      { name: 'pci-conf-data', addr: 0xcfc, size: 4 },
    ]);
    // the firmware enables PCIEXBAR (MCH 0x60): the ECAM window appears
    m.pioWrite(0xcf8, 4, 0x80000060 | 0);
    m.pioWrite(0xcfc, 4, 0xb0000001 | 0);
    expect(m.memory.regions()).toEqual([{ name: 'pcie-mmcfg-mmio', addr: 0xb0000000, size: 0x10000000 }]);
    // the bridge's SHPC BAR, once assigned and decoded (through config writes, which the hot-plug side follows)
    m.pioWrite(0xcf8, 4, 0x80002010 | 0);
    m.pioWrite(0xcfc, 4, 0xfe000000 | 0);
    m.pioWrite(0xcf8, 4, 0x80002004 | 0);
    m.pioWrite(0xcfc, 2, 0x0002);
    expect(m.memory.regions().map((r) => [r.name, r.addr])).toEqual([
      ['pcie-mmcfg-mmio', 0xb0000000],
      ['shpc-mmio', 0xfe000000],
    ]);
  });
});
