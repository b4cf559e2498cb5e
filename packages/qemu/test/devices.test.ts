/**
 * Device models built from the command lines of seed 004 (Kata's and libvirt's q35 topologies, pasted as
 * the thread has them) and checked register by register against the reference recordings: each value below
 * is what QEMU 7.2 returned to Linux 6.1, cited by line of reference/<scenario>.accesses.txt.gz.
 */
import { describe, expect, it } from 'vitest';
import {
  Q35Machine,
  describeTopology,
  parseQemuCommandLine,
  realizeCommandLine,
  plugDeviceOption,
  PciDevice,
  type RealizeResult,
} from '../src/index.js';

const q35 = (nodefaults = true) =>
  new Q35Machine({ nodefaults, ramBytes: 512 << 20, acpiPciHotplugWithBridgeSupport: true });

/** "-device a,b -device c" as the thread prints it: one option and its argument per line */
function argvOf(text: string): string[] {
  return text
    .trim()
    .split('\n')
    .flatMap((l) => {
      const t = l.trim();
      const sp = t.indexOf(' ');
      return [t.slice(0, sp), t.slice(sp + 1)];
    });
}

// seed 004, as pasted (Christophe de Dinechin, kata-dev, 2021-03-03)
const KATA_SEED = `
-device pci-bridge,bus=pcie.0,id=pci-bridge-0,chassis_nr=1,shpc=on,addr=2,romfile=
-device virtio-serial-pci,disable-modern=false,id=serial0,romfile=,max_ports=2
-device virtconsole,chardev=charconsole0,id=console0
-device virtio-scsi-pci,id=scsi0,disable-modern=false,romfile=
-device virtio-rng-pci,rng=rng0,romfile=
-device vhost-vsock-pci,disable-modern=false,vhostfd=3,id=vsock-908331243,guest-cid=908331243,romfile=
-device vhost-user-fs-pci,chardev=char-9ebd3233988c581e,tag=kataShared,romfile=
-device driver=virtio-net-pci,netdev=network-0,mac=9a:be:ea:cc:8f:8f,disable-modern=false,mq=on,vectors=4,romfile=
`;

const LIBVIRT_SEED = `
-device pcie-root-port,port=0x10,chassis=1,id=pci.1,bus=pcie.0,multifunction=on,addr=0x2
-device pcie-root-port,port=0x11,chassis=2,id=pci.2,bus=pcie.0,addr=0x2.0x1
-device pcie-root-port,port=0x12,chassis=3,id=pci.3,bus=pcie.0,addr=0x2.0x2
-device pcie-root-port,port=0x13,chassis=4,id=pci.4,bus=pcie.0,addr=0x2.0x3
-device pcie-root-port,port=0x14,chassis=5,id=pci.5,bus=pcie.0,addr=0x2.0x4
-device pcie-root-port,port=0x15,chassis=6,id=pci.6,bus=pcie.0,addr=0x2.0x5
-device pcie-root-port,port=0x16,chassis=7,id=pci.7,bus=pcie.0,addr=0x2.0x6
-device qemu-xhci,p2=15,p3=15,id=usb,bus=pci.2,addr=0x0
-device virtio-serial-pci,id=virtio-serial0,bus=pci.3,addr=0x0
-device virtio-blk-pci,bus=pci.4,addr=0x0,drive=libvirt-2-format,id=virtio-disk0,bootindex=1
-device virtio-net-pci,netdev=hostnet0,id=net0,mac=52:54:00:cd:ed:dd,bus=pci.1,addr=0x0
-device virtio-rng-pci,rng=objrng0,id=rng0,bus=pci.6,addr=0x0
`;

/** the host side the pasted lines refer to (the thread leaves it out) */
const KATA_BACKENDS = [
  '-chardev', 'socket,id=charconsole0,path=/run/vc/console.sock,server=on,wait=off',
  '-object', 'rng-random,id=rng0,filename=/dev/urandom',
  '-chardev', 'socket,id=char-9ebd3233988c581e,path=/run/vc/vhost-fs.sock',
  '-netdev', 'tap,id=network-0,vhost=on,vhostfds=3,fds=4',
];
const LIBVIRT_BACKENDS = [
  '-blockdev', '{"driver":"file","filename":"/var/lib/libvirt/images/disk.qcow2","node-name":"libvirt-2-format"}',
  '-netdev', 'tap,fd=30,id=hostnet0',
  '-object', 'rng-random,id=objrng0,filename=/dev/urandom',
];

function build(argv: string[]): { m: Q35Machine; r: RealizeResult; dev: (id: string) => PciDevice } {
  const m = q35();
  const r = realizeCommandLine(m, parseQemuCommandLine(['-M', 'q35', '-nodefaults', ...argv]));
  const dev = (key: string) => {
    const d = r.devices.find((x) => x.id === key || x.typeName === key);
    if (!d?.pci) throw new Error(`no ${key}`);
    return d.pci;
  };
  return { m, r, dev };
}

const rd = (d: PciDevice, reg: number, size: 1 | 2 | 4) => d.configRead(reg, size);

/** BAR sizing as Linux does it: write all-ones (the ROM BAR without its enable bit), read back, restore */
function sizeBar(d: PciDevice, reg: number): number {
  const old = d.configRead(reg, 4);
  d.configWrite(reg, reg === 0x30 ? 0xfffff800 : 0xffffffff, 4);
  const v = d.configRead(reg, 4);
  d.configWrite(reg, old, 4);
  return v >>> 0;
}

/** the standard capability chain: [offset, id] */
function caps(d: PciDevice): [number, number][] {
  const out: [number, number][] = [];
  for (let p = rd(d, 0x34, 1); p; p = rd(d, p + 1, 1)) out.push([p, rd(d, p, 1)]);
  return out;
}

describe("Kata's topology (seed 004, q35-kata recording)", () => {
  const { m, r, dev } = build([...KATA_BACKENDS, ...argvOf(KATA_SEED)]);

  it('parses as pasted and places the functions as QEMU does', () => {
    const t = describeTopology(m.rootBus);
    expect(t.functions.map((f) => `${f.bdf} ${f.typeName}`)).toEqual([
      '00:00.0 mch',
      '00:01.0 virtio-serial-pci', // first free slot: bridge took 2 by addr=2
      '00:02.0 pci-bridge',
      '00:03.0 virtio-scsi-pci',
      '00:04.0 virtio-rng-pci',
      '00:05.0 vhost-vsock-pci',
      '00:06.0 vhost-user-fs-pci',
      '00:07.0 virtio-net-pci',
      '00:1f.0 ICH9-LPC',
      '00:1f.2 ich9-ahci',
      '00:1f.3 ICH9 SMB',
    ]);
    expect(t.functions[2]!.secondary).toMatchObject({ name: 'pci-bridge-0', express: false, functions: [] });
    expect(r.devices.map((d) => d.typeName)).toContain('virtconsole');
  });

  it('pci-bridge 1b36:0001: SHPC 0x40, slot-ID 0x48, MSI 0x4c, 256-byte 64-bit SHPC BAR', () => {
    const b = dev('pci-bridge-0');
    expect(rd(b, 0x00, 4)).toBe(0x11b36); // line 897: L conf1 r 00:02.0 0x000/4 0x11b36
    expect(rd(b, 0x06, 2)).toBe(0xb0); // line 1086: 0x006/2 0xb0 (cap list, 66 MHz, fast back-to-back)
    expect(rd(b, 0x4c, 2)).toBe(0x4805); // line 1088: MSI, next 0x48
    expect(rd(b, 0x48, 2)).toBe(0x4004); // line 1089: slot ID, next 0x40
    expect(rd(b, 0x40, 2)).toBe(0x000c); // line 1090: SHPC, end of list
    expect(rd(b, 0x4e, 2)).toBe(0x0180); // line 1141: MSI flags: 64-bit, per-vector mask, 1 vector
    expect(sizeBar(b, 0x10)).toBe(0xffffff04); // line 1107: 0x010/4 0xffffff04
    expect(rd(b, 0x4b, 1)).toBe(1); // chassis_nr=1
    expect(caps(b).map(([, id]) => id)).not.toContain(0x09); // no resource-reserve cap on pci-bridge by default
  });

  it('transitional virtio on pcie.0: legacy IDs, no PCIe/PM caps, vendor caps at 0x40', () => {
    const net = dev('virtio-net-pci');
    expect(rd(net, 0x00, 4)).toBe(0x10001af4); // line 900: L conf1 r 00:05.0 0x000/4 0x10001af4
    expect(rd(net, 0x08, 4)).toBe(0x02000000); // line 1448: class 020000, revision 0
    expect(rd(net, 0x2c, 2)).toBe(0x1af4); // line 1509
    expect(rd(net, 0x2e, 2)).toBe(0x0001); // line 1510: subsystem = virtio ID (net)
    expect(rd(net, 0x34, 1)).toBe(0x98); // line 1441
    expect(rd(net, 0x98, 2)).toBe(0x8411); // line 1442: MSI-X, next 0x84
    expect(rd(net, 0x9a, 2)).toBe(0x0003); // line 1530: vectors=4
    expect(caps(net)).toEqual([
      [0x98, 0x11],
      [0x84, 0x09], // pci-cfg
      [0x70, 0x09], // notify
      [0x60, 0x09], // device
      [0x50, 0x09], // isr
      [0x40, 0x09], // common
    ]);
    expect(sizeBar(net, 0x10)).toBe(0xffffffc1); // line 1467: legacy I/O, 64 bytes (24 + 10 with mq=on)
    expect(sizeBar(net, 0x14)).toBe(0xfffff000); // line 1474: MSI-X BAR, 4 KiB
    expect(sizeBar(net, 0x20)).toBe(0xffffc00c); // line 1495: modern BAR, 16 KiB 64-bit prefetchable
    expect(sizeBar(net, 0x30)).toBe(0); // romfile= : no ROM BAR
    expect(net.configSize).toBe(0x100);
  });

  it('legacy BAR sizes follow each device config: serial 64, scsi 64, rng 32', () => {
    expect(rd(dev('serial0'), 0x00, 4)).toBe(0x10031af4); // line 896
    expect(sizeBar(dev('serial0'), 0x10)).toBe(0xffffffc1); // line 980
    expect(rd(dev('scsi0'), 0x00, 4)).toBe(0x10041af4); // line 898
    expect(sizeBar(dev('scsi0'), 0x10)).toBe(0xffffffc1); // line 1201
    expect(rd(dev('virtio-rng-pci'), 0x00, 4)).toBe(0x10051af4); // line 899
    expect(sizeBar(dev('virtio-rng-pci'), 0x10)).toBe(0xffffffe1); // line 1334
  });

  it('vhost-vsock-pci and vhost-user-fs-pci are modern-only even on pcie.0', () => {
    const vsock = dev('vsock-908331243');
    expect(rd(vsock, 0x00, 4)).toBe(0x10531af4); // 0x1040 + VIRTIO_ID_VSOCK (19)
    expect(rd(vsock, 0x08, 4)).toBe(0x07800001); // revision 1
    expect(sizeBar(vsock, 0x10)).toBe(0); // no legacy I/O BAR
    expect(rd(vsock, rd(vsock, 0x34, 1) + 2, 2)).toBe(2); // MSI-X: 3 vectors
    const fs = dev('vhost-user-fs-pci');
    expect(rd(fs, 0x00, 4)).toBe(0x105a1af4); // 0x1040 + VIRTIO_ID_FS (26)
    expect(rd(fs, 0x0a, 2)).toBe(0x0180);
    expect(rd(fs, rd(fs, 0x34, 1) + 2, 2)).toBe(2); // num-request-queues + 2 = 3 vectors
  });
});

describe("libvirt's topology (seed 004, q35-libvirt recording)", () => {
  const { m, dev } = build([...LIBVIRT_BACKENDS, ...argvOf(LIBVIRT_SEED)]);

  it('seven root ports on 00:02.0-6, each with its secondary bus named by id', () => {
    const t = describeTopology(m.rootBus);
    const rps = t.functions.filter((f) => f.typeName === 'pcie-root-port');
    expect(rps.map((f) => f.bdf)).toEqual(['00:02.0', '00:02.1', '00:02.2', '00:02.3', '00:02.4', '00:02.5', '00:02.6']);
    expect(rps.map((f) => f.secondary?.name)).toEqual(['pci.1', 'pci.2', 'pci.3', 'pci.4', 'pci.5', 'pci.6', 'pci.7']);
    expect(rps.map((f) => f.secondary?.functions.map((x) => x.typeName).join())).toEqual([
      'virtio-net-pci',
      'qemu-xhci',
      'virtio-serial-pci',
      'virtio-blk-pci',
      '',
      'virtio-rng-pci',
      '',
    ]);
  });

  it('pcie-root-port 1b36:000c: SSVID 0x40, MSI-X 0x48, PCIe v2 root port 0x54, AER 0x100, ACS 0x148', () => {
    const rp = dev('pci.1');
    expect(rd(rp, 0x00, 4)).toBe(0x000c1b36); // line 1998
    expect(rd(rp, 0x0c, 4)).toBe(0x00810000); // line 12702: header 0x81 (multifunction=on)
    expect(rd(dev('pci.5'), 0x0c, 4)).toBe(0x00010000); // line 13034: 00:02.4 is not
    expect(rd(rp, 0x34, 1)).toBe(0x54); // line 2059
    expect(rd(rp, 0x54, 2)).toBe(0x4810); // line 2060
    expect(rd(rp, 0x56, 2)).toBe(0x0142); // line 2061: v2, root port, slot implemented
    expect(rd(rp, 0x48, 2)).toBe(0x4011); // line 2104: MSI-X, next 0x40
    expect(rd(rp, 0x4a, 2)).toBe(0x0000); // line 2129: one vector
    expect(rd(rp, 0x40, 2)).toBe(0x000d); // line 2105: subsystem vendor ID cap
    expect(rd(rp, 0x44, 2)).toBe(0x1b36); // line 2106
    expect(sizeBar(rp, 0x10)).toBe(0xfffff000); // line 2077: MSI-X BAR 4 KiB
    expect(rd(rp, 0x60, 4)).toBe(0x10300604); // line 3342: port 0x10, x32, 16 GT/s, DLLLARC, LBNC, L0s
    expect(rd(rp, 0x68, 4)).toBe(0x0002007b); // line 2100: native hot-plug (x-keep-pci-slot-hpc on in 7.2)
    expect(rd(rp, 0x78, 4)).toBe(0x00300020); // line 2112: DEVCAP2 with ARI forwarding
    expect(rd(rp, 0x84, 2)).toBe(0x0004); // line 12720: LNKCTL2 target 16 GT/s
    expect(rd(rp, 0x100, 4)).toBe(0x14820001); // line 2064: AER v2, next 0x148
    expect(rd(rp, 0x148, 4)).toBe(0x0001000d); // line 2111: ACS, end
    expect(caps(rp).map(([, id]) => id)).toEqual([0x10, 0x11, 0x0d]); // no resource-reserve cap: native hot-plug
  });

  it('link status follows the device behind the port; empty slots report the port’s own link', () => {
    expect(rd(dev('pci.1'), 0x66, 2)).toBe(0x0011); // line 3343: x1 2.5 GT/s from virtio-net
    expect(rd(dev('pci.5'), 0x60, 4)).toBe(0x14300604); // line 4244
    expect(rd(dev('pci.5'), 0x66, 2)).toBe(0x0204); // line 4245: empty, x32 16 GT/s
  });

  it('slot control after reset: powered with indicator on when populated, off when empty', () => {
    expect(rd(dev('pci.1'), 0x6c, 2)).toBe(0x01c0); // line 12717
    expect(rd(dev('pci.5'), 0x6c, 2)).toBe(0x07c0); // line 13049
  });

  it('modern virtio behind a root port: 1af4:104x rev 1, PCIe endpoint + PM caps, 4 KiB config', () => {
    const net = dev('net0');
    expect(rd(net, 0x00, 4)).toBe(0x10411af4); // line 3344
    expect(rd(net, 0x2e, 2)).toBe(0x1100); // line 3416: QEMU's default subsystem
    expect(caps(net)).toEqual([
      [0xdc, 0x11],
      [0xc8, 0x09],
      [0xb4, 0x09],
      [0xa4, 0x09],
      [0x94, 0x09],
      [0x84, 0x09],
      [0x7c, 0x01],
      [0x40, 0x10],
    ]);
    expect(rd(net, 0x42, 2)).toBe(0x0002); // PCIe v2 endpoint (type 0)
    expect(rd(net, 0x44, 4)).toBe(0x10008000); // RBER + FLR
    expect(rd(net, 0x100, 4)).toBe(0); // line 3360: no extended capability
    expect(sizeBar(net, 0x30)).toBe(0xfffc0000); // line 3412: efi-virtio.rom, 256 KiB ROM BAR
    expect(sizeBar(net, 0x10)).toBe(0); // no legacy I/O BAR
    expect(net.configSize).toBe(0x1000);
    expect(rd(dev('virtio-serial0'), 0x00, 4)).toBe(0x10431af4); // line 3770
    expect(rd(dev('virtio-disk0'), 0x00, 4)).toBe(0x10421af4); // line 4008
    expect(rd(dev('virtio-disk0'), 0x34, 1)).toBe(0xdc); // line 4012
    expect(rd(dev('rng0'), 0x00, 4)).toBe(0x10441af4); // line 4278
  });

  it('qemu-xhci 1b36:000d: MSI-X 0x90 (16 vectors), PCIe endpoint 0xa0, 16 KiB 64-bit BAR', () => {
    const x = dev('usb');
    expect(rd(x, 0x00, 4)).toBe(0x000d1b36); // line 3582
    expect(rd(x, 0x08, 4)).toBe(0x0c033001); // line 3591
    expect(rd(x, 0x34, 1)).toBe(0x90); // line 3586
    expect(rd(x, 0x90, 2)).toBe(0xa011); // line 3587
    expect(rd(x, 0x92, 2)).toBe(0x000f); // line 3670
    expect(rd(x, 0xa0, 2)).toBe(0x0010); // line 3588
    expect(rd(x, 0xa2, 2)).toBe(0x0002); // line 3589: endpoint behind the port
    expect(sizeBar(x, 0x10)).toBe(0xffffc004); // line 3605
  });
});

describe('device models beyond the recordings', () => {
  it('virtio on pcie.0 with disable-legacy=on is modern-only but conventional', () => {
    const { dev } = build(['-device', 'virtio-rng-pci,disable-legacy=on,id=r']);
    expect(rd(dev('r'), 0x00, 4)).toBe(0x10441af4);
    expect(caps(dev('r')).map(([o]) => o)).toEqual([0x98, 0x84, 0x70, 0x60, 0x50, 0x40]);
    expect(dev('r').configSize).toBe(0x100);
  });

  it('virtio-net on a conventional bus behind pci-bridge is transitional; legacy size with defaults is 32', () => {
    const { dev } = build(['-device', 'pci-bridge,id=b,chassis_nr=1', '-device', 'virtio-net-pci,bus=b,addr=1,id=n']);
    expect(rd(dev('n'), 0x00, 4)).toBe(0x10001af4);
    expect(sizeBar(dev('n'), 0x10)).toBe(0xffffffe1); // 24 + 8 (mac, status) → 32, as q35-multifunction shows
  });

  it('virtio-blk legacy BAR: 24 + 57 config bytes → 128; virtio-balloon has no MSI-X', () => {
    const { dev } = build([
      '-blockdev', 'driver=null-co,node-name=d',
      '-device', 'virtio-blk-pci,drive=d,id=b',
      '-device', 'virtio-balloon-pci,id=bal',
    ]);
    expect(sizeBar(dev('b'), 0x10)).toBe(0xffffff81);
    expect(rd(dev('bal'), 0x00, 4)).toBe(0x10021af4);
    expect(caps(dev('bal')).map(([, id]) => id)).not.toContain(0x11);
    expect(sizeBar(dev('bal'), 0x10)).toBe(0xffffffc1); // 20 + 16 (page-poison) → 64
    expect(sizeBar(dev('bal'), 0x14)).toBe(0);
  });

  it('virtio aer=on ats=on behind a root port: AER at 0x100, ATS at 0x148', () => {
    const { dev } = build([
      '-device', 'pcie-root-port,id=rp,chassis=1',
      '-device', 'virtio-rng-pci,bus=rp,aer=on,ats=on,id=r',
    ]);
    expect(rd(dev('r'), 0x100, 4)).toBe(0x14820001);
    expect(rd(dev('r'), 0x148, 4)).toBe(0x0001000f);
    expect(rd(dev('r'), 0x14c, 2)).toBe(0x0020);
  });

  it('pci-bridge shpc=off: no SHPC, no MSI, no BAR; reserve properties add the Red Hat vendor cap', () => {
    const { dev } = build(['-device', 'pci-bridge,id=b,chassis_nr=3,shpc=off,bus-reserve=2,io-reserve=4k']);
    const b = dev('b');
    expect(caps(b)).toEqual([
      [0x44, 0x09],
      [0x40, 0x04],
    ]);
    expect(rd(b, 0x46, 1)).toBe(0x20); // len 32
    expect(rd(b, 0x47, 1)).toBe(0x01); // REDHAT_PCI_CAP_RESOURCE_RESERVE
    expect(rd(b, 0x48, 4)).toBe(2); // bus_res
    expect(rd(b, 0x4c, 4)).toBe(0x1000); // io, low dword
    expect(rd(b, 0x54, 4)).toBe(0xffffffff); // mem: unset
    expect(sizeBar(b, 0x10)).toBe(0);
    expect(rd(b, 0x3d, 1)).toBe(0);
  });

  it('pcie-root-port without native hot-plug reserves 4 KiB of I/O through the vendor capability', () => {
    const { dev } = build(['-device', 'pcie-root-port,id=rp,chassis=1,x-native-hotplug=off']);
    const rp = dev('rp');
    expect(rd(rp, 0x68, 4) & 0x60).toBe(0); // no HPS/HPC
    expect(rd(rp, 0x34, 1)).toBe(0x90);
    expect(rd(rp, 0x90, 4)).toBe(0x01205409); // vendor cap, next 0x54, len 32, type 1
    expect(rd(rp, 0x98, 4)).toBe(0x1000);
  });

  it('q35 with x-keep-pci-slot-hpc=off: ACPI hot-plug takes PCIe slots, as in pc-q35-6.1', () => {
    const m = q35();
    const r = realizeCommandLine(
      m,
      parseQemuCommandLine(['-global', 'ICH9-LPC.x-keep-pci-slot-hpc=off', '-device', 'pcie-root-port,id=rp,chassis=1']),
    );
    expect(r.devices[0]!.pci!.configRead(0x68, 4) & 0x60).toBe(0);
  });

  it('pcie-root-port io-reserve=0 drops I/O forwarding from the writable bits', () => {
    const { dev } = build(['-device', 'pcie-root-port,id=rp,chassis=1,io-reserve=0']);
    const rp = dev('rp');
    rp.configWrite(0x1c, 0xffff, 2);
    expect(rd(rp, 0x1c, 1)).toBe(0xf0); // still the reset "disabled" base
    rp.configWrite(0x04, 0x7, 2);
    expect(rd(rp, 0x04, 2)).toBe(0x6);
  });

  it('a slot control write completes at once (SLTSTA.CC) and EIC toggles the interlock', () => {
    const { dev } = build(['-device', 'pcie-root-port,id=rp,chassis=1']);
    const rp = dev('rp');
    rp.configWrite(0x6c, 0x01c0, 2);
    expect(rd(rp, 0x6e, 2) & 0x10).toBe(0x10);
    rp.configWrite(0x6e, 0x10, 2); // W1C
    expect(rd(rp, 0x6e, 2) & 0x10).toBe(0);
    rp.configWrite(0x6c, 0x09c0, 2); // EIC
    expect(rd(rp, 0x6e, 2) & 0x80).toBe(0x80);
    expect(rd(rp, 0x6c, 2) & 0x800).toBe(0);
  });

  it('SHPC registers through the capability window: 31 slots, slot 1 occupied after reset', () => {
    const { dev } = build(['-device', 'pci-bridge,id=b,chassis_nr=1', '-device', 'virtio-rng-pci,bus=b,addr=1']);
    const b = dev('b');
    const sel = (dword: number) => {
      b.configWrite(0x42, dword, 1);
      return rd(b, 0x44, 4);
    };
    expect(sel(0x0c / 4) & 0xff).toBe(31); // SHPC_NSLOTS
    expect(sel(0x24 / 4) & 0xffff).toBe(0x0006); // slot 1: enabled, power LED on, present, MRL closed
    expect(sel(0x28 / 4) & 0xffff).toBe(0x0d0f); // slot 2: disabled, LED off, MRL open, empty
    expect(sel(0x20 / 4)).toBe(0x0f); // SERR/INT all masked
  });

  it('pcie-root-port behind pci-bridge is accepted, as QEMU 7.2 does, but has no extended config', () => {
    const m = q35();
    realizeCommandLine(
      m,
      parseQemuCommandLine(['-device', 'pci-bridge,id=b,chassis_nr=1,addr=3', '-device', 'pcie-root-port,id=rp,chassis=2,bus=b,addr=1']),
    );
    // let the firmware number the bridge: secondary 1
    m.pioWrite(0xcf8, 4, 0x80001818);
    m.pioWrite(0xcfc, 4, 0x00010100);
    m.pioWrite(0xcf8, 4, 0x80000060);
    m.pioWrite(0xcfc, 4, 0xb0000001);
    expect(m.mmioRead(0xb0000000 + ((1 << 20) | (8 << 12)), 4)).toBe(0x000c1b36);
    expect(m.mmioRead(0xb0000000 + ((1 << 20) | (8 << 12) | 0x100), 4) >>> 0).toBe(0xffffffff);
  });

  it('e1000 8086:100e rev 3: 128 KiB MMIO, 64-byte I/O, efi-e1000.rom, no capabilities', () => {
    const { dev } = build(['-device', 'e1000,id=e']);
    const e = dev('e');
    expect(rd(e, 0x00, 4)).toBe(0x100e8086);
    expect(rd(e, 0x08, 4)).toBe(0x02000003);
    expect(rd(e, 0x06, 2) & 0x10).toBe(0);
    expect(sizeBar(e, 0x10)).toBe(0xfffe0000);
    expect(sizeBar(e, 0x14)).toBe(0xffffffc1);
    expect(sizeBar(e, 0x30)).toBe(0xfffc0000);
    expect(rd(e, 0x0c, 1)).toBe(0); // cache line 0x10 at realize, 0 after the system reset
  });

  it('qemu-xhci on pcie.0 is a Root Complex Integrated Endpoint', () => {
    const { dev } = build(['-device', 'qemu-xhci,id=x']);
    expect(rd(dev('x'), 0xa2, 2)).toBe(0x0092);
  });

  it('pcie-pci-bridge 1b36:000e: SHPC 0x40, PCIe v2 PCI bridge 0x48, PM 0x84, MSI 0x8c, AER 0x100', () => {
    const { dev } = build(['-device', 'pcie-root-port,id=rp,chassis=1', '-device', 'pcie-pci-bridge,id=ppb,bus=rp']);
    const b = dev('ppb');
    expect(rd(b, 0x00, 4)).toBe(0x000e1b36);
    expect(caps(b)).toEqual([
      [0x8c, 0x05],
      [0x84, 0x01],
      [0x48, 0x10],
      [0x40, 0x0c],
    ]);
    expect(rd(b, 0x4a, 2)).toBe(0x0072);
    expect(rd(b, 0x100, 4)).toBe(0x00020001);
  });

  it('the default NIC takes the first free slot at board init, before any -device', () => {
    const m = q35(false);
    const r = realizeCommandLine(m, parseQemuCommandLine(['-M', 'q35', '-device', 'virtio-rng-pci']));
    expect(r.defaultNic).toBe(true);
    const t = describeTopology(m.rootBus);
    expect(t.functions.map((f) => `${f.bdf} ${f.typeName}`).slice(0, 4)).toEqual([
      '00:00.0 mch',
      '00:01.0 VGA',
      '00:02.0 e1000e',
      '00:03.0 virtio-rng-pci',
    ]);
  });

  it('-netdev disables the default NIC (vl.c default_net)', () => {
    expect(parseQemuCommandLine(['-netdev', 'user,id=n']).defaultNic).toBe(false);
    expect(parseQemuCommandLine(['-device', 'e1000']).defaultNic).toBe(true);
    expect(parseQemuCommandLine(['-device', 'VGA']).defaultVga).toBe(false);
  });

  it('-drive if=virtio adds a virtio-blk-pci after the -device functions', () => {
    const m = q35();
    const r = realizeCommandLine(
      m,
      parseQemuCommandLine(['-drive', 'file=disk.img,if=virtio,id=d0', '-device', 'virtio-rng-pci']),
    );
    expect(r.devices.map((d) => `${d.typeName}@${d.pci?.devfn.toString(16)}`)).toEqual([
      'virtio-rng-pci@8',
      'virtio-blk-pci@10',
    ]);
  });

  it('plugDevice on a built machine: -device after realize, with the same backends', () => {
    const m = q35();
    realizeCommandLine(m, parseQemuCommandLine(['-netdev', 'user,id=n0', '-device', 'pcie-root-port,id=rp,chassis=1']));
    const rec = plugDeviceOption(m, 'virtio-net-pci,netdev=n0,bus=rp');
    expect(rec.bus).toBe('rp');
    expect(rec.pci!.configRead(0, 4)).toBe(0x10411af4);
    expect(m.rootBus.children[0]!.devices[0]).toBe(rec.pci);
  });

  it('device_add into a root port: hot-plugged, native hot-plug capability on a hot-plugged port', () => {
    const m = q35();
    realizeCommandLine(m, parseQemuCommandLine(['-device', 'pcie-root-port,id=rp,chassis=1']));
    const rp2 = plugDeviceOption(m, 'pcie-root-port,id=rp2,chassis=2', { hotplugged: true });
    expect(rp2.pci!.hotplugged).toBe(true);
    expect(rp2.pci!.configRead(0x68, 4) & 0x40).toBe(0x40);
  });
});

describe('config-space storage', () => {
  it("each function's config space and masks are its own, zeroed past what its model sets, across slabs", () => {
    // 40 Express functions (16 KiB of storage each) span three of the shared 256 KiB slabs
    const devs = Array.from({ length: 40 }, (_, i) => new PciDevice({ typeName: `t${i}`, vendorId: 0x1b36, deviceId: i, classId: 0x0200, isExpress: true }));
    for (const d of devs) {
      expect(d.configSize).toBe(4096);
      for (const a of [d.config, d.wmask, d.w1cmask, d.cmask]) expect(a.length).toBe(4096);
      expect(d.config.subarray(0x40).every((b) => b === 0)).toBe(true);
      expect(d.cmask.subarray(0x40).every((b) => b === 0)).toBe(true);
    }
    devs.forEach((d, i) => {
      d.config.fill(i + 1, 0x100);
      d.cmask.fill(0x80 | i, 0x100);
    });
    devs.forEach((d, i) => {
      expect(d.getWord(0x02)).toBe(i); // its own device ID, untouched by its neighbours' writes
      expect(d.config.subarray(0x100).every((b) => b === i + 1)).toBe(true);
      expect(d.cmask.subarray(0x100).every((b) => b === (0x80 | i))).toBe(true);
      expect(d.wmask.subarray(0x100).every((b) => b === 0xff)).toBe(true); // pci_init_wmask(): writable past the header
    });
  });
});

