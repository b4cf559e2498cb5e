import { describe, expect, it } from 'vitest';
import { Linux, iommuGroupReasonText, pciDeviceGroups, pciName, type BootInfo } from '../src/index.js';
import { ECAM, FakeMachine } from './fake-machine.js';

describe("pci_device_group() on the guest's device tree", () => {
  it('a root port with ACS isolates; a conventional bridge aliases what is behind it; a multifunction slot without ACS shares', () => {
    const m = new FakeMachine();
    m.add(0x0000, 0x8086, 0x29c0, 0x060000);
    // 00:01.0 PCIe root port with an ACS capability, and a function behind it
    const rp = m.add(0x0008, 0x1b36, 0x000c, 0x060400, 0x01);
    m.put(rp, 0x06, 2, 0x0010);
    rp[0x34] = 0x40;
    m.put(rp, 0x40, 2, 0x0010);
    m.put(rp, 0x42, 2, 0x0042); // version 2, root port
    m.put(rp, 0x100, 4, 0x0001_000d); // ACS, version 1, last
    // 00:02.0 conventional PCI bridge with two functions behind it
    m.add(0x0010, 0x1b36, 0x0001, 0x060400, 0x01);
    // 00:1f.0 and 00:1f.3: one multifunction slot, no ACS
    m.add(0x00f8, 0x8086, 0x2918, 0x060100, 0x80);
    m.add(0x00fb, 0x8086, 0x2930, 0x0c0500);
    // the kernel numbers the bridges: 00:01.0 -> bus 1, 00:02.0 -> bus 2
    m.add(0x0100, 0x1af4, 0x1041, 0x020000);
    m.add(0x0208, 0x8086, 0x100e, 0x020000);
    m.add(0x0210, 0x8086, 0x100e, 0x020000);
    const info: BootInfo = {
      cmdline: '',
      e820: [ECAM.e820],
      acpi: { mcfg: [{ base: ECAM.base, segment: 0, startBus: 0, endBus: 255 }], hostBridges: [{ hid: 'PNP0A08', segment: 0, busStart: 0, busEnd: 255, osc: null, devices: [] }], links: [] },
      dmiBiosDate: '04/01/2014',
    };
    const linux = new Linux(m.cpu(), info);
    linux.boot();
    const groups = pciDeviceGroups(linux.allDevices()).map((g) => ({ devices: g.devices.map(pciName), reason: iommuGroupReasonText(g.reason) }));
    expect(groups).toEqual([
      { devices: ['0000:00:00.0'], reason: 'isolated' },
      { devices: ['0000:00:01.0'], reason: 'isolated' },
      { devices: ['0000:00:02.0', '0000:02:01.0', '0000:02:02.0'], reason: 'DMA alias of the bridge 0000:00:02.0 (a conventional PCI bus shares its requester ID)' },
      { devices: ['0000:00:1f.0', '0000:00:1f.3'], reason: 'multifunction slot without ACS: shares with 0000:00:1f.0' },
      { devices: ['0000:01:00.0'], reason: 'isolated' },
    ]);
  });
});
