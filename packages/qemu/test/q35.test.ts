import { describe, expect, it } from 'vitest';
import { Q35Machine, QemuError, PciBus, PciDevice } from '../src/index.js';

const q35 = () => new Q35Machine({ nodefaults: false, ramBytes: 512 << 20, acpiPciHotplugWithBridgeSupport: true });

function conf1Read(m: Q35Machine, bus: number, devfn: number, reg: number, size: 1 | 2 | 4): number {
  m.pioWrite(0xcf8, 4, (0x80000000 | (bus << 16) | (devfn << 8) | (reg & 0xfc)) >>> 0);
  const v = m.pioRead(0xcfc + (reg & 3), size);
  return size === 4 ? v >>> 0 : v;
}

describe('q35 config space', () => {
  it('an absent function reads all-ones through conf1', () => {
    const m = q35();
    expect(conf1Read(m, 0, 3 << 3, 0, 4)).toBe(0xffffffff);
    expect(m.pioRead(0xcfc, 4)).toBe(-1); // as VmOps returns it: a dword as the int32 of its bytes
    // QEMU's handler returns ~0 unmasked (its trace, and the observer, show 0xffffffff); the memory core keeps
    // the access's 16 bits, which is what the port gives
    expect(conf1Read(m, 7, 0, 0, 2)).toBe(0xffff);
    const seen: number[] = [];
    m.host.observer = (_mech, _write, _bus, _devfn, _reg, _size, value) => seen.push(value >>> 0);
    conf1Read(m, 7, 0, 0, 2);
    expect(seen).toEqual([0xffffffff]);
  });

  it('the MCH answers 8086:29c0 at 00:00.0 and the LPC is multifunction', () => {
    const m = q35();
    expect(conf1Read(m, 0, 0, 0, 4)).toBe(0x29c08086);
    expect(conf1Read(m, 0, 0xf8, 0x0e, 1)).toBe(0x80);
  });

  it('a 16 MiB VGA BAR sizes as 0xff000008', () => {
    const m = q35();
    m.pioWrite(0xcf8, 4, 0x80000810);
    m.pioWrite(0xcfc, 4, 0xffffffff);
    expect(m.pioRead(0xcfc, 4) >>> 0).toBe(0xff000008);
  });

  it('ECAM is off until PCIEXBAR is enabled, then decodes bus/devfn/reg', () => {
    const m = q35();
    expect(m.mmioRead(0xb0000000, 4)).toBe(0xffffffff);
    m.pioWrite(0xcf8, 4, 0x80000060);
    m.pioWrite(0xcfc, 4, 0xb0000001);
    expect(m.mmioRead(0xb0000000, 4)).toBe(0x29c08086);
    expect(m.mmioRead(0xb0000000 + (0xf8 << 12), 2)).toBe(0x8086);
  });

  it('the conf1 latch ignores byte writes (pci_check_type1 writes 0xcfb)', () => {
    const m = q35();
    m.pioWrite(0xcf8, 4, 0x80000000);
    m.pioWrite(0xcfb, 1, 0x01);
    expect(m.pioRead(0xcf8, 4)).toBe(0x80000000);
  });

  it('a function in use gives QEMU’s error', () => {
    const bus = new PciBus('pci.0', false, null);
    bus.plug(new PciDevice({ typeName: 'a', vendorId: 1, deviceId: 1, classId: 0xff00 }), 8);
    expect(() => bus.plug(new PciDevice({ typeName: 'b', vendorId: 1, deviceId: 2, classId: 0xff00 }), 8)).toThrow(
      new QemuError('SLOT_IN_USE', 'PCI: slot 1 function 0 not available for b, in use by a,id='),
    );
  });
});
