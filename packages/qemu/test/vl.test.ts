import { describe, expect, it } from 'vitest';
import { Kvm } from '@sim/kvm';
import {
  DEFAULT_QEMU_RELEASE,
  QemuError,
  kvmInitMachine,
  parseQemuArgs,
  qemuInitMachine,
  stubMissingBackends,
  x86BiosRomInit,
  x86BootInfo,
  x86RunFirmware,
} from '../src/index.js';

describe('the command line pcisim boots (softmmu/vl.c)', () => {
  it('reads the machine type, its release, RAM, firmware and the ICH9-LPC globals', () => {
    const c = parseQemuArgs(['-M', 'pc-q35-7.2,accel=kvm', '-m', '1G', '-bios', '/usr/share/qemu/qboot.rom', '-global', 'ICH9-LPC.acpi-pci-hotplug-with-bridge-support=off', '-append', 'console=ttyS0']);
    expect(c).toMatchObject({ release: '7.2', machine: 'q35', machineProps: [['accel', 'kvm']], ramBytes: 2 ** 30, firmware: 'qboot', acpiPciHotplugWithBridgeSupport: false, append: 'console=ttyS0' });
    expect(parseQemuArgs([]).release).toBe(DEFAULT_QEMU_RELEASE);
    expect(() => parseQemuArgs(['-global', 'ICH9-LPC.acpi-pci-hotplug-with-bridge-support=maybe'])).toThrow(
      new QemuError('BAD_PROPERTY_VALUE', "ICH9-LPC.acpi-pci-hotplug-with-bridge-support=maybe: Parameter 'value' expects 'on' or 'off'"),
    );
    expect(() => parseQemuArgs(['-M', 'virt'])).toThrow(new QemuError('UNKNOWN_MACHINE', 'unsupported machine type\nUse -machine help to list supported machines'));
    expect(parseQemuArgs(['-usb']).usb).toBe(true); // vl.c: -usb is -machine usb=on
    expect(() => parseQemuArgs(['-frobnicate'])).toThrow(new QemuError('UNKNOWN_OPTION', '-frobnicate: invalid option'));
    // no -M: QEMU's default machine type, pc-i440fx-7.2
    expect(parseQemuArgs(['-m', '1G'])).toMatchObject({ machine: 'pc', release: '7.2' });
  });

  it('-vga: each interface changes the root bus (the default NIC takes 00:01.0 without VGA); vmware is refused', () => {
    const slots = (argv: string[]) => [...qemuInitMachine(parseQemuArgs(argv)).functions()].map(({ bus, dev }) => `${bus}:${dev.devfn >> 3}.${dev.devfn & 7} ${dev.typeName}`);
    expect(slots(['-M', 'q35'])).toEqual(['0:0.0 mch', '0:1.0 VGA', '0:2.0 e1000e', '0:31.0 ICH9-LPC', '0:31.2 ich9-ahci', '0:31.3 ICH9 SMB']);
    // the recording reference/q35-vga-none.json: Linux finds the e1000e at 00:01.0
    expect(slots(['-M', 'q35', '-vga', 'none'])).toEqual(['0:0.0 mch', '0:1.0 e1000e', '0:31.0 ICH9-LPC', '0:31.2 ich9-ahci', '0:31.3 ICH9 SMB']);
    expect(slots(['-M', 'q35', '-vga', 'std'])).toEqual(slots(['-M', 'q35']));
    expect(slots(['-M', 'pc', '-vga', 'none']).some((f) => f.endsWith(' VGA'))).toBe(false);
    // a display -device clears QEMU's default_vga: one VGA, where the -device put it
    expect(slots(['-M', 'q35', '-device', 'VGA,addr=5']).filter((f) => f.endsWith(' VGA'))).toEqual(['0:5.0 VGA']);
    expect(parseQemuArgs(['-M', 'q35', '-vga', 'none']).notModelled).toEqual([]);
    // pci_vga_init(): -vga virtio|qxl|cirrus put their device at the first free slot (reference/q35-vga-virtio,
    // pc-vga-qxl, pc-vga-cirrus)
    expect(slots(['-M', 'q35', '-vga', 'virtio']).slice(0, 3)).toEqual(['0:0.0 mch', '0:1.0 virtio-vga', '0:2.0 e1000e']);
    expect(slots(['-M', 'pc', '-vga', 'qxl']).filter((f) => f.startsWith('0:2.0') || f.startsWith('0:3.0'))).toEqual(['0:2.0 qxl-vga', '0:3.0 e1000']);
    expect(slots(['-M', 'pc', '-vga', 'cirrus,retrace=precise'])).toContain('0:2.0 cirrus-vga');
    // an explicit -vga is honoured with -nodefaults and beside a display -device (vl.c vga_model)
    expect(slots(['-M', 'q35', '-nodefaults', '-vga', 'std'])).toEqual(['0:0.0 mch', '0:1.0 VGA', '0:31.0 ICH9-LPC', '0:31.2 ich9-ahci', '0:31.3 ICH9 SMB']);
    expect(slots(['-M', 'q35', '-vga', 'virtio', '-device', 'VGA']).filter((f) => /VGA|vga/.test(f))).toEqual(['0:1.0 virtio-vga', '0:3.0 VGA']);
    expect(parseQemuArgs(['-vga', 'std', '-vga', 'none']).vga).toBe('none');
    expect(() => parseQemuArgs(['-vga', 'vmware'])).toThrow(new QemuError('UNSUPPORTED', "pcisim: -vga vmware: QEMU would add a 'vmware-svga', which pcisim does not model (-vga std, none, virtio, qxl or cirrus)"));
    expect(() => parseQemuArgs(['-vga', 'tcx'])).toThrow(new QemuError('BAD_OPTION', 'TCX framebuffer not available'));
    expect(() => parseQemuArgs(['-vga', 'foo'])).toThrow(new QemuError('BAD_OPTION', 'unknown vga type: foo'));
    expect(() => parseQemuArgs(['-vga', 'std,retrace=fast'])).toThrow(new QemuError('BAD_OPTION', 'unknown vga type: std,retrace=fast'));
  });

  it('--stub-backends stands in the backends a -device names and none defines', () => {
    expect(stubMissingBackends(['-device', 'virtio-net-pci,netdev=n0', '-netdev', 'user,id=n1', '-device', 'e1000,netdev=n1'])).toEqual([
      '-device', 'virtio-net-pci,netdev=n0', '-netdev', 'user,id=n1', '-device', 'e1000,netdev=n1', '-netdev', 'user,id=n0',
    ]);
  });

  it('builds the machine, puts it on a VM, runs its firmware and hands over the boot info', () => {
    const c = parseQemuArgs(['-M', 'q35', '-device', 'pcie-root-port,id=rp1,chassis=1', '-append', 'quiet']);
    const machine = qemuInitMachine(c);
    expect([...machine.functions()].map((f) => f.dev.typeName)).toContain('pcie-root-port');
    const vm = new Kvm().createVm();
    const vcpu = kvmInitMachine(vm, machine, { cpu: c.cpu });
    expect(vm.memslots().map((s) => [s.slot, s.guestPhysAddr])).toEqual([
      [0, 0],
      [1, 0x100000],
      [2, 0xfffc0000],
    ]);
    expect(vm.ioDevices('pio')).toEqual([{ addr: 0xcf8, len: 4, name: 'coalesced-pio' }]);
    const fw = x86RunFirmware(vcpu, machine, x86BiosRomInit(machine, c.firmware));
    expect(fw).toEqual({ firmware: 'seabios', qbootMmconfig: false });
    // SeaBIOS enabled PCIEXBAR: the ECAM window is mapped and MCFG declares it
    expect(machine.memory.regions()).toEqual([{ name: 'pcie-mmcfg-mmio', addr: 0xb0000000, size: 0x10000000 }]);
    const info = x86BootInfo(machine, c.append, fw);
    expect(info.cmdline).toBe('quiet');
    expect(info.acpi?.mcfg).toHaveLength(1);
    expect(() => x86BiosRomInit(qemuInitMachine(parseQemuArgs(['-M', 'microvm'])), 'seabios')).toThrow(QemuError);
  });
});

describe('parseQemuArgs: what it accepts and does not model is listed, UEFI is refused', () => {
  it('notModelled lists the options as given, in order; empty when everything is modelled', () => {
    expect(parseQemuArgs(['-M', 'q35', '-m', '512', '-smp', '2', '-device', 'e1000']).notModelled).toEqual([]);
    expect(
      parseQemuArgs(['-M', 'q35,kernel-irqchip=split', '-accel', 'tcg', '-kernel', 'vmlinuz', '-initrd', 'initrd.img', '-vga', 'none', '-nographic', '-no-reboot', '-name', 'g', '-display', 'none', '-drive', 'file=d.img,if=ide', '-drive', 'file=e.img,if=none,id=d0', '-drive', 'file=f.img,if=virtio'])
        .notModelled,
    ).toEqual(['-accel tcg', '-kernel vmlinuz', '-initrd initrd.img', '-drive file=d.img,if=ide']);
    expect(parseQemuArgs(['-M', 'microvm,pcie=on,usb=on']).notModelled).toEqual(['-M usb=on']);
  });

  it('noPciEffect lists the options that cannot change a config access: names, clocks, displays, monitors, the host side', () => {
    const c = parseQemuArgs([
      '-name', 'guest=g,debug-threads=on', '-S', '-machine', 'pc-q35-7.2,usb=off,vmport=off,dump-guest-core=off,memory-backend=pc.ram,hpet=off,acpi=on',
      '-object', '{"qom-type":"memory-backend-ram","id":"pc.ram","size":134217728}', '-object', '{"qom-type":"secret","id":"k0","data":"x"}',
      '-uuid', '0f3c9a1e-5b7d-4c2a-9e61-7d2b8c4f1a90', '-no-user-config', '-rtc', 'base=utc,driftfix=slew', '-global', 'kvm-pit.lost_tick_policy=delay',
      '-no-hpet', '-no-shutdown', '-global', 'ICH9-LPC.disable_s3=1', '-boot', 'menu=on,strict=on', '-sandbox', 'on', '-msg', 'timestamp=on', '-vnc', '127.0.0.1:0',
    ]);
    expect(c.noPciEffect).toEqual([
      '-name guest=g,debug-threads=on', '-S', '-machine usb=off', '-machine vmport=off', '-machine dump-guest-core=off', '-machine memory-backend=pc.ram',
      '-machine hpet=off', '-machine acpi=on', '-uuid 0f3c9a1e-5b7d-4c2a-9e61-7d2b8c4f1a90', '-no-user-config', '-rtc base=utc,driftfix=slew',
      '-global kvm-pit.lost_tick_policy=delay', '-no-hpet', '-no-shutdown', '-global ICH9-LPC.disable_s3=1', '-boot menu=on', '-sandbox on',
      '-msg timestamp=on', '-vnc 127.0.0.1:0', '-object {"qom-type":"secret","id":"k0","data":"x"}',
    ]);
    expect(c.notModelled).toEqual([]);
    expect(c.bootStrict).toBe(true);
    expect(() => parseQemuArgs(['-M', 'q35,memory-backend=ram0'])).toThrow("Memory backend 'ram0' not found");
    expect(() => parseQemuArgs(['-M', 'q35,frob=on'])).not.toThrow();
    expect(() => qemuInitMachine(parseQemuArgs(['-M', 'q35,frob=on']))).toThrow("Property 'pc-q35-7.2-machine.frob' not found");
  });

  it('UEFI firmware: -bios OVMF.fd and -drive if=pflash are one line, not SeaBIOS', () => {
    for (const [opt, v] of [
      ['-bios', '/usr/share/ovmf/OVMF.fd'],
      ['-bios', 'OVMF_CODE_4M.secboot.fd'],
      ['-bios', 'edk2-x86_64-code.fd'],
      ['-drive', 'if=pflash,format=raw,unit=0,readonly=on,file=/usr/share/OVMF/OVMF_CODE.fd'],
    ] as const) {
      expect(() => parseQemuArgs(['-M', 'q35', opt, v])).toThrow(`pcisim: UEFI firmware (OVMF) is not modelled yet (${opt} ${v})`);
    }
    expect(() => parseQemuArgs(['-bios', 'mine.bin'])).toThrow("could not load PC BIOS 'mine.bin'");
    expect(parseQemuArgs(['-bios', '/usr/share/seabios/bios-256k.bin']).firmware).toBe('seabios');
  });
});
