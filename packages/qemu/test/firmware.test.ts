/**
 * SeaBIOS's firmware phase, access for access, against the real-QEMU reference boots (the `F` lines of
 * reference/<scenario>.accesses.txt.gz): mechanism, direction, bus:dev.fn, register/size and
 * value, in order.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  PcMachine,
  PciDevice,
  Q35Machine,
  Seabios,
  realizeArgv,
  type SeabiosPlatform,
} from '../src/index.js';
import { FIXTURES, cpuOn, firmwareAccessLine, referenceFirmware, type VmOpsLike } from './helpers.js';

const RAM = 512 << 20; // the recorder's -m 512


/** Run SeaBIOS on `m` and list its config accesses in the reference's line format (values masked to size). */
function firmwareAccesses(m: VmOpsLike, platform: SeabiosPlatform): string[] {
  const out: string[] = [];
  m.host.observer = (mech, write, bus, devfn, reg, size, value) => {
    out.push(firmwareAccessLine(mech, write, bus, devfn, reg, size, value));
  };
  new Seabios(cpuOn(m), platform).run();
  m.host.observer = null;
  return out;
}

/**
 * The scenario's machine as the recorder ran it: the board from `-M`, then the command line realized the way
 * QEMU does (default NIC, every `-device`, system reset).
 */
function machineFor(scenario: string): { m: Q35Machine | PcMachine; platform: SeabiosPlatform } {
  const ref = JSON.parse(readFileSync(new URL(`${scenario}.json`, FIXTURES), 'utf8')) as { qemuArgs: string[] };
  const args = ref.qemuArgs;
  const nodefaults = args.includes('-nodefaults');
  const isPc = args[args.indexOf('-M') + 1] === 'pc';
  const m = isPc
    ? new PcMachine({ nodefaults, ramBytes: RAM })
    : new Q35Machine({ nodefaults, ramBytes: RAM, acpiPciHotplugWithBridgeSupport: true });
  realizeArgv(m, args);
  return { m, platform: { machine: isPc ? 'pc' : 'q35', ramBytes: RAM } };
}

/** Every reference boot with a firmware phase (microvm-pcie boots without firmware). */
const SCENARIOS = [
  'q35-default',
  'q35-nodefaults',
  'q35-intel', // the CPU vendor changes nothing SeaBIOS does
  'q35-lastbus0', // pci=lastbus=0 is a kernel option
  'q35-nommconf', // pci=nommconf likewise
  'q35-kata',
  'q35-libvirt',
  'q35-multifunction',
  'q35-nested-bridges',
  'q35-many-rootports',
  'pc-default',
  'pc-nodefaults',
];

describe('SeaBIOS firmware phase = the reference, access for access', () => {
  for (const scenario of SCENARIOS) {
    it(scenario, () => {
      const { m, platform } = machineFor(scenario);
      const sim = firmwareAccesses(m, platform);
      const ref = referenceFirmware(scenario);
      // first divergence with context reads better than a 400-line diff
      let i = 0;
      while (i < sim.length && i < ref.length && sim[i] === ref[i]) i++;
      expect({ index: i + 1, sim: sim[i], ref: ref[i] }).toEqual({ index: i + 1, sim: ref[i], ref: ref[i] });
      expect(sim.length).toBe(ref.length);
    });
  }
});

describe('SeaBIOS POST steps', () => {
  it('PAM: make_bios_writable() opens 0xc0000-0xfffff, make_bios_readonly() locks up to 0xe7fff', () => {
    const { m, platform } = machineFor('q35-nodefaults');
    const sim = firmwareAccesses(m, platform);
    if (!(m instanceof Q35Machine)) throw new Error('q35 expected');
    expect(sim.slice(0, 7)).toEqual([
      'F conf1 r 00:00.0 0x000/2 0x8086',
      'F conf1 r 00:00.0 0x000/4 0x29c08086',
      'F conf1 r 00:00.0 0x090/1 0x0',
      'F conf1 r 00:00.0 0x090/4 0x0',
      'F conf1 r 00:00.0 0x094/4 0x0',
      'F conf1 w 00:00.0 0x090/4 0x33333330',
      'F conf1 w 00:00.0 0x094/4 0x333333',
    ]);
    expect(sim.slice(-2)).toEqual(['F mmcfg w 00:00.0 0x090/4 0x11111110', 'F mmcfg w 00:00.0 0x094/4 0x331111']);
    expect(m.mch.getLong(0x90)).toBe(0x11111110);
  });

  it('q35 interrupt lines: mch_pci_slot_get_irq() gives 00:02.0 IRQ 11, 00:1f.x IRQ 10', () => {
    const { m, platform } = machineFor('q35-default');
    firmwareAccesses(m, platform);
    const line = (devfn: number) => m.rootBus.devices[devfn]!.config[0x3c];
    expect(line(2 << 3)).toBe(0x0b);
    expect(line((0x1f << 3) | 2)).toBe(0x0a);
    expect(line((0x1f << 3) | 3)).toBe(0x0a);
  });

  it('the AHCI driver leaves bus mastering on (COMMAND 0x107), the others IO|MEM|SERR (0x103)', () => {
    const { m, platform } = machineFor('q35-default');
    firmwareAccesses(m, platform);
    const cmd = (devfn: number) => m.rootBus.devices[devfn]!.getWord(0x04);
    expect(cmd((0x1f << 3) | 2)).toBe(0x107);
    expect(cmd(2 << 3)).toBe(0x103);
    expect(cmd(1 << 3)).toBe(0x103);
  });

  it('smm=off: no SMRAM window is opened (ICH9 SMI_EN resets with APMC_EN)', () => {
    const { m } = machineFor('q35-nodefaults');
    const sim = firmwareAccesses(m, { machine: 'q35', ramBytes: RAM, smm: false });
    expect(sim.some((l) => l.includes('00:00.0 0x09d/1'))).toBe(false);
    expect(sim).toContain('F mmcfg r 00:1f.0 0x002/2 0x2918'); // smm_setup() still reads the LPC's device ID
  });

  it('a VGA ROM that is not SeaVGABIOS runs no conf1 reads of its own', () => {
    const { m } = machineFor('q35-default');
    const romImage: SeabiosPlatform['romImage'] = (d) => ({ kind: 'other', vendor: d.vendor, device: d.device });
    const sim = firmwareAccesses(m, { machine: 'q35', ramBytes: RAM, romImage });
    // the bus scans and pci_probe_devices() only, none of vga_post()'s
    expect(sim.filter((l) => l.startsWith('F conf1 r 00:01.0'))).toHaveLength(11);
  });

  it('a 64-bit BAR that does not fit below the IOAPIC goes above 4 GiB (pci_bios_map_devices spill)', () => {
    const { m, platform } = machineFor('q35-nodefaults');
    const big = new PciDevice({ typeName: 'big', vendorId: 0x1234, deviceId: 0x5678, classId: 0x0b40 });
    big.realize = () => big.registerBar(0, 0x0c, 2 ** 31); // 64-bit prefetchable, 2 GiB
    m.rootBus.plug(big, 3 << 3);
    const sim = firmwareAccesses(m, platform);
    // pci_region_map_one_entry(): low then high dword of 4 GiB (+ RAM above 4 GiB: none), aligned to the
    // BAR and to 1 GiB; the 32-bit window keeps the AHCI BAR below the IOAPIC
    const barWrites = sim.filter((l) => /^F mmcfg w 00:03\.0 0x01[04]\/4/.test(l));
    expect(barWrites.slice(-2)).toEqual(['F mmcfg w 00:03.0 0x010/4 0x0', 'F mmcfg w 00:03.0 0x014/4 0x1']);
    expect(big.getLong(0x10)).toBe(0x0c);
    expect(big.getLong(0x14)).toBe(1);
    expect(sim).toContain('F mmcfg w 00:1f.2 0x024/4 0xfebff000');
  });
});
