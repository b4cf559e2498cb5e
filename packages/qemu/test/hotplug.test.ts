import { describe, expect, it } from 'vitest';
import { Q35Machine, realizeArgv, QemuHotplug, parseQmpCommand, executeQmp, deviceAddArg, type QmpEvent, type PciDevice } from '../src/index.js';

const ARGS = [
  '-device',
  'pcie-root-port,id=rp1,chassis=1,port=0x10,bus=pcie.0,addr=0x3',
  '-device',
  'pci-bridge,id=pb1,chassis_nr=2,shpc=on,bus=pcie.0,addr=0x4',
];

function setup(acpi = true) {
  const m = new Q35Machine({ nodefaults: true, ramBytes: 512 << 20, acpiPciHotplugWithBridgeSupport: acpi });
  realizeArgv(m, ARGS, { acpiPciHotplug: acpi ? 'bridges' : 'off' });
  // what SeaBIOS leaves: PMBASE 0x600, bus numbers 1 and 2
  m.lpc.setLong(0x40, 0x601);
  const irqs: string[] = [];
  const events: QmpEvent[] = [];
  let t = 0;
  const hp = new QemuHotplug(m, { irq: (l) => irqs.push(l), now: () => t, onEvent: (e) => events.push(e) });
  const cfgWrite = (bus: number, devfn: number, reg: number, size: 1 | 2 | 4, v: number) => {
    m.pioWrite(0xcf8, 4, (0x80000000 | (bus << 16) | (devfn << 8) | (reg & 0xfc)) >>> 0);
    m.pioWrite(0xcfc + (reg & 3), size, v);
  };
  const cfgRead = (bus: number, devfn: number, reg: number, size: 1 | 2 | 4) => {
    m.pioWrite(0xcf8, 4, (0x80000000 | (bus << 16) | (devfn << 8) | (reg & 0xfc)) >>> 0);
    return m.pioRead(0xcfc + (reg & 3), size);
  };
  cfgWrite(0, 0x18, 0x18, 4, 0x00010100); // rp1: primary 0, secondary 1, subordinate 1
  cfgWrite(0, 0x20, 0x18, 4, 0x00020200); // pb1: secondary 2
  const rp = [...m.functions()].find((f) => f.dev.typeName === 'pcie-root-port')!.dev;
  return { m, hp, irqs, events, cfgWrite, cfgRead, rp, setTime: (ns: number) => (t = ns) };
}

const run = (hp: QemuHotplug, cmd: string) => executeQmp(hp, parseQmpCommand(cmd)).reply;
const err = (hp: QemuHotplug, cmd: string) => {
  const r = run(hp, cmd);
  return 'error' in r ? r.error.desc : null;
};

describe('QMP parsing', () => {
  it('takes QMP JSON and the HMP form', () => {
    const j = parseQmpCommand('{"execute":"device_add","arguments":{"driver":"virtio-net-pci","id":"n1","bus":"rp1","addr":"0x0"}}');
    expect(j.execute).toBe('device_add');
    expect(deviceAddArg((j as { arguments: Record<string, string> }).arguments)).toBe('virtio-net-pci,id=n1,bus=rp1,addr=0x0');
    const h = parseQmpCommand('device_add virtio-net-pci,id=n1,bus=rp1');
    expect(h).toMatchObject({ execute: 'device_add', arguments: { driver: 'virtio-net-pci', id: 'n1', bus: 'rp1' } });
    expect(parseQmpCommand('device_del n1')).toMatchObject({ execute: 'device_del', arguments: { id: 'n1' } });
    expect(parseQmpCommand('{"execute":"device_del","arguments":{"id":"x"}}')).toMatchObject({ arguments: { id: 'x' } });
    expect(() => parseQmpCommand('{"execute":"device_add","arguments":{}}')).toThrow("Parameter 'driver' is missing");
  });
});

describe("device_add / device_del errors in QEMU 7.2's words", () => {
  it('a device model that does not exist', () => {
    expect(err(setup().hp, 'device_add no-such-dev,bus=rp1')).toBe("'no-such-dev' is not a valid device model name");
  });
  it("a bus that does not exist: \"Bus 'x' not found\"", () => {
    expect(err(setup().hp, 'device_add virtio-rng-pci,id=r1,bus=nope')).toBe("Bus 'nope' not found");
  });
  it("q35's root bus is not hot-pluggable (acpi_pcihp_reset() removed its handler)", () => {
    const { hp } = setup();
    expect(err(hp, 'device_add virtio-rng-pci,id=r1,bus=pcie.0')).toBe("Bus 'pcie.0' does not support hotplugging");
    expect(err(hp, 'device_add virtio-rng-pci,id=r1')).toBe("Bus 'pcie.0' does not support hotplugging");
  });
  it('a duplicate id', () => {
    const { hp } = setup();
    expect(run(hp, 'device_add virtio-rng-pci,id=r1,bus=rp1')).toEqual({ return: {} });
    expect(err(hp, 'device_add virtio-rng-pci,id=r1,bus=pb1')).toBe("Duplicate device ID 'r1'");
  });
  it("a root port's one slot taken (and QEMU 7.2 puts a second device without addr at slot 1, where Linux never looks)", () => {
    const { hp } = setup();
    run(hp, 'device_add virtio-rng-pci,id=r1,bus=rp1');
    expect(err(hp, 'device_add virtio-rng-pci,id=r2,bus=rp1,addr=0')).toBe('PCI: slot 0 function 0 not available for virtio-rng-pci, in use by virtio-rng-pci,id=r1');
    const r = executeQmp(hp, parseQmpCommand('device_add virtio-rng-pci,id=r3,bus=rp1'));
    expect(r.reply).toEqual({ return: {} });
    expect(r.added?.bdf).toBe('01:01.0');
  });
  it('a full bridge: 32 slots with ACPI hot-plug, then none', () => {
    const { hp } = setup();
    for (let i = 0; i < 32; i++) expect(run(hp, `device_add virtio-rng-pci,id=r${i},bus=pb1`)).toEqual({ return: {} });
    expect(err(hp, 'device_add virtio-rng-pci,id=r99,bus=pb1')).toBe('PCI: no slot/function available for virtio-rng-pci, all in use or reserved');
  });
  it('SHPC (native) refuses slot 0', () => {
    const { hp } = setup(false);
    expect(err(hp, 'device_add virtio-rng-pci,id=r1,bus=pb1,addr=0')).toBe(
      'Unsupported PCI slot 0 for standard hotplug controller. Valid slots are between 1 and 31.',
    );
    expect(run(hp, 'device_add virtio-rng-pci,id=r1,bus=pb1,addr=1')).toEqual({ return: {} });
  });
  it("device_del of what is not there: \"Device 'x' not found\" (DeviceNotFound)", () => {
    const r = run(setup().hp, 'device_del nope');
    expect(r).toEqual({ error: { class: 'DeviceNotFound', desc: "Device 'nope' not found" } });
  });
  it('device_del while the guest blinks the power indicator (pcie_cap_slot_unplug_request_cb)', () => {
    const { hp, rp } = setup(false);
    run(hp, 'device_add virtio-rng-pci,id=r1,bus=rp1');
    const sltctl = rp.expCap + 0x18;
    rp.setWord(sltctl, (rp.getWord(sltctl) & ~0x0300) | 0x0200);
    expect(err(hp, 'device_del r1')).toBe('Hot-unplug failed: guest is busy (power indicator blinking)');
  });
  it('a second device_del while the first is pending (PCIe: 5 s), and SHPC freeing a slot the guest never enabled', () => {
    const { hp, rp } = setup(false);
    run(hp, 'device_add virtio-rng-pci,id=r1,bus=rp1');
    const sltctl = rp.expCap + 0x18;
    rp.setWord(sltctl, (rp.getWord(sltctl) & ~0x0700) | 0x0100); // the guest powered it on, indicator on
    expect(run(hp, 'device_del r1')).toEqual({ return: {} });
    expect(err(hp, 'device_del r1')).toBe('Device r1 is already in the process of unplug');
    // SHPC: the slot is still disabled with its power LED off (no guest driver here): freed at once
    const s = setup(false);
    run(s.hp, 'device_add virtio-rng-pci,id=r2,bus=pb1,addr=1');
    expect(run(s.hp, 'device_del r2')).toEqual({ return: {} });
    expect(s.events.map((e) => e.data.device)).toEqual(['r2']);
    expect(err(s.hp, 'device_del r2')).toBe("Device 'r2' not found");
  });
});

describe('ACPI PCI hot-plug registers (hw/acpi/pcihp.c on ICH9)', () => {
  it('BSELs go depth first, newest bridge first; PCNT walks them in that order', () => {
    const { hp } = setup();
    expect(hp.acpi!.buses.map((b) => [b.bus.name, b.bsel])).toEqual([
      ['pb1', 0],
      ['rp1', 1],
    ]);
    expect(hp.acpi!.buses[1]!.slots).toEqual([0]); // a PCIe bus: slot 0 only
    expect(hp.acpi!.buses[0]!.slots).toHaveLength(32);
  });

  it('device_add sets PCIU and GPE0 bit 1; the SCI fires once the guest enabled the GPE; PCIU reads clear', () => {
    const { m, hp, irqs } = setup();
    m.pioWrite(0x628, 1, 0x02); // GPE0_EN: GPE 1
    run(hp, 'device_add virtio-rng-pci,id=r1,bus=rp1');
    expect(irqs).toEqual(['gsi:9']);
    expect(m.pioRead(0x620, 1) & 2).toBe(2);
    m.pioWrite(0xcd0, 4, 1); // BNUM = bsel of rp1
    expect(m.pioRead(0xcc0, 4)).toBe(1); // PCIU: slot 0
    expect(m.pioRead(0xcc0, 4)).toBe(0); // read-clear on q35
  });

  it('device_del: PCID, then _EJ0 (BNUM, B0EJ) ejects at once and QEMU says DEVICE_DELETED', () => {
    const { m, hp, events, setTime } = setup();
    run(hp, 'device_add virtio-rng-pci,id=r1,bus=rp1');
    expect(run(hp, 'device_del r1')).toEqual({ return: {} });
    m.pioWrite(0xcd0, 4, 1);
    expect(m.pioRead(0xcc4, 4)).toBe(1);
    setTime(5e6);
    m.pioWrite(0xcc8, 4, 1);
    expect(events).toEqual([{ event: 'DEVICE_DELETED', t: 5e6, data: { device: 'r1', path: '/machine/peripheral/r1' } }]);
    // the id is free again
    expect(run(hp, 'device_add virtio-rng-pci,id=r1,bus=rp1')).toEqual({ return: {} });
  });
});

describe('native PCIe slot (hw/pci/pcie.c)', () => {
  it('plug: presence, link, PDC|ABP; an MSI-X message once HPIE and the events are enabled', () => {
    const { hp, irqs, rp, cfgWrite } = setup(false);
    cfgWrite(0, 0x18, rp.msixCap + 2, 2, 0x8000); // MSI-X enable
    cfgWrite(0, 0x18, rp.expCap + 0x18, 2, 0x0020 | 0x0001 | 0x0008 | 0x0400 | 0x0300 | 0x00c0); // HPIE|ABPE|PDCE, power off
    irqs.length = 0;
    run(hp, 'device_add virtio-rng-pci,id=r1,bus=rp1');
    const sta = rp.getWord(rp.expCap + 0x1a);
    expect(sta & (0x40 | 0x08 | 0x01)).toBe(0x49);
    expect(rp.getWord(rp.expCap + 0x12) & 0x2000).toBe(0x2000); // DLLLA
    expect(irqs).toEqual(['msi:0000:00:03.0']);
  });

  it("a powered-off slot's function reads all-ones (pci_set_power); powering on shows it", () => {
    const { hp, rp, cfgWrite, cfgRead } = setup(false);
    run(hp, 'device_add virtio-rng-pci,id=r1,bus=rp1');
    expect(cfgRead(1, 0, 0, 4) >>> 0).toBe(0xffffffff); // the dword as its int32, as for an absent function
    const ctl = rp.getWord(rp.expCap + 0x18);
    cfgWrite(0, 0x18, rp.expCap + 0x18, 2, ctl & ~0x0400); // PCC: power on
    expect(cfgRead(1, 0, 0, 4)).toBe(0x10441af4);
  });

  it('device_del presses the attention button; power and indicator off by the guest unplug', () => {
    const { hp, rp, cfgWrite, events } = setup(false);
    run(hp, 'device_add virtio-rng-pci,id=r1,bus=rp1');
    const pos = rp.expCap;
    cfgWrite(0, 0x18, pos + 0x18, 2, 0x0100); // power on, indicator on
    cfgWrite(0, 0x18, pos + 0x1a, 2, 0x0019); // clear PDC|ABP|CC
    run(hp, 'device_del r1');
    expect(rp.getWord(pos + 0x1a) & 1).toBe(1);
    cfgWrite(0, 0x18, pos + 0x18, 2, 0x0400 | 0x0300); // power off, indicator off
    expect(events.map((e) => e.data.device)).toEqual(['r1']);
    expect((rp as PciDevice & { secondaryBus: { devices: unknown[] } }).secondaryBus.devices.every((d) => d === null)).toBe(true);
  });
});
