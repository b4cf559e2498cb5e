/**
 * USB host controllers, USB devices and audio as QEMU 7.2 builds them: each config-space value below comes
 * from the QEMU source named beside it (hw/usb/hcd-{uhci,ehci-pci,xhci-pci,xhci-nec}.c, hw/audio/{intel-hda,
 * ac97}.c, hw/i386/pc_q35.c, pc_piix.c), and the command-line errors are the ones qemu-system-x86_64 7.2
 * prints for the same line.
 */
import { describe, expect, it } from 'vitest';
import {
  PcMachine,
  Q35Machine,
  QemuError,
  describeTopology,
  parseQemuArgs,
  parseQemuCommandLine,
  qemuInitMachine,
  realizeCommandLine,
  type PciDevice,
  type RealizeResult,
} from '../src/index.js';

function q35(argv: string[], opts: { usb?: boolean; nodefaults?: boolean } = {}): { m: Q35Machine; r: RealizeResult; dev: (id: string) => PciDevice } {
  const m = new Q35Machine({ nodefaults: opts.nodefaults ?? true, ramBytes: 512 << 20, acpiPciHotplugWithBridgeSupport: true, usb: opts.usb ?? false });
  const r = realizeCommandLine(m, parseQemuCommandLine(['-M', 'q35', '-nodefaults', ...argv]));
  const dev = (key: string) => {
    const d = r.devices.find((x) => x.id === key || x.typeName === key);
    if (!d?.pci) throw new Error(`no ${key}`);
    return d.pci;
  };
  return { m, r, dev };
}

function fail(argv: string[]): string {
  try {
    q35(argv);
  } catch (e) {
    if (e instanceof QemuError) return e.message;
    throw e;
  }
  throw new Error('no error');
}

const rd = (d: PciDevice, reg: number, size: 1 | 2 | 4) => d.configRead(reg, size);

/** BAR sizing as Linux does it: all-ones, read back, restore */
function sizeBar(d: PciDevice, reg: number): number {
  const old = d.configRead(reg, 4);
  d.configWrite(reg, 0xffffffff, 4);
  const v = d.configRead(reg, 4);
  d.configWrite(reg, old, 4);
  return v >>> 0;
}

function caps(d: PciDevice): [number, number][] {
  const out: [number, number][] = [];
  for (let p = rd(d, 0x34, 1); p; p = rd(d, p + 1, 1)) out.push([p, rd(d, p, 1)]);
  return out;
}

const LIBVIRT_ICH9 = [
  '-device', 'ich9-usb-ehci1,id=usb,bus=pcie.0,addr=0x1d.0x7',
  '-device', 'ich9-usb-uhci1,masterbus=usb.0,firstport=0,bus=pcie.0,multifunction=on,addr=0x1d',
  '-device', 'ich9-usb-uhci2,masterbus=usb.0,firstport=2,bus=pcie.0,addr=0x1d.0x1',
  '-device', 'ich9-usb-uhci3,masterbus=usb.0,firstport=4,bus=pcie.0,addr=0x1d.0x2',
];

describe('ICH9 EHCI with UHCI companions (libvirt shape)', () => {
  const { m, dev } = q35([...LIBVIRT_ICH9, '-device', 'usb-tablet,bus=usb.0,port=1']);

  it('ich9-usb-ehci1 8086:293a rev 3, class 0c0320, 4 KiB memory BAR 0, no capability, INTD', () => {
    const e = dev('usb');
    expect(rd(e, 0x00, 4)).toBe(0x293a8086); // ehci_pci_info[] PCI_DEVICE_ID_INTEL_82801I_EHCI1
    expect(rd(e, 0x08, 4)).toBe(0x0c032003); // PCI_CLASS_SERIAL_USB, prog-if 0x20, revision 3
    expect(rd(e, 0x06, 2) & 0x10).toBe(0); // capabilities pointer 0
    expect(rd(e, 0x3d, 1)).toBe(4); // interrupt pin D
    expect(sizeBar(e, 0x10)).toBe(0xfffff000); // MMIO_SIZE
    expect(rd(e, 0x60, 1)).toBe(0x20); // USB_SBRN = USB_RELEASE_2
    expect(rd(e, 0x61, 1)).toBe(0x20); // frame length adjustment
    expect(rd(e, 0x68, 4)).toBe(0x00000001);
    expect(rd(e, 0x6c, 4)).toBe(0xc0000000); // USBLEFCTLSTS
  });

  it('the UHCI companions 8086:2934-2936 rev 3, class 0c0300, 32-byte I/O BAR 4, INTA-INTC', () => {
    const ids = [0x2934, 0x2935, 0x2936];
    ['ich9-usb-uhci1', 'ich9-usb-uhci2', 'ich9-usb-uhci3'].forEach((t, i) => {
      const u = dev(t);
      expect(rd(u, 0x00, 4)).toBe(((ids[i]! << 16) | 0x8086) >>> 0);
      expect(rd(u, 0x08, 4)).toBe(0x0c030003);
      expect(rd(u, 0x3d, 1)).toBe(i + 1); // irq_pin + 1
      expect(sizeBar(u, 0x20)).toBe(0xffffffe1);
      expect(sizeBar(u, 0x10)).toBe(0); // only region 4
      expect(rd(u, 0x60, 1)).toBe(0x10); // USB_RELEASE_1
      expect(rd(u, 0x6a, 1)).toBe(0x01); // uhci_reset(): usb clock
    });
  });

  it('slot 0x1d: function 0 is multifunction (header 0x80), the EHCI at function 7 is not', () => {
    const t = describeTopology(m.rootBus);
    expect(t.functions.map((f) => `${f.bdf} ${f.typeName} ${f.headerType.toString(16)}`)).toEqual([
      '00:00.0 mch 0',
      '00:1d.0 ich9-usb-uhci1 80',
      '00:1d.1 ich9-usb-uhci2 0',
      '00:1d.2 ich9-usb-uhci3 0',
      '00:1d.7 ich9-usb-ehci1 0',
      '00:1f.0 ICH9-LPC 80',
      '00:1f.2 ich9-ahci 80',
      '00:1f.3 ICH9 SMB 80',
    ]);
  });
});

describe('-machine usb=on and -usb', () => {
  it('q35 usb=on: ehci_create_ich9_with_companions(0x1d), every function multifunction', () => {
    const m = new Q35Machine({ nodefaults: true, ramBytes: 512 << 20, acpiPciHotplugWithBridgeSupport: true, usb: true });
    const t = describeTopology(m.rootBus);
    expect(t.functions.filter((f) => f.slot === 0x1d).map((f) => `${f.bdf} ${f.typeName} ${f.headerType.toString(16)}`)).toEqual([
      '00:1d.0 ich9-usb-uhci1 80',
      '00:1d.1 ich9-usb-uhci2 80',
      '00:1d.2 ich9-usb-uhci3 80',
      '00:1d.7 ich9-usb-ehci1 80',
    ]);
  });

  it('the board EHCI bus takes USB devices, the companions joined it (no bus of their own)', () => {
    const m = new Q35Machine({ nodefaults: true, ramBytes: 512 << 20, acpiPciHotplugWithBridgeSupport: true, usb: true });
    const r = realizeCommandLine(m, parseQemuCommandLine(['-device', 'usb-tablet,bus=usb-bus.0']));
    expect(r.devices.map((d) => `${d.typeName} ${d.bus}`)).toEqual(['usb-tablet usb-bus.0']);
    expect(() => realizeCommandLine(new Q35Machine({ nodefaults: true, ramBytes: 512 << 20, acpiPciHotplugWithBridgeSupport: true, usb: true }), parseQemuCommandLine(['-device', 'usb-tablet,bus=usb-bus.1']))).toThrow("Bus 'usb-bus.1' not found");
  });

  it('-usb and -machine usb=: the last one wins', () => {
    expect(parseQemuArgs(['-M', 'pc', '-usb']).usb).toBe(true);
    expect(parseQemuArgs(['-M', 'q35,usb=on']).usb).toBe(true);
    expect(parseQemuArgs(['-usb', '-M', 'q35,usb=off']).usb).toBe(false);
    expect(parseQemuArgs(['-M', 'q35']).usb).toBe(false);
    expect(parseQemuArgs(['-M', 'q35,usb=on']).notModelled).toEqual([]);
    expect(() => parseQemuArgs(['-M', 'q35,usb=foo'])).toThrow("Parameter 'usb' expects 'on' or 'off'");
  });

  it('pc -usb: piix3-usb-uhci 8086:7020 rev 1 at 01.2, INTD', () => {
    const m = qemuInitMachine(parseQemuArgs(['-M', 'pc', '-nodefaults', '-usb']));
    const u = m.rootBus!.findDevice(0, (1 << 3) | 2)!;
    expect(u.typeName).toBe('piix3-usb-uhci');
    expect(rd(u, 0x00, 4)).toBe(0x70208086);
    expect(rd(u, 0x08, 4)).toBe(0x0c030001);
    expect(rd(u, 0x3d, 1)).toBe(4);
    expect(sizeBar(u, 0x20)).toBe(0xffffffe1);
  });

  it('pc: a USB device finds the -usb controller\'s bus', () => {
    const m = new PcMachine({ nodefaults: true, ramBytes: 512 << 20, usb: true });
    const r = realizeCommandLine(m, parseQemuCommandLine(['-usb', '-device', 'usb-tablet']));
    expect(r.devices.map((d) => d.bus)).toEqual(['usb-bus.0']);
  });
});

describe('xHCI, EHCI, UHCI on their own', () => {
  it('nec-usb-xhci 1033:0194 rev 3: MSI 0x70 (16 vectors, 64-bit), MSI-X 0x90, PCIe endpoint 0xa0 on pcie.0', () => {
    const x = q35(['-device', 'nec-usb-xhci,id=x']).dev('x');
    expect(rd(x, 0x00, 4)).toBe(0x01941033);
    expect(rd(x, 0x08, 4)).toBe(0x0c033003);
    expect(caps(x)).toEqual([
      [0x90, 0x11], // reference/q35-xhci-nec: L conf1 r 00:03.0 0x034/1 0x90
      [0xa0, 0x10],
      [0x70, 0x05],
    ]);
    expect(rd(x, 0x72, 2)).toBe(0x0088); // 64-bit, QMASK log2(16) = 4
    expect(rd(x, 0x92, 2)).toBe(0x000f);
    expect(rd(x, 0xa2, 2)).toBe(0x0092); // Root Complex Integrated Endpoint
    expect(sizeBar(x, 0x10)).toBe(0xffffc004);
  });

  it('nec-usb-xhci msi=off drops the MSI capability; intrs= is copied before the command line sets it', () => {
    expect(caps(q35(['-device', 'nec-usb-xhci,id=x,msi=off']).dev('x')).map(([o]) => o)).toEqual([0x90, 0xa0]);
    expect(rd(q35(['-device', 'nec-usb-xhci,id=x,intrs=4']).dev('x'), 0x92, 2)).toBe(0x000f);
  });

  it('usb-ehci 8086:24cd rev 0x10 (ICH4); piix4-usb-uhci 8086:7112', () => {
    const { dev } = q35(['-device', 'usb-ehci,id=e', '-device', 'piix4-usb-uhci,id=u']);
    expect(rd(dev('e'), 0x08, 4)).toBe(0x0c032010);
    expect(rd(dev('e'), 0x00, 4)).toBe(0x24cd8086);
    expect(rd(dev('u'), 0x00, 4)).toBe(0x71128086);
    expect(rd(dev('u'), 0x3d, 1)).toBe(4);
  });
});

describe('audio', () => {
  it('ich9-intel-hda 8086:293e rev 3, class 0403: MSI 0x60 (1 vector, 64-bit), 16 KiB BAR 0, HDCTL 1', () => {
    const { dev, r } = q35(['-audiodev', 'none,id=snd0', '-device', 'ich9-intel-hda,id=sound0', '-device', 'hda-duplex,id=c0,bus=sound0.0,cad=0,audiodev=snd0']);
    const h = dev('sound0');
    expect(rd(h, 0x00, 4)).toBe(0x293e8086);
    expect(rd(h, 0x08, 4)).toBe(0x04030003);
    expect(caps(h)).toEqual([[0x60, 0x05]]);
    expect(rd(h, 0x62, 2)).toBe(0x0080);
    expect(rd(h, 0x40, 1)).toBe(0x01);
    expect(rd(h, 0x3d, 1)).toBe(1);
    expect(sizeBar(h, 0x10)).toBe(0xffffc000);
    expect(r.devices.map((d) => `${d.typeName} ${d.bus}`)).toEqual(['ich9-intel-hda pcie.0', 'hda-duplex sound0.0']);
  });

  it('intel-hda 8086:2668 rev 1; old_msi_addr puts MSI at 0x50, msi=off removes it', () => {
    const { dev } = q35(['-device', 'intel-hda,id=a', '-device', 'intel-hda,id=b,old_msi_addr=on', '-device', 'intel-hda,id=c,msi=off']);
    expect(rd(dev('a'), 0x00, 4)).toBe(0x26688086);
    expect(rd(dev('a'), 0x08, 4)).toBe(0x04030001);
    expect(caps(dev('b'))).toEqual([[0x50, 0x05]]);
    expect(caps(dev('c'))).toEqual([]);
  });

  it('AC97 (alias ac97) 8086:2415 rev 1, class 0401: I/O BARs of 1 KiB and 256 bytes, status 0x0280', () => {
    const { dev } = q35(['-device', 'ac97,id=a']);
    const a = dev('a');
    expect(a.typeName).toBe('AC97');
    expect(rd(a, 0x00, 4)).toBe(0x24158086);
    expect(rd(a, 0x08, 4)).toBe(0x04010001);
    expect(rd(a, 0x06, 2)).toBe(0x0280);
    expect(sizeBar(a, 0x10)).toBe(0xfffffc01);
    expect(sizeBar(a, 0x14)).toBe(0xffffff01);
  });

  it('-audiodev needs an id and a known driver; it is accepted and listed as no effect on PCI (the host side of the sound device)', () => {
    expect(() => parseQemuCommandLine(['-audiodev', 'none'])).toThrow("-audiodev none: Parameter 'id' is missing");
    expect(() => parseQemuCommandLine(['-audiodev', 'foo,id=x'])).toThrow("-audiodev foo,id=x: Parameter 'driver' does not accept value 'foo'");
    expect(parseQemuCommandLine(['-audiodev', 'pa,id=a', '-audiodev', 'spice,id=b']).audiodevs.map((a) => a.driver)).toEqual(['pa', 'spice']);
    expect(parseQemuArgs(['-M', 'q35', '-audiodev', 'none,id=snd0'])).toMatchObject({ notModelled: [], noPciEffect: ['-audiodev none,id=snd0'] });
  });
});

describe('errors, as qemu-system-x86_64 7.2 prints them', () => {
  it('USB devices need a USB bus; HDA codecs an HDA bus', () => {
    expect(fail(['-device', 'usb-tablet'])).toBe("-device usb-tablet: No 'usb-bus' bus found for device 'usb-tablet'");
    expect(fail(['-device', 'hda-duplex'])).toBe("-device hda-duplex: No 'HDA' bus found for device 'hda-duplex'");
  });

  it('companions: masterbus must exist and take companions, firstport in range and free', () => {
    expect(fail(['-device', 'ich9-usb-ehci1,id=usb', '-device', 'ich9-usb-uhci1,masterbus=nope.0'])).toBe(
      "-device ich9-usb-uhci1,masterbus=nope.0: USB bus 'nope.0' not found",
    );
    expect(fail(['-device', 'ich9-usb-ehci1,id=usb', '-device', 'ich9-usb-uhci1,masterbus=usb.0,firstport=5'])).toBe(
      '-device ich9-usb-uhci1,masterbus=usb.0,firstport=5: firstport must be between 0 and 4',
    );
    expect(
      fail(['-device', 'ich9-usb-ehci1,id=usb', '-device', 'ich9-usb-uhci1,masterbus=usb.0,firstport=0', '-device', 'ich9-usb-uhci2,masterbus=usb.0,firstport=1']),
    ).toBe('-device ich9-usb-uhci2,masterbus=usb.0,firstport=1: firstport 1 asks for ports 1-2, but port 1 has a companion assigned already');
    expect(fail(['-device', 'usb-ehci,id=usb', '-device', 'ich9-usb-uhci1,masterbus=usb.0'])).toBe(
      "-device ich9-usb-uhci1,masterbus=usb.0: Can't use USB bus 'usb.0' as masterbus, it doesn't support companion controllers",
    );
  });

  it('ports: a UHCI has two; the last free one gets a hub chained on', () => {
    expect(fail(['-device', 'piix3-usb-uhci', '-device', 'usb-kbd,port=3'])).toBe('-device usb-kbd,port=3: usb port 3 (bus usb-bus.0) not found (in use?)');
    expect(fail(['-device', 'piix3-usb-uhci', '-device', 'usb-kbd', '-device', 'usb-mouse', '-device', 'usb-tablet,port=2'])).toBe(
      '-device usb-tablet,port=2: usb port 2 (bus usb-bus.0) not found (in use?)',
    );
    // the hub on port 2 has ports 2.1-2.8
    expect(q35(['-device', 'piix3-usb-uhci', '-device', 'usb-kbd', '-device', 'usb-mouse', '-device', 'usb-tablet,port=2.8']).r.devices).toHaveLength(4);
  });

  it('realize checks: usb-storage drive, HID usb_version, HDA codec address, audiodev', () => {
    expect(fail(['-device', 'qemu-xhci', '-device', 'usb-storage'])).toBe('-device usb-storage: drive property not set');
    expect(fail(['-device', 'qemu-xhci', '-device', 'usb-kbd,usb_version=3'])).toBe('-device usb-kbd,usb_version=3: Invalid usb version 3 for usb hid device');
    expect(fail(['-device', 'intel-hda', '-device', 'hda-duplex,cad=15'])).toBe('-device hda-duplex,cad=15: HDA audio codec address is full');
    expect(fail(['-device', 'intel-hda', '-device', 'hda-duplex,audiodev=nope'])).toBe(
      "-device hda-duplex,audiodev=nope: Property 'hda-duplex.audiodev' can't find value 'nope'",
    );
  });

  it('usb-storage with a drive plugs, and brings its SCSI bus', () => {
    const { r } = q35(['-blockdev', 'driver=null-co,node-name=stick', '-device', 'nec-usb-xhci,id=xhci', '-device', 'usb-storage,drive=stick,bus=xhci.0,id=st']);
    expect(r.devices.map((d) => `${d.typeName} ${d.bus}`)).toEqual(['nec-usb-xhci pcie.0', 'usb-storage xhci.0']);
  });
});
