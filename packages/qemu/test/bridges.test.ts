/**
 * PCI/PCIe topology devices as QEMU 7.2 builds them: the TI XIO3130 switch ports, Intel's ioh3420 root port
 * and 82801 DMI-to-PCI bridge, and the resource-reserve capability of pci-bridge and pcie-root-port (Kata's
 * shapes). The capability layouts come from QEMU's source (hw/pci-bridge/xio3130_*.c, ioh3420.c, i82801b11.c,
 * hw/pci/pci_bridge.c pci_bridge_qemu_reserve_cap_init); each read-only register is checked against the value
 * Linux 6.1 read from the real QEMU in the recording named beside it.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { PcMachine, Q35Machine, parseQemuCommandLine, realizeCommandLine, type PciDevice } from '../src/index.js';
import { FIXTURES } from './helpers.js';

/** The -device arguments of a recording, realized on a q35 without firmware. */
function buildFromReference(scenario: string): (id: string) => PciDevice {
  const ref = JSON.parse(readFileSync(new URL(`${scenario}.json`, FIXTURES), 'utf8')) as { qemuArgs: string[] };
  const m = new Q35Machine({ nodefaults: true, ramBytes: 512 << 20, acpiPciHotplugWithBridgeSupport: true });
  const r = realizeCommandLine(m, parseQemuCommandLine(ref.qemuArgs));
  return (id) => {
    const d = r.devices.find((x) => x.id === id);
    if (!d?.pci) throw new Error(`no ${id}`);
    return d.pci;
  };
}

/** The first value SeaBIOS or Linux read of (bdf, register, size) in a recording. */
function firstRead(scenario: string, bdf: string, reg: number, size: number): number {
  const text = gunzipSync(readFileSync(new URL(`${scenario}.accesses.txt.gz`, FIXTURES))).toString();
  const want = ` r ${bdf} 0x${reg.toString(16).padStart(3, '0')}/${size} `;
  for (const line of text.split('\n')) {
    if (!line.includes(want)) continue;
    const v = BigInt(line.trim().split(/\s+/)[5]!) & (size === 4 ? 0xffffffffn : size === 2 ? 0xffffn : 0xffn);
    return Number(v);
  }
  throw new Error(`${scenario}: nothing read ${bdf} ${reg.toString(16)}/${size}`);
}

/** the standard capability chain: [offset, id] */
function caps(d: PciDevice): [number, number][] {
  const out: [number, number][] = [];
  for (let p = d.configRead(0x34, 1); p; p = d.configRead(p + 1, 1)) out.push([p, d.configRead(p, 1)]);
  return out;
}

/** read-only registers the model must answer as the recording's QEMU did */
function expectRegisters(scenario: string, dev: PciDevice, bdf: string, regs: [number, number][]): void {
  for (const [reg, size] of regs) {
    expect({ reg: reg.toString(16), v: dev.configRead(reg, size) >>> 0 }).toEqual({ reg: reg.toString(16), v: firstRead(scenario, bdf, reg, size) });
  }
}

describe('x3130-upstream + xio3130-downstream (reference/q35-x3130-switch)', () => {
  const dev = buildFromReference('q35-x3130-switch');

  it('upstream 104c:8232 rev 2: MSI 0x70 (64-bit, one vector), SSVID 0x80, PCIe upstream port 0x90 with FLR, AER 0x100', () => {
    const up = dev('up1');
    expect(caps(up)).toEqual([
      [0x90, 0x10],
      [0x80, 0x0d],
      [0x70, 0x05],
    ]);
    expect((up.configRead(0x92, 2) >> 4) & 0xf).toBe(5); // PCI_EXP_TYPE_UPSTREAM
    expect(up.configRead(0x94, 4) & 0x10000000).toBe(0x10000000); // DEVCAP FLR
    expect(up.configRead(0x3d, 1)).toBe(0); // no INTx pin
    expectRegisters('q35-x3130-switch', up, '01:00.0', [
      [0x00, 4], [0x08, 4], [0x90, 2], [0x92, 2], [0x94, 4], [0x80, 2], [0x70, 2], [0x72, 2], [0x100, 4],
    ]);
  });

  it('downstream 104c:8233 rev 1: the same layout with a slot; LNKCAP width and speed 0 (PCIESlot speed/width unset)', () => {
    const dn = dev('dn1');
    expect(caps(dn).map(([, id]) => id)).toEqual([0x10, 0x0d, 0x05]);
    expect((dn.configRead(0x92, 2) >> 4) & 0xf).toBe(6); // PCI_EXP_TYPE_DOWNSTREAM
    expect(dn.configRead(0x92, 2) & 0x100).toBe(0x100); // slot implemented
    expect(dn.configRead(0x9c, 4) & 0x3ff).toBe(0); // no width, no speed
    expect(dn.configRead(0xa4, 4) >>> 19).toBe(1); // physical slot number = slot=1
    expect(dev('dn2').configRead(0xa4, 4) >>> 19).toBe(2);
    expectRegisters('q35-x3130-switch', dn, '02:00.0', [
      [0x00, 4], [0x08, 4], [0x90, 2], [0x92, 2], [0x94, 4], [0x9c, 4], [0xa4, 4], [0xb4, 4], [0x80, 2], [0x70, 2], [0x72, 2], [0x100, 4],
    ]);
  });

  it('link status of a downstream port follows the device behind it', () => {
    expectRegisters('q35-x3130-switch', dev('dn1'), '02:00.0', [[0xa2, 2]]);
  });

  it('a second downstream port on the same chassis and slot is refused as QEMU refuses it', () => {
    const m = new Q35Machine({ nodefaults: true, ramBytes: 512 << 20, acpiPciHotplugWithBridgeSupport: true });
    const argv = [
      '-M', 'q35', '-nodefaults',
      '-device', 'pcie-root-port,id=rp1,chassis=1',
      '-device', 'x3130-upstream,id=up1,bus=rp1',
      '-device', 'xio3130-downstream,id=dn1,bus=up1,chassis=2,slot=1',
      '-device', 'xio3130-downstream,id=dn2,bus=up1,chassis=2,slot=1,addr=1',
    ];
    expect(() => realizeCommandLine(m, parseQemuCommandLine(argv))).toThrow("Can't add chassis slot, error -16");
  });
});

describe('ioh3420 (reference/q35-ioh3420)', () => {
  const dev = buildFromReference('q35-ioh3420');

  it('8086:3420 rev 2: SSVID 0x40 (Intel), MSI 0x60 (two vectors, maskable, 32-bit), PCIe root port 0x90, AER 0x100 and no ACS', () => {
    const rp = dev('rp1');
    expect(caps(rp)).toEqual([
      [0x90, 0x10],
      [0x60, 0x05],
      [0x40, 0x0d],
    ]);
    expect(rp.configRead(0x44, 2)).toBe(0x8086);
    expect(rp.configRead(0x62, 2)).toBe(0x0102); // MASKBIT, QMASK 2 vectors
    expect(rp.configRead(0x100, 4) >>> 20).toBe(0); // AER is the only extended capability
    expect(rp.configRead(0x9c, 4) & 0x3ff).toBe(0x11); // rp_instance_post_init(): x1, 2.5 GT/s
    expectRegisters('q35-ioh3420', rp, '00:01.0', [
      [0x00, 4], [0x08, 4], [0x40, 2], [0x60, 2], [0x62, 2], [0x90, 2], [0x92, 2], [0x94, 4], [0x9c, 4], [0xa4, 4], [0x100, 4],
    ]);
  });
});

describe("i82801b11-bridge + pci-bridge, libvirt's dmi-to-pci-bridge (reference/q35-dmi-pci-bridge)", () => {
  const dev = buildFromReference('q35-dmi-pci-bridge');

  it('8086:244e rev 0x92, class 060401 (subtractive decode), SSVID at 0x50, conventional', () => {
    const b = dev('pci.1');
    expect(caps(b)).toEqual([[0x50, 0x0d]]);
    expect(b.configRead(0x08, 4)).toBe(0x06040192);
    expect(b.configSize).toBe(256);
    expectRegisters('q35-dmi-pci-bridge', b, '00:1e.0', [
      [0x00, 4], [0x08, 4], [0x34, 1], [0x50, 1],
    ]);
  });
});

describe("Kata's reserves (reference/q35-pci-bridge-reserves, q35-rootport-reserves)", () => {
  it('pci-bridge shpc=off,io-reserve=4k,mem-reserve=1m,pref64-reserve=1m: the Red Hat vendor cap at 0x44 after slot-ID 0x40', () => {
    const b = buildFromReference('q35-pci-bridge-reserves')('pci-bridge-0');
    expect(caps(b)).toEqual([
      [0x44, 0x09],
      [0x40, 0x04],
    ]);
    expect(b.configRead(0x4c, 4)).toBe(0x1000); // io
    expect(b.configRead(0x54, 4)).toBe(0x100000); // mem
    expect(b.configRead(0x58, 4)).toBe(0xffffffff); // pref32 unset
    expect(b.configRead(0x5c, 4)).toBe(0x100000); // pref64
    expectRegisters('q35-pci-bridge-reserves', b, '00:02.0', [[0x48, 4], [0x4c, 4], [0x54, 4], [0x5c, 4]]);
  });

  it('pcie-root-port bus-reserve/mem-reserve/pref64-reserve; io-reserve=0 takes I/O away; hotplug=off has no hot-plug slot', () => {
    const dev = buildFromReference('q35-rootport-reserves');
    const rp0 = dev('rp0');
    expect(rp0.configRead(0x94, 4)).toBe(1); // bus_res
    expect(rp0.configRead(0xa0, 4)).toBe(0x400000); // mem 4 MiB
    expect(rp0.configRead(0xa8, 4)).toBe(0x200000); // pref64 2 MiB
    expectRegisters('q35-rootport-reserves', rp0, '00:01.0', [[0x94, 4], [0xa0, 4], [0xa8, 4]]);
    const rp1 = dev('rp1');
    expect(rp1.configRead(0x94, 4)).toBe(3);
    expect(rp1.configRead(0x98, 4)).toBe(0); // io 0
    expect(rp1.wmask[0x1c]).toBe(0); // gen_rp_realize(): no I/O window
    expectRegisters('q35-rootport-reserves', rp1, '00:02.0', [[0x94, 4], [0x98, 4]]);
    const rp2 = dev('rp2');
    expect(rp2.configRead(0x68, 4) & 0x60).toBe(0); // SLTCAP: no HPS/HPC
    expect(caps(rp2).map(([, id]) => id)).toEqual([0x10, 0x11, 0x0d]); // no reserve cap without ACPI hot-plug I/O
    expectRegisters('q35-rootport-reserves', rp2, '00:03.0', [[0x68, 4]]);
  });
});

describe('pxb-pcie and pxb: extra root buses (reference/q35-pxb-pcie, pc-pxb)', () => {
  it('pxb-pcie 1b36:000b is a host-bridge-class function; bus_nr=0x80 is a root bus pci_find_bus_nr() reaches', () => {
    const dev = buildFromReference('q35-pxb-pcie');
    const pxb = dev('pxb1');
    expect(pxb.configRead(0x00, 4)).toBe(0x000b1b36);
    expect(pxb.configRead(0x0a, 2)).toBe(0x0600);
    expect(pxb.configRead(0x06, 2) & 0xa0).toBe(0xa0); // 66 MHz, fast back-to-back
    expect(pxb.isBridge).toBe(false);
    const rp = dev('rp1');
    expect(rp.bus?.number).toBe(0x80);
    expect(rp.bus?.isRoot).toBe(true);
    expect(rp.bus?.name).toBe('pxb1');
    expectRegisters('q35-pxb-pcie', pxb, '00:01.0', [[0x00, 4], [0x08, 4]]);
    expectRegisters('q35-pxb-pcie', rp, '80:00.0', [[0x00, 4], [0x54, 2], [0x68, 4]]);
  });

  it('pxb 1b36:0009 puts a pci-bridge (shpc off, chassis_nr = bus_nr) at slot 0 of its root bus, named after the id', () => {
    const ref = JSON.parse(readFileSync(new URL('pc-pxb.json', FIXTURES), 'utf8')) as { qemuArgs: string[] };
    const m = new PcMachine({ nodefaults: true, ramBytes: 512 << 20 });
    const r = realizeCommandLine(m, parseQemuCommandLine(ref.qemuArgs));
    const pxb = r.devices.find((d) => d.typeName === 'pxb')!.pci!;
    expect(pxb.configRead(0x00, 4)).toBe(0x00091b36);
    const root = m.rootBus.children.find((b) => b.isRoot)!;
    expect(root.number).toBe(0x40);
    const bridge = root.devices[0]!;
    expect(bridge.configRead(0x00, 4)).toBe(0x00011b36);
    expect(caps(bridge)).toEqual([[0x40, 0x04]]); // slot-ID only: no SHPC, no MSI
    expect(bridge.configRead(0x43, 1)).toBe(0x40); // chassis_nr = bus_nr
    expectRegisters('pc-pxb', pxb, '00:02.0', [[0x00, 4], [0x08, 4]]);
    expectRegisters('pc-pxb', bridge, '40:00.0', [[0x00, 4], [0x34, 1], [0x40, 1]]);
  });

  it("refuses what QEMU refuses: the wrong bus kind, a bus number in use, a NUMA node -numa did not give", () => {
    const q = () => new Q35Machine({ nodefaults: true, ramBytes: 512 << 20, acpiPciHotplugWithBridgeSupport: true });
    const run = (m: Q35Machine | PcMachine, args: string[]) => () => realizeCommandLine(m, parseQemuCommandLine(args));
    expect(run(q(), ['-M', 'q35', '-device', 'pxb,id=p'])).toThrow('pxb devices cannot reside on a PCIe bus');
    expect(run(new PcMachine({ nodefaults: true, ramBytes: 512 << 20 }), ['-M', 'pc', '-device', 'pxb-pcie,id=p'])).toThrow(
      'pxb-pcie devices cannot reside on a PCI bus',
    );
    expect(run(q(), ['-M', 'q35', '-device', 'pxb-pcie,id=p,bus_nr=5', '-device', 'pxb-pcie,id=q,bus_nr=5'])).toThrow('Bus 5 is already in use');
    expect(run(q(), ['-M', 'q35', '-device', 'pxb-pcie,id=p,bus_nr=5,numa_node=0'])).toThrow('Illegal numa node 0');
    // with -numa nodes, numa_node must be below their count (pxb_dev_realize_common())
    const numa = ['-object', 'memory-backend-ram,id=m0,size=256M', '-numa', 'node,memdev=m0', '-object', 'memory-backend-ram,id=m1,size=256M', '-numa', 'node,memdev=m1'];
    expect(run(q(), ['-M', 'q35', ...numa, '-device', 'pxb-pcie,id=p,bus_nr=5,numa_node=2'])).toThrow('Illegal numa node 2');
    const m = q();
    realizeCommandLine(m, parseQemuCommandLine(['-M', 'q35', ...numa, '-device', 'pxb-pcie,id=p,bus_nr=5,numa_node=1']));
    expect(m.rootBus.children.map((b) => b.number)).toContain(5);
  });
});
