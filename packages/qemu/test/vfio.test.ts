import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseLspci, parseQemuArgs, parseSysfsConfig, qemuInitMachine, VfioHostError, VfioPciDevice, type VfioHostDevice } from '../src/index.js';

const fixture = (name: string) => readFileSync(new URL(`fixtures/vfio/${name}`, import.meta.url), 'utf8');
const gpu = (bdf: string) => parseLspci(fixture('nvidia-g98m.lspci.txt'), bdf, 'nvidia-g98m.lspci.txt');
const nic = (bdf: string) => parseLspci(fixture('intel-82574l.lspci.txt'), bdf, 'intel-82574l.lspci.txt');

function boot(hosts: VfioHostDevice[], ...argv: string[]) {
  const cfg = parseQemuArgs(argv);
  cfg.vfioHosts = Object.fromEntries(hosts.map((h) => [h.bdf, h]));
  return qemuInitMachine(cfg);
}
function vfioFunctions(m: ReturnType<typeof boot>): { bus: number; dev: VfioPciDevice }[] {
  return [...m.functions()].filter((f): f is { bus: number; dev: VfioPciDevice } => f.dev instanceof VfioPciDevice);
}
const read = (d: VfioPciDevice, a: number, l: number) => d.configRead(a, l);
const caps = (d: VfioPciDevice): string[] => {
  const out: string[] = [];
  for (let p = read(d, 0x34, 1); p; p = read(d, p + 1, 1)) out.push(`${p.toString(16)}:${read(d, p, 1).toString(16)}`);
  return out;
};
const extCaps = (d: VfioPciDevice): string[] => {
  const out: string[] = [];
  for (let p = 0x100; p; ) {
    const h = read(d, p, 4);
    if (!h) break;
    out.push(`${p.toString(16)}:${(h & 0xffff).toString(16)}`);
    p = h >>> 20;
  }
  return out;
};

describe('--vfio-config input: lspci text and sysfs files', () => {
  it('reads the hex dump and the sizes, both from lspci -vvv Region lines and from lspci -v Memory lines', () => {
    const n = nic('0000:03:00.0');
    expect([n.config.length, n.barSizes, n.romSize]).toEqual([4096, [0x20000, 0x20000, 32, 0x4000, 0, 0], 0]);
    expect(n.notes[0]).toMatch(/256 bytes of a PCI Express device: its extended capabilities are taken as none/);
    // -v: Memory at … in BAR order, the 64-bit BARs taking two registers
    expect(gpu('0000:01:00.0').barSizes).toEqual([16 << 20, 256 << 20, 0, 32 << 20, 0, 128]);
  });

  it('takes a sysfs config file with its resource file, and says what is missing otherwise', () => {
    const cfg = gpu('0000:01:00.0').config.slice(0, 256);
    const resource = [
      '0x00000000f2000000 0x00000000f2ffffff 0x0000000000040200',
      '0x00000000d0000000 0x00000000dfffffff 0x000000000014220c',
      '0x0000000000000000 0x0000000000000000 0x0000000000000000',
      '0x00000000f0000000 0x00000000f1ffffff 0x0000000000140204',
      '0x0000000000000000 0x0000000000000000 0x0000000000000000',
      '0x0000000000002000 0x000000000000207f 0x0000000000040101',
      '0x00000000f3000000 0x00000000f301ffff 0x0000000000046200',
    ].join('\n');
    const h = parseSysfsConfig(cfg, resource, '0000:01:00.0', 'config');
    expect([h.barSizes, h.romSize]).toEqual([[16 << 20, 256 << 20, 0, 32 << 20, 0, 128], 0x20000]);
    expect(() => parseSysfsConfig(cfg, null, '0000:01:00.0', 'config')).toThrow(new VfioHostError("its BARs have no sizes: copy the device's sysfs 'resource' file beside 'config', or give lspci -vvv -xxxx output"));
    expect(() => parseSysfsConfig(cfg.slice(0, 64), resource, '0000:01:00.0', 'config')).toThrow(/only 64 bytes: the config space read without root/);
    expect(() => parseLspci('01:00.0 VGA\n00: de 10 ec 06 07 00 10 00 a1 00 00 03 00 00 00 00\n', '0000:01:00.0', 'x')).toThrow(/256 or 4096/);
  });
});

describe('vfio-pci as QEMU 7.2 presents a host function (hw/vfio/pci.c)', () => {
  it('behind a root port: the host IDs and capabilities, QEMU-emulated BARs sized as the host, MSI re-made by QEMU, the PCIe endpoint as it is', () => {
    const m = boot([gpu('0000:01:00.0')], '-M', 'q35', '-device', 'pcie-root-port,id=rp0,chassis=1', '-device', 'vfio-pci,host=01:00.0,bus=rp0');
    const [{ dev: d }] = vfioFunctions(m) as [{ bus: number; dev: VfioPciDevice }];
    expect([read(d, 0, 2), read(d, 2, 2), read(d, 0x0a, 2), read(d, 0x2c, 4)]).toEqual([0x10de, 0x06ec, 0x0300, 0x02051025]);
    // BARs: the host's addresses cleared, the types kept; sizing answers the host sizes
    expect([0x10, 0x14, 0x18, 0x1c, 0x20, 0x24].map((a) => read(d, a, 4))).toEqual([0, 0x0c, 0, 0x04, 0, 0x01]);
    expect(d.regions.slice(0, 7).map((r) => r?.size ?? 0)).toEqual([16 << 20, 256 << 20, 0, 32 << 20, 0, 128, 0]);
    expect(caps(d)).toEqual(['60:1', '68:5', '78:10']);
    // msi_init() over the host's MSI: 1 vector, 64-bit, no masking; the cap is QEMU's (emulated)
    expect([d.msiCap, d.msiCapSize, read(d, 0x6a, 2)]).toEqual([0x68, 0xe, 0x80]);
    expect(read(d, 0x7a, 2) & 0xf0).toBe(0x00); // still an endpoint below a port
    expect(extCaps(d)).toEqual([]); // the dump had none (256 bytes): head emulated, then ID 0
    // a BAR write reaches QEMU's copy (emulated), a COMMAND write the device
    d.configWrite(0x10, 0xffffffff, 4);
    expect(read(d, 0x10, 4)).toBe(0xff000000);
    d.configWrite(0x04, 0x0006, 2);
    expect(read(d, 0x04, 2)).toBe(0x0006);
  });

  it('on the root complex an endpoint becomes an integrated endpoint without link registers (vfio_setup_pcie_cap)', () => {
    const m = boot([nic('0000:03:00.0')], '-M', 'q35', '-device', 'vfio-pci,host=0000:03:00.0');
    const [{ dev: d }] = vfioFunctions(m) as [{ bus: number; dev: VfioPciDevice }];
    expect(caps(d)).toEqual(['c8:1', 'd0:5', 'e0:10', 'a0:11']);
    expect((read(d, 0xe2, 2) & 0xf0) >> 4).toBe(9);
    expect([read(d, 0xec, 4), read(d, 0xf0, 2), read(d, 0xf2, 2)]).toEqual([0, 0, 0]);
    // MSI-X re-made by QEMU in BAR 3: 5 vectors, table at 0, PBA at 0x2000
    expect([read(d, 0xa2, 2), read(d, 0xa4, 4), read(d, 0xa8, 4)]).toEqual([4, 3, 0x2003]);
    // the same NIC on pc's conventional bus keeps its capability as the host has it
    const pc = boot([nic('0000:03:00.0')], '-M', 'pc', '-device', 'vfio-pci,host=03:00.0');
    const [{ dev: p }] = vfioFunctions(pc) as [{ bus: number; dev: VfioPciDevice }];
    expect([(read(p, 0xe2, 2) & 0xf0) >> 4, read(p, 0xec, 4)]).toEqual([0, 0x602]);
  });

  it('x-msix-relocation, ID overrides, multifunction and the ROM BAR', () => {
    const base = ['-M', 'q35', '-device', 'pcie-root-port,id=rp0,chassis=1'];
    const reloc = vfioFunctions(boot([nic('0000:03:00.0')], ...base, '-device', 'vfio-pci,host=03:00.0,bus=rp0,x-msix-relocation=bar4'))[0]!.dev;
    // a new 64-bit prefetchable BAR 4 of 4 KiB (page-rounded) holds table and PBA
    expect([reloc.regions[4]?.size, read(reloc, 0x20, 4), read(reloc, 0xa4, 4), read(reloc, 0xa8, 4)]).toEqual([0x1000, 0x0c, 4, 0x54]);
    const ids = vfioFunctions(boot([nic('0000:03:00.0')], ...base, '-device', 'vfio-pci,host=03:00.0,bus=rp0,x-pci-vendor-id=0x1234,x-pci-sub-device-id=0x42,multifunction=on'))[0]!.dev;
    expect([read(ids, 0, 2), read(ids, 2, 2), read(ids, 0x2e, 2), read(ids, 0x0e, 1)]).toEqual([0x1234, 0x10d3, 0x42, 0x80]);
    const withRom = { ...nic('0000:03:00.0'), romSize: 0x40000 };
    const rom = vfioFunctions(boot([withRom], ...base, '-device', 'vfio-pci,host=03:00.0,bus=rp0'))[0]!.dev;
    expect(rom.regions[6]?.size).toBe(0x40000);
    const norom = vfioFunctions(boot([withRom], ...base, '-device', 'vfio-pci,host=03:00.0,bus=rp0,rombar=0'))[0]!.dev;
    expect(norom.regions[6]).toBeNull();
  });

  it("Kata's GPU cold-plug: one GPU behind each of several root ports", () => {
    const hosts = ['0000:41:00.0', '0000:61:00.0', '0000:81:00.0'].map(gpu);
    const argv = ['-M', 'q35'];
    hosts.forEach((h, i) => argv.push('-device', `pcie-root-port,id=rp${i},bus=pcie.0,chassis=${i + 1},slot=${i},multifunction=off`, '-device', `vfio-pci,host=${h.bdf},bus=rp${i}`));
    const m = boot(hosts, ...argv);
    const v = vfioFunctions(m);
    expect(v.map(({ dev }) => [dev.opts.host.bdf, dev.devfn, dev.bus?.name])).toEqual([
      ['0000:41:00.0', 0, 'rp0'],
      ['0000:61:00.0', 0, 'rp1'],
      ['0000:81:00.0', 0, 'rp2'],
    ]);
  });

  it('fails as QEMU does, and names what pcisim needs', () => {
    const n = nic('0000:03:00.0');
    expect(() => boot([], '-M', 'q35', '-device', 'vfio-pci')).toThrow('No provided host device');
    expect(() => boot([], '-M', 'q35', '-device', 'vfio-pci,host=3:0:0')).toThrow("Property 'vfio-pci.host' doesn't take value '3:0:0'");
    expect(() => boot([], '-M', 'q35', '-device', 'vfio-pci,host=03:00.0')).toThrow(/no host device here to read: give its config space with --vfio-config 0000:03:00.0=PATH/);
    expect(() => boot([n], '-M', 'q35', '-device', 'vfio-pci,host=03:00.0', '-device', 'vfio-pci,sysfsdev=/sys/bus/pci/devices/0000:03:00.0')).toThrow('vfio 0000:03:00.0: device is already attached');
    expect(() => boot([n], '-M', 'q35', '-device', 'vfio-pci,host=03:00.0,x-msix-relocation=auto')).toThrow('No automatic MSI-X relocation available for device 8086:10d3');
    expect(() => boot([n], '-M', 'q35', '-device', 'vfio-pci,host=03:00.0,x-vga=on')).toThrow('Device does not support requested feature x-vga');
    expect(() => boot([n], '-M', 'q35,kernel-irqchip=split', '-device', 'intel-iommu,intremap=on', '-device', 'vfio-pci,host=03:00.0')).toThrow(
      'We need to set caching-mode=on for intel-iommu to enable device assignment with IOMMU protection.',
    );
    expect(() => boot([n], '-M', 'q35,kernel-irqchip=split', '-device', 'intel-iommu,intremap=on,caching-mode=on', '-device', 'vfio-pci,host=03:00.0')).not.toThrow();
  });
});
