import { describe, expect, it } from 'vitest';
import { getBootDevicesList, parseCpu, parseQemuArgs, qemuInitMachine } from '../src/index.js';
import { SeabiosBootOrder, buildPciPath, globPrefix } from '../src/firmware/boot.js';
import type { SbPciDevice } from '../src/firmware/pci.js';

describe('-boot strict=on: QEMU\'s "bootorder" and SeaBIOS\'s look-ups in it', () => {
  const argv = [
    '-M', 'q35', '-nodefaults', '-boot', 'strict=on', '-device', 'pcie-root-port,id=rp0,chassis=2,addr=2.0,multifunction=on', '-device', 'pcie-root-port,id=rp1,chassis=1,addr=2.3',
    '-blockdev', 'driver=null-co,node-name=d0', '-device', 'virtio-blk-pci,drive=d0,bus=rp1,bootindex=2',
    '-blockdev', 'driver=null-co,node-name=d1', '-device', 'virtio-blk-pci,drive=d1,addr=5',
  ];

  it('get_boot_devices_list(): the linuxboot ROM, the devices by bootindex, then HALT', () => {
    const c = parseQemuArgs(argv);
    expect(c.bootStrict).toBe(true);
    expect(getBootDevicesList(qemuInitMachine(c), c.bootStrict)).toEqual(['/rom@genroms/linuxboot_dma.bin', '/pci@i0cf8/pci-bridge@2,3/scsi@0', 'HALT']);
    const relaxed = parseQemuArgs(argv.filter((a) => a !== '-boot' && a !== 'strict=on'));
    expect(getBootDevicesList(qemuInitMachine(relaxed), relaxed.bootStrict)).toEqual(['/rom@genroms/linuxboot_dma.bin', '/pci@i0cf8/pci-bridge@2,3/scsi@0']);
  });

  it("glob_prefix() and build_pci_path(): SeaBIOS's '*' matches a name, the prefix ends at a '/'", () => {
    expect(globPrefix('/pci@i0cf8/*@2,3/*@0', '/pci@i0cf8/pci-bridge@2,3/scsi@0/disk@0,0')).toBe(true);
    expect(globPrefix('/pci@i0cf8/*@5', '/pci@i0cf8/pci-bridge@2,3/scsi@0')).toBe(false);
    expect(globPrefix('/pci@i0cf8/*@2', '/pci@i0cf8/pci-bridge@2,3')).toBe(false);
    const port: SbPciDevice = { bdf: (2 << 3) | 3, rootbus: 0, parent: null, vendor: 0x1b36, device: 0xc, classId: 0x0604, progIf: 0, revision: 0, headerType: 1, secondaryBus: 1, haveDriver: false };
    const blk: SbPciDevice = { ...port, bdf: 1 << 8, parent: port, vendor: 0x1af4, device: 0x1042, classId: 0x0100 };
    expect(buildPciPath('*', blk)).toBe('/pci@i0cf8/pci-bridge@2,3/*@0');
    const order = new SeabiosBootOrder(['/rom@genroms/linuxboot_dma.bin', '/pci@i0cf8/pci-bridge@2,3/scsi@0', 'HALT']);
    expect(order.isBootprioStrict()).toBe(true);
    expect(order.bootprioFindPciDevice(blk)).toBe(2);
    expect(order.bootprioFindPciDevice({ ...blk, bdf: 5 << 3, parent: null })).toBe(-1);
    expect(new SeabiosBootOrder(['/rom@genroms/linuxboot_dma.bin']).isBootprioStrict()).toBe(false);
  });
});

describe('-cpu: QEMU 7.2\'s named models, host and max', () => {
  it('vendor and family of each, with versions, aliases and +/- features', () => {
    expect(parseCpu('EPYC')).toMatchObject({ vendor: 'AuthenticAMD', family: 23, model: 1 });
    expect(parseCpu('EPYC-Rome-v2,-apic')).toMatchObject({ vendor: 'AuthenticAMD', family: 23, model: 49, apic: false });
    expect(parseCpu('Skylake-Client-IBRS')).toMatchObject({ vendor: 'GenuineIntel', family: 6, model: 94 });
    expect(parseCpu('qemu64,+x2apic,pmu=off')).toMatchObject({ vendor: 'AuthenticAMD', family: 15 });
    expect(parseCpu('host,migratable=on')).toMatchObject({ vendor: 'GenuineIntel', family: 6, model: 85 });
    expect(parseCpu('host', { host: 'amd' })).toMatchObject({ vendor: 'AuthenticAMD', family: 25 });
    expect(parseCpu('max', { accel: 'tcg', host: 'intel' })).toMatchObject({ vendor: 'AuthenticAMD', family: 15, model: 107 });
    expect(() => parseCpu('host', { accel: 'tcg' })).toThrow("CPU model 'host' requires KVM or HVF");
    expect(() => parseCpu('Pentium9')).toThrow("unable to find CPU model 'Pentium9'");
  });
});
