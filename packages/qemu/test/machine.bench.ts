import { bench, describe } from 'vitest';
import { Q35Machine, Seabios, realizeArgv, type FirmwareCpu } from '../src/index.js';

/**
 * QEMU's side alone: the machine answering the guest's accesses directly (no KVM model in between), so
 * what is measured is the device models, the host bridge and SeaBIOS's PCI set-up.
 */
const RAM = 512 << 20;

function cpuOn(m: Q35Machine): FirmwareCpu {
  return {
    inb: (p) => m.pioRead(p, 1) & 0xff,
    inw: (p) => m.pioRead(p, 2) & 0xffff,
    inl: (p) => m.pioRead(p, 4) >>> 0,
    outb: (p, v) => m.pioWrite(p, 1, v),
    outw: (p, v) => m.pioWrite(p, 2, v),
    outl: (p, v) => m.pioWrite(p, 4, v),
    readb: (a) => m.mmioRead(a, 1) & 0xff,
    readw: (a) => m.mmioRead(a, 2) & 0xffff,
    readl: (a) => m.mmioRead(a, 4) >>> 0,
    writeb: (a, v) => m.mmioWrite(a, 1, v),
    writew: (a, v) => m.mmioWrite(a, 2, v),
    writel: (a, v) => m.mmioWrite(a, 4, v),
  };
}

const q35 = (): Q35Machine => new Q35Machine({ nodefaults: false, ramBytes: RAM, acpiPciHotplugWithBridgeSupport: true });

describe('q35 machine', () => {
  bench('construct -M q35 and realize its -device list (a root port and a NIC behind it)', () => {
    const m = q35();
    realizeArgv(m, ['-M', 'q35', '-device', 'pcie-root-port,id=rp1,chassis=1', '-device', 'virtio-net-pci,bus=rp1']);
  });

  bench("SeaBIOS's PCI set-up of a default q35 (firmware phase)", () => {
    const m = q35();
    realizeArgv(m, ['-M', 'q35']);
    new Seabios(cpuOn(m), { machine: 'q35', ramBytes: RAM }).run();
  });
});

describe("QEMU's conf1 port dispatch", () => {
  const m = q35();
  realizeArgv(m, ['-M', 'q35']);
  bench('vendor-ID read of 32 absent slots of bus 5: pioWrite 0xcf8 + pioRead 0xcfc each', () => {
    for (let dev = 0; dev < 32; dev++) {
      m.pioWrite(0xcf8, 4, 0x8005_0000 | (dev << 11));
      m.pioRead(0xcfc, 2);
    }
  });
  bench('vendor-ID read of the 6 functions of bus 0 (present: the device model answers)', () => {
    for (const devfn of [0x00, 0x08, 0x10, 0xf8, 0xfa, 0xfb]) {
      m.pioWrite(0xcf8, 4, 0x8000_0000 | (devfn << 8));
      m.pioRead(0xcfc, 2);
    }
  });
});
