import { describe, expect, it } from 'vitest';
import { HotplugRuntime, Linux, type AcpiTables, type BootInfo, type PciDev } from '../src/index.js';
import { ECAM, FakeMachine } from './fake-machine.js';

/**
 * The hot-plug drivers on a fake machine (test/fake-machine.ts): the kernel run-time, the PCI core and the
 * driver, with no QEMU behind the ports. Each test checks what the driver read and wrote and what the PCI
 * core found, as the model computes them.
 */

const hostBridgeAcpi = (osc: number | null, devices: AcpiTables['hostBridges'][number]['devices'] = []): AcpiTables['hostBridges'][number] => ({
  hid: 'PNP0A08',
  segment: 0,
  busStart: 0,
  busEnd: 255,
  osc: osc === null ? null : { grantMask: osc },
  devices,
});

function bootWithRuntime(m: FakeMachine, info: BootInfo, rt: HotplugRuntime): Linux {
  const linux = new Linux(rt.cpu, info);
  rt.attach(linux);
  linux.boot();
  rt.afterBoot();
  return linux;
}

describe('pciehp', () => {
  /** a q35-like PCIe root port at 00:01.0 with a hot-plug slot (PSN 5), no command-completed support */
  function machine() {
    const m = new FakeMachine();
    m.add(0x0000, 0x8086, 0x29c0, 0x060000);
    const rp = m.add(0x0008, 0x1b36, 0x000c, 0x060400, 0x01);
    m.put(rp, 0x06, 2, 0x0010); // status: capability list
    rp[0x34] = 0x40;
    m.put(rp, 0x40, 2, 0x0010); // PCI Express, last capability
    m.put(rp, 0x42, 2, 0x0142); // version 2, root port, slot implemented
    m.put(rp, 0x4c, 4, 0x0010_0011); // LNKCAP: 2.5 GT/s x1, Data Link Layer Link Active Reporting
    m.put(rp, 0x54, 4, (5 << 19) | 0x0004_0000 | 0x40 | 0x20); // SLTCAP: PSN 5, NCCS, HPC, HPS
    // SLTSTA and RTSTA's PME Status are write-one-to-clear (QEMU's pcie_cap_root_init() w1cmask): the PME
    // service's probe clears RTSTA, and its handler shares the port's vector with pciehp's
    m.onConfigWrite = (bdf, reg, size, value) => {
      if (bdf !== 0x0008) return false;
      if (reg === 0x5a && size === 2) m.put(rp, 0x5a, 2, m.get(rp, 0x5a, 2) & ~value);
      else if (reg === 0x60 && size === 4) m.put(rp, 0x60, 4, m.get(rp, 0x60, 4) & ~(value & 0x0001_0000));
      else return false;
      return true;
    };
    return { m, rp };
  }
  const info: BootInfo = { cmdline: 'pcie_ports=native', e820: [], acpi: { mcfg: [], hostBridges: [hostBridgeAcpi(null)], links: [] }, dmiBiosDate: '04/01/2014' };

  it('probes the port at boot, and a presence change brings the new function up on the secondary bus', () => {
    const { m, rp } = machine();
    const rt = new HotplugRuntime(m.cpu());
    const linux = bootWithRuntime(m, info, rt);
    const port = linux.allDevices().find((d) => d.devfn === 0x08)!;
    expect(port.isHotplugBridge).toBe(true);
    const ctrl = rt.pciehp.get(port)!;
    expect(ctrl.slotName).toBe('5');
    expect(ctrl.state).toBe('OFF_STATE');
    // the bridge was numbered by the kernel: secondary bus 1
    expect(port.subordinate!.number).toBe(1);
    // pcie_enable_notification(): presence detect, data link layer state changed and the hot-plug interrupt on
    expect(m.get(rp, 0x58, 2) & (0x0008 | 0x1000 | 0x0020)).toBe(0x0008 | 0x1000 | 0x0020);

    const before = m.accesses.length;
    const t0 = m.t;
    rt.kernel.atHost(t0 + 1e9, () => {
      const ep = m.add(0x0100, 0x1af4, 0x1041, 0x020000);
      void ep;
      m.put(rp, 0x52, 2, 0x2000 | 0x0010); // LNKSTA: link active, x1
      m.put(rp, 0x5a, 2, 0x0040 | 0x0008 | 0x0100); // SLTSTA: presence detected, presence and link changed
      rt.kernel.raiseIrq(rt.msiLine(port));
    });
    rt.run(t0 + 5e9);
    const found = linux.allDevices().filter((d: PciDev) => d.bus.number === 1);
    expect(found.map((d) => [d.vendor, d.device, d.classCode])).toEqual([[0x1af4, 0x1041, 0x020000]]);
    expect(ctrl.state).toBe('ON_STATE');
    expect(rt.milestones.filter((x) => x.what === 'found' && x.bdf === '0000:01:00.0')).toHaveLength(1);
    expect(rt.milestones.filter((x) => x.what === 'added' && x.bdf === '0000:01:00.0')).toHaveLength(1);
    // pciehp_isr/ist, pcie_wait_for_link() (msleep(20), DLLLA, msleep(100)), pci_bus_check_dev(), board_added():
    // found 136 ms after the interrupt (jiffies at HZ=250, the timer wheel's rounding)
    const foundAt = rt.milestones.find((x) => x.what === 'found' && x.bdf === '0000:01:00.0')!.t;
    expect(foundAt - (t0 + 1e9)).toBe(136_000_000);
    expect(rt.log.map((l) => l.text)).toContain('pcieport 0000:00:01.0: pciehp: Slot(5): Card present');
    expect(rt.log.map((l) => l.text)).toContain('pcieport 0000:00:01.0: pciehp: Slot(5): Link Up');
    // 75 config accesses: 19 to the port (pcie_pme_irq()'s RTSTA read first on the shared vector, slot status,
    // link status, bridge set-up, and the read and write of LNKCTL by which pcie_aspm_init_link_state() clears
    // ASPM: the new function has no PCIe capability, so pcie_aspm_sanity_check() blacklists the link), 56 to
    // the new function (its header, capability walks, pci_device_add()); only_one_child() spares
    // 01:01.0-01:1f.7 any probe
    const afterAdd = m.accesses.slice(before);
    expect(afterAdd).toHaveLength(75);
    expect(afterAdd.filter((a) => a.bdf === 0x0008)).toHaveLength(19);
    // the PME service registered its handler on the port's vector before pciehp: RTSTA is read first
    expect(afterAdd.find((a) => a.bdf === 0x0008 && a.kind === 'cfg')).toMatchObject({ reg: 0x60, write: false });
    expect(afterAdd.filter((a) => a.bdf === 0x0008 && a.kind === 'cfg' && a.reg === 0x50).map((a) => a.write)).toEqual([false, true]);
    expect(afterAdd.filter((a) => a.bdf === 0x0100)).toHaveLength(56);
    expect(afterAdd.filter((a) => a.kind === 'cfg' && a.bdf > 0x0100 && a.bdf < 0x0200)).toHaveLength(0);
  });
});

describe('shpchp', () => {
  /** a conventional PCI-PCI bridge at 00:02.0 with an SHPC (2 slots, devices 1-2, named 1-2); _OSC grants SHPC */
  function machine() {
    const m = new FakeMachine();
    m.add(0x0000, 0x8086, 0x29c0, 0x060000);
    const br = m.add(0x0010, 0x1b36, 0x0001, 0x060400, 0x01);
    m.put(br, 0x06, 2, 0x0010);
    br[0x34] = 0x40;
    m.put(br, 0x40, 2, 0x000c); // SHPC, last capability
    // the SHPC register set, through DWORD_SELECT/DWORD_DATA and as MMIO at BAR 0 (none: address 0) + BASE_OFFSET 0
    const regs = new Uint32Array(16);
    regs[3] = 2 | (1 << 8) | (1 << 16) | (1 << 29); // SLOT_CONFIG: 2 slots, first device 1, PSN 1, counting up
    regs[4] = 0x01 << 24; // PROG_INTERFACE 1
    regs[9] = regs[10] = 3 << 10; // slot registers: no adapter present
    m.onConfigWrite = (bdf, reg, size, value) => {
      if (bdf !== 0x0010 || reg !== 0x42 || size !== 1) return false;
      m.put(br, 0x44, 4, regs[value & 0xf]!);
      return true;
    };
    m.mmio = (write, gpa, size, value) => {
      const i = gpa >> 2;
      const shift = (gpa & 3) * 8;
      if (write) {
        const maskBits = size === 4 ? 0xffffffff : (size === 2 ? 0xffff : 0xff) << shift;
        regs[i] = (regs[i]! & ~maskBits) | ((value << shift) & maskBits);
        return 0;
      }
      return size === 4 ? regs[i]! : (regs[i]! >>> shift) & (size === 2 ? 0xffff : 0xff);
    };
    return m;
  }
  const info = (): BootInfo => ({
    cmdline: '',
    e820: [ECAM.e820],
    acpi: { mcfg: [{ base: ECAM.base, segment: 0, startBus: 0, endBus: 255 }], hostBridges: [hostBridgeAcpi(0x02)], links: [] },
    dmiBiosDate: '04/01/2014',
  });

  it('the generic kernel binds shpchp to the bridge after boot: its slots, read through the SHPC registers', () => {
    const m = machine();
    const rt = new HotplugRuntime(m.cpu(), { flavour: 'linux-6.1-generic' });
    const bootEnd = { n: 0 };
    const linux = new Linux(rt.cpu, info());
    rt.attach(linux);
    linux.boot();
    bootEnd.n = m.accesses.length;
    rt.afterBoot();
    const bridge = linux.allDevices().find((d) => d.devfn === 0x10)!;
    const ctrl = rt.shpc.get(bridge)!;
    expect(ctrl.managed).toBe(true);
    expect(ctrl.slots.map((s) => [s.device, s.number])).toEqual([
      [1, 1],
      [2, 2],
    ]);
    const probe = m.accesses.slice(bootEnd.n);
    // shpc_init(): DWORD_SELECT + DWORD_DATA for BASE_OFFSET, SLOT_CONFIG and the 9 + 2 registers
    expect(probe.filter((a) => a.kind === 'cfg' && a.reg === 0x42 && a.write)).toHaveLength(13);
    expect(probe.filter((a) => a.kind === 'cfg' && a.reg === 0x44 && !a.write)).toHaveLength(13);
    // the register file over MMIO: slot configuration, interrupt masks, bus speeds, each slot's status (28 accesses);
    // in config space besides the 26 indirect accesses, pci_enable_device() and the capability walks (37 in all)
    expect(probe.filter((a) => a.kind === 'mmio').length).toBe(28);
    expect(probe.filter((a) => a.kind === 'cfg').length).toBe(37);
  });

  it('the cloud kernel has no shpchp (CONFIG_HOTPLUG_PCI_SHPC is not set): no SHPC access after boot', () => {
    const m = machine();
    const rt = new HotplugRuntime(m.cpu(), { flavour: 'linux-6.1-cloud' });
    const linux = new Linux(rt.cpu, info());
    rt.attach(linux);
    linux.boot();
    const n = m.accesses.length;
    rt.afterBoot();
    expect(m.accesses.length).toBe(n);
    expect(rt.shpc.size).toBe(0);
    expect(linux.version).toMatchObject({ flavour: 'linux-6.1-cloud', release: '6.1.192' });
  });
});

describe('acpiphp', () => {
  /** QEMU's ACPI PCI hot-plug on the root bus: slots 3 and 4 with _EJ0 and _SUN, GPE 1 on GPE0 at 0xafe0 */
  const tables = { pm1aEvtBlk: 0x600, gpe0Blk: 0xafe0, gpe0BlkLen: 4, hotplugGpe: 1, enabledGpes: [1], sciIrq: 9, pcihpIoBase: 0xae00, buses: [{ path: [], bsel: 0, slots: [3, 4] }] };
  const devices = [
    { adr: 0x0003_0000, ej0: true, sun: 3, children: [] },
    { adr: 0x0004_0000, ej0: true, sun: 4, children: [] },
  ];
  const info: BootInfo = { cmdline: '', e820: [], acpi: { mcfg: [], hostBridges: [hostBridgeAcpi(null, devices)], links: [] }, dmiBiosDate: '04/01/2014' };

  function machine() {
    const m = new FakeMachine();
    m.add(0x0000, 0x8086, 0x29c0, 0x060000);
    const io = { gpeSts: 0, gpeEn: 0, up: 0, sel: -1 };
    m.pio = (write, port, _size, value) => {
      if (port === tables.gpe0Blk) {
        if (write) io.gpeSts &= ~value;
        return io.gpeSts;
      }
      if (port === tables.gpe0Blk + 2) {
        if (write) io.gpeEn = value;
        return io.gpeEn;
      }
      if (port === tables.pcihpIoBase + 0x10 && write) io.sel = value;
      if (port === tables.pcihpIoBase + 0x00 && !write) return io.sel === 0 ? io.up : 0;
      if (port === tables.pcihpIoBase + 0x04 && !write) return 0;
      return port === tables.pm1aEvtBlk || port === tables.pm1aEvtBlk + 2 ? 0 : 0xff;
    };
    return { m, io };
  }

  it('registers the DSDT slots at boot and scans slot 3 when GPE 1 says a device came', () => {
    const { m, io } = machine();
    const rt = new HotplugRuntime(m.cpu(), { acpi: tables });
    const linux = bootWithRuntime(m, info, rt);
    // acpiphp_add_context() at pci_create_root_bus(): one vendor-ID read per _ADR of the root bus
    expect(rt.log.map((l) => l.text).filter((t) => t.startsWith('acpiphp:'))).toEqual(['acpiphp: Slot [3] registered', 'acpiphp: Slot [4] registered']);
    expect(rt.acpiphp!.owns(0, 3)).toBe(true);
    // the SCI handler enabled GPE 1
    expect(io.gpeEn).toBe(0x02);

    const before = m.accesses.length;
    const t0 = m.t;
    rt.kernel.atHost(t0 + 1e9, () => {
      m.add(0x0018, 0x1af4, 0x1000, 0x020000); // 00:03.0
      io.up = 1 << 3;
      io.gpeSts |= 0x02;
      rt.kernel.raiseIrq(`gsi:${tables.sciIrq}`);
    });
    rt.run(t0 + 5e9);
    expect(linux.allDevices().map((d) => d.devfn)).toEqual([0x00, 0x18]);
    expect(rt.milestones.filter((x) => x.bdf === '0000:00:03.0').map((x) => x.what)).toEqual(['found', 'added']);
    const event = m.accesses.slice(before);
    // 29 port accesses: the SCI's PM1 status and enable (2), GPE0 enable and status per bit of the register (16)
    // with the dispatch at bit 1 (enable byte read-modify-write, status clear: 3), _E01 (BNUM, PCIU, PCID: 3), the
    // re-enable (2), and the _DSM of the added function (BNUM, AIDX write, AIDX read: 3)
    expect(event.filter((a) => a.kind === 'pio').length).toBe(29);
    // pci_scan_slot(slot 3), then acpiphp_check_bridge(): get_slot_status() of slots 3 and 4 (two vendor-ID
    // reads of the empty 00:04.0), pci_device_add() of 00:03.0: 59 config accesses
    expect(event.filter((a) => a.kind === 'cfg' && a.bdf === 0x0020 && a.reg === 0).length).toBe(2);
    expect(event.filter((a) => a.kind === 'cfg').length).toBe(59);
    expect(io.gpeEn).toBe(0x02);
    expect(io.gpeSts).toBe(0);
  });
});
