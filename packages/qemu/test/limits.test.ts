/**
 * Out-of-range PCI addresses and property values given through the library (issue 17): refused with QEMU's
 * words, never wrapped into another slot or config byte.
 */
import { describe, expect, it } from 'vitest';
import { E1000, FirmwareHang, PCI_DEVFN, PcMachine, PciBridgeDev, PciBus, PcieRootPort, QemuError, Q35Machine, Seabios, realizeArgv } from '../src/index.js';
import { cpuOn } from './helpers.js';
import { PcieChassisRegistry } from '../src/hw/pci/pcie-port.js';
import { NO_RES_RESERVE } from '../src/hw/pci-bridge/pci-bridge.js';

const q35 = () => new Q35Machine({ nodefaults: true, ramBytes: 512 << 20, acpiPciHotplugWithBridgeSupport: true });

const rootPortCfg = {
  port: 0,
  aerLogMax: 8,
  chassis: 1,
  slot: 0,
  hotplug: true,
  nativeHotplug: true,
  powerControllerPresent: true,
  disableAcs: false,
  reserve: NO_RES_RESERVE,
  speed: 4,
  width: 32,
  lnkstaDllla: true,
};

describe('PCI address limits', () => {
  it('PCI_DEVFN refuses slot 40 instead of naming 08.0, and function 8', () => {
    expect(() => PCI_DEVFN(40, 0)).toThrow(new RangeError('PCI_DEVFN(40, 0): a PCI slot is 0..31 and a function 0..7'));
    expect(() => PCI_DEVFN(3, 8)).toThrow(RangeError);
    expect(() => PCI_DEVFN(-1, 0)).toThrow(RangeError);
    expect(() => PCI_DEVFN(2.5, 0)).toThrow(RangeError);
    expect(PCI_DEVFN(31, 7)).toBe(0xff);
  });

  it('PciBus.plug() refuses a devfn outside -1..255 as QEMU refuses addr=320, and nothing lands at 08.0', () => {
    const m = q35();
    for (const devfn of [40 << 3, 256, -2, 8.5, Number.NaN]) {
      expect(() => m.rootBus.plug(new E1000('e1000', 0x100e), devfn)).toThrow(
        new QemuError('BAD_PROPERTY_VALUE', "Parameter 'addr' expects a value between -1 and 255"),
      );
    }
    expect(m.rootBus.devices[PCI_DEVFN(8, 0)]).toBeNull();
    expect(m.rootBus.devices.length).toBe(256);
  });

  it('a root bus number is 0..255', () => {
    expect(() => new PciBus('pcie.1', true, null, 256)).toThrow(RangeError);
    expect(new PciBus('pcie.1', true, null, 255).number).toBe(255);
  });

  it('chassis, chassis_nr and slot keep their property widths instead of wrapping in config space', () => {
    const reg = new PcieChassisRegistry();
    expect(() => new PcieRootPort('pcie-root-port', { ...rootPortCfg, chassis: 300 }, reg)).toThrow(
      new QemuError('BAD_PROPERTY_VALUE', "Parameter 'chassis' expects uint8_t"),
    );
    expect(() => new PcieRootPort('pcie-root-port', { ...rootPortCfg, slot: 0x10000 }, reg)).toThrow(
      new QemuError('BAD_PROPERTY_VALUE', "Parameter 'slot' expects uint16_t"),
    );
    expect(() => new PcieRootPort('pcie-root-port', { ...rootPortCfg, port: 256 }, reg)).toThrow(
      new QemuError('BAD_PROPERTY_VALUE', "Parameter 'port' expects uint8_t"),
    );
    const reserve = NO_RES_RESERVE;
    expect(() => new PciBridgeDev('pci-bridge', 1, { chassisNr: 256, msi: 'auto', shpc: true, reserve })).toThrow(
      new QemuError('BAD_PROPERTY_VALUE', "Parameter 'chassis_nr' expects uint8_t"),
    );
  });
});

describe('firmware that never finishes', () => {
  it("SeaBIOS's panic() is a FirmwareHang carrying what it prints on its debug console", () => {
    const m = new PcMachine({ nodefaults: false, ramBytes: 512 << 20 });
    const args = ['-M', 'pc'];
    for (let i = 1; i <= 9; i++) args.push('-device', `pci-bridge,id=b${i},chassis_nr=${i}`, '-device', `e1000,bus=b${i}`);
    realizeArgv(m, args);
    let err: unknown = null;
    try {
      new Seabios(cpuOn(m), { machine: 'pc', ramBytes: 512 << 20 }).run();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(FirmwareHang);
    expect(err).toBeInstanceOf(QemuError);
    expect((err as FirmwareHang).code).toBe('FIRMWARE_HANG');
    expect((err as FirmwareHang).firmware).toBe('SeaBIOS');
    expect((err as FirmwareHang).firmwareMessage).toBe('PCI: out of I/O address space');
  });
});
