import { bench, describe } from 'vitest';
import { Q35Machine, Seabios, realizeArgv } from '../src/index.js';
import { cpuOn } from './helpers.js';

/**
 * QEMU's side alone: the machine answering the guest's accesses directly (no KVM model in between), so
 * what is measured is the device models, the host bridge and SeaBIOS's PCI set-up.
 */
const RAM = 512 << 20;

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
