/**
 * qboot's firmware phase (src/firmware/qboot.ts), two ways:
 *
 * 1. Counts derived by reading qboot (QEMU 7.2's roms/qboot: hwsetup.c setup_hw()/setup_mmconfig(), pci.c
 *    setup_pci()/do_setup_pci_bus()/pci_foreach()/do_setup_pci()/do_setup_pci_irq()), function by function.
 * 2. Access for access against real QEMU 7.2.22 booting Debian's qboot.rom (`-bios /usr/share/qemu/qboot.rom`,
 *    recorded by apps/boot's recorder into reference/{q35-qboot,q35-qboot-rootport,pc-qboot,
 *    q35-qboot-bridges}.*): mechanism, direction, bus:dev.fn, register/size and value, in order.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  MicrovmMachine,
  PcMachine,
  Q35Machine,
  Qboot,
  qbootE820,
  qbootExtractE820,
  realizeArgv,
  type E820Entry,
  type FirmwareCpu,
  type QbootResult,
} from '../src/index.js';
import type { PciHost } from '../src/hw/pci/host.js';
import { FIXTURES, firmwareAccessLine, referenceFirmware } from './helpers.js';

const RAM = 512 << 20; // the recorder's -m 512
const QBOOT = ['-bios', '/usr/share/qemu/qboot.rom'];

interface VmOpsLike {
  host: PciHost | null;
  pioRead(port: number, size: number): number;
  pioWrite(port: number, size: number, value: number): void;
  mmioRead(gpa: number, size: number): number;
  mmioWrite(gpa: number, size: number, value: number): void;
}

interface PortTally {
  cf8Writes: number;
  dataAccesses: number;
  other: number;
  mmio: number;
}

/** The vCPU as the firmware sees it, straight onto the machine's VmOps (no KVM in between), counting what it does. */
function cpuOn(m: VmOpsLike, t: PortTally): FirmwareCpu {
  const pio = (p: number): void => {
    if (p === 0xcf8) t.cf8Writes++;
    else if (p >= 0xcfc && p < 0xd00) t.dataAccesses++;
    else t.other++;
  };
  return {
    inb: (p) => (pio(p), m.pioRead(p, 1) & 0xff),
    inw: (p) => (pio(p), m.pioRead(p, 2) & 0xffff),
    inl: (p) => (pio(p), m.pioRead(p, 4) >>> 0),
    outb: (p, v) => (pio(p), m.pioWrite(p, 1, v)),
    outw: (p, v) => (pio(p), m.pioWrite(p, 2, v)),
    outl: (p, v) => (pio(p), m.pioWrite(p, 4, v)),
    readb: (a) => (t.mmio++, m.mmioRead(a, 1) & 0xff),
    readw: (a) => (t.mmio++, m.mmioRead(a, 2) & 0xffff),
    readl: (a) => (t.mmio++, m.mmioRead(a, 4) >>> 0),
    writeb: (a, v) => (t.mmio++, m.mmioWrite(a, 1, v)),
    writew: (a, v) => (t.mmio++, m.mmioWrite(a, 2, v)),
    writel: (a, v) => (t.mmio++, m.mmioWrite(a, 4, v)),
  };
}


interface Run {
  accesses: string[];
  result: QbootResult;
  ports: PortTally;
}

/** Run qboot on `m`; its config accesses as QEMU's handlers see them, in the reference's line format. */
function runQboot(m: VmOpsLike): Run {
  const accesses: string[] = [];
  const ports: PortTally = { cf8Writes: 0, dataAccesses: 0, other: 0, mmio: 0 };
  if (m.host) {
    m.host.observer = (mech, write, bus, devfn, reg, size, value) => {
      accesses.push(firmwareAccessLine(mech, write, bus, devfn, reg, size, value));
    };
  }
  const result = new Qboot(cpuOn(m, ports)).run();
  if (m.host) m.host.observer = null;
  return { accesses, result, ports };
}

function qemuArgsOf(scenario: string): string[] {
  return (JSON.parse(readFileSync(new URL(`${scenario}.json`, FIXTURES), 'utf8')) as { qemuArgs: string[] }).qemuArgs;
}

/** The board from `-M`, then the command line realized the way QEMU does (default NIC, every -device, reset). */
function machineFor(args: readonly string[]): Q35Machine | PcMachine {
  const nodefaults = args.includes('-nodefaults');
  const m =
    args[args.indexOf('-M') + 1] === 'pc'
      ? new PcMachine({ nodefaults, ramBytes: RAM, firmware: 'qboot' })
      : new Q35Machine({ nodefaults, ramBytes: RAM, acpiPciHotplugWithBridgeSupport: true });
  realizeArgv(m, args);
  return m;
}

/** The BIOS-e820 lines of a recorded console: [start, end, kind] */
function consoleE820(scenario: string): string[] {
  const text = readFileSync(new URL(`${scenario}.console.log`, FIXTURES), 'latin1');
  return [...text.matchAll(/BIOS-e820: \[mem (0x[0-9a-f]+)-(0x[0-9a-f]+)\] (.+?)\r?$/gm)].map((m) => `${BigInt(m[1]!)}-${BigInt(m[2]!)} ${m[3]}`);
}

const E820_NAMES: Record<number, string> = { 1: 'usable', 2: 'reserved', 3: 'ACPI data', 4: 'ACPI NVS' };
/** what Linux prints: e820__update_table() sorts (no two adjacent entries of a type here, so no merge) */
function asPrinted(map: readonly E820Entry[]): string[] {
  return [...map]
    .sort((a, b) => a.addr - b.addr)
    .map((e) => `${BigInt(e.addr)}-${BigInt(e.addr) + BigInt(e.size) - 1n} ${E820_NAMES[e.type]}`);
}

// --- counts derived from qboot's code -------------------------------------------------------------------
// setup_hw(): readl 00:00.0 ID; q35: setup_ich9() 8 writeb + setup_ich9_pm() writel + writeb; i440fx:
// setup_piix() 4 writeb + setup_piix_pm() 2 writel + 2 writeb; then setup_pam() 6 + 1 writeb.
const SETUP_HW_Q35 = 1 + 8 + 2 + 7;
const SETUP_HW_I440FX = 1 + 4 + 4 + 7;
// setup_mmconfig(): readl 00:00.0 ID; q35: setup_q35_mmconfig() 3 writel
const SETUP_MMCONFIG_Q35 = 1 + 3;
const SETUP_MMCONFIG_I440FX = 1;
// setup_pci(): readl 00:00.0 ID before do_setup_pci_bus()
const SETUP_PCI = 1;
/**
 * One present function in pci_foreach() + do_setup_pci(): readl ID, readb HEADER_TYPE, readb INTERRUPT_PIN,
 * [pin: readb INTERRUPT_LINE, which reads 0 after reset, so writeb it], [header bit 0: readw + writew
 * BRIDGE_CONTROL], readw CLASS_DEVICE, [IDE: 4 writel BARs, PIIX: + 2 writew], [0x0604: 3 writeb bus registers]
 */
function presentFn(o: { pin?: boolean; bridge?: boolean; ide?: 'piix' | 'other' } = {}): number {
  let n = 2 + 1 + 1;
  if (o.pin) n += 2;
  if (o.bridge) n += 2 + 3;
  if (o.ide) n += 4 + (o.ide === 'piix' ? 2 : 0);
  return n;
}
/** an absent function 0 ends its slot after the ID read; so does an absent function > 0 of a multi-function slot */
const ABSENT = 1;
/** do_setup_pci_bus()'s loop, per bridge: readb SECONDARY_BUS (the list link), writeb SECONDARY, SUBORDINATE=255, SUBORDINATE=max_bus */
const NUMBER_BRIDGE = 4;

// q35 default: MCH 00.0 (no pin), VGA 01.0 (no pin), e1000e 02.0 (INTA), slots 3-30 absent,
// ICH9 LPC 1f.0 (multi-function, no pin), 1f.1 absent, AHCI 1f.2 (INTA), SMBus 1f.3 (INTA), 1f.4-7 absent
const Q35_BUS0 = presentFn() + presentFn() + presentFn({ pin: true }) + 28 * ABSENT + presentFn() + ABSENT + 2 * presentFn({ pin: true }) + 4 * ABSENT;
const Q35_DEFAULT = SETUP_HW_Q35 + SETUP_MMCONFIG_Q35 + SETUP_PCI + Q35_BUS0;

describe('qboot: counts read off its code', () => {
  it('q35 default: 18 in setup_hw, 4 in setup_mmconfig, 1 + 63 in setup_pci = 86 conf1 accesses, 172 port accesses', () => {
    const m = machineFor(['-M', 'q35', ...QBOOT]);
    const r = runQboot(m);
    expect(Q35_DEFAULT).toBe(86);
    expect(r.accesses.length).toBe(Q35_DEFAULT);
    expect(r.accesses.every((a) => a.startsWith('F conf1 '))).toBe(true); // qboot never uses MMCONFIG
    // include/pci.h: outl(0xcf8) before every data access, and nothing else on the ports or in MMIO here
    expect(r.ports).toEqual({ cf8Writes: Q35_DEFAULT, dataAccesses: Q35_DEFAULT, other: 0, mmio: 0 });
    expect(r.accesses.slice(0, SETUP_HW_Q35 + SETUP_MMCONFIG_Q35 + SETUP_PCI).filter((a) => a.includes(' w ')).length).toBe(8 + 2 + 7 + 3);
    expect(r.result).toEqual({ chipset: 'q35', havePci: true, haveMmconfig: true, maxBus: 0, bridges: [], panicked: false });
    // setup_q35_mmconfig() left ECAM at 0xb0000000 for Linux: the MCH's pcie_host_mmcfg_update() mapped it
    expect(m.host.mmcfgBase).toBe(0xb0000000);
    expect(m.host.mmcfgSize).toBe(256 << 20);
    // do_setup_pci_irq(): e1000e 00:02.0 INTA → lnk (1 + 2) & 3 = 3 → IRQ 11; 00:1f.x (dev > 24) → LNKA → IRQ 10
    expect(r.accesses).toContain('F conf1 w 00:02.0 0x03c/1 0xb');
    expect(r.accesses).toContain('F conf1 w 00:1f.2 0x03c/1 0xa');
  });

  it('q35 + pcie-root-port + virtio-net-pci behind it: +10 for the port, +4 to number it, 6 + 31 on bus 1 = 137', () => {
    const m = machineFor(['-M', 'q35', ...QBOOT, '-device', 'pcie-root-port,id=rp1,chassis=1', '-device', 'virtio-net-pci,bus=rp1']);
    const r = runQboot(m);
    // the port takes free slot 3 (INTA, bridge header, class 0x0604) in place of an absent slot
    const port = presentFn({ pin: true, bridge: true }) - ABSENT;
    // bus 1 behind a root port: virtio-net at 01:00.0 (INTA), devices 1-31 absent (QEMU has nothing there)
    const bus1 = presentFn({ pin: true }) + 31 * ABSENT;
    expect(port).toBe(10);
    expect(Q35_DEFAULT + port + NUMBER_BRIDGE + bus1).toBe(137);
    expect(r.accesses.length).toBe(137);
    expect(r.ports.cf8Writes).toBe(137);
    expect(r.result.maxBus).toBe(1);
    expect(r.result.bridges).toEqual([{ bdf: 0x0018, primary: 0, secondary: 1, subordinate: 1 }]);
    // the list link: SECONDARY_BUS = 0xff (empty list) while bus 0 is walked, read back, then the real number
    const rp = r.accesses.filter((a) => a.includes(' 00:03.0 0x01'));
    expect(rp).toEqual([
      'F conf1 w 00:03.0 0x018/1 0x0', // PRIMARY_BUS = bus
      'F conf1 w 00:03.0 0x01a/1 0x0', // SUBORDINATE_BUS = 0 "prevent accidental access"
      'F conf1 w 00:03.0 0x019/1 0xff', // SECONDARY_BUS = bridge_head
      'F conf1 r 00:03.0 0x019/1 0xff', // next_head
      'F conf1 w 00:03.0 0x019/1 0x1', // bus = ++max_bus
      'F conf1 w 00:03.0 0x01a/1 0xff', // SUBORDINATE_BUS = 255 while bus 1 is walked
      'F conf1 w 00:03.0 0x01a/1 0x1', // SUBORDINATE_BUS = max_bus
    ]);
    // what Linux finds: the bridge numbered, but no window, no BAR, no COMMAND bit set by firmware
    const rpDev = m.rootBus.devices[0x18]!;
    expect([rpDev.config[0x18], rpDev.config[0x19], rpDev.config[0x1a]]).toEqual([0, 1, 1]);
    expect(rpDev.config[0x04]! & 0x7).toBe(0);
    // virtio behind the port: addend 3 + pin 1 + dev 0 → lnk 0 → IRQ 10
    expect(r.accesses).toContain('F conf1 w 01:00.0 0x03c/1 0xa');
  });

  it('pc default: 16 in setup_hw, 1 in setup_mmconfig, 1 + 67 in setup_pci = 85; legacy IDE BARs hard-wired', () => {
    const m = machineFor(['-M', 'pc', ...QBOOT]);
    const r = runQboot(m);
    // i440FX 00.0; PIIX3 01.0 (multi-function, no pin), IDE 01.1 (no pin, class 0x0101, 8086:7010), 01.2 absent
    // (no -usb), PIIX4 PM 01.3 (INTA), 01.4-7 absent; VGA 02.0; e1000 03.0 (INTA); slots 4-31 absent
    const bus0 =
      presentFn() + presentFn() + presentFn({ ide: 'piix' }) + ABSENT + presentFn({ pin: true }) + 4 * ABSENT + presentFn() + presentFn({ pin: true }) + 28 * ABSENT;
    expect(SETUP_HW_I440FX + SETUP_MMCONFIG_I440FX + SETUP_PCI + bus0).toBe(85);
    expect(r.accesses.length).toBe(85);
    expect(r.result).toEqual({ chipset: 'i440fx', havePci: true, haveMmconfig: false, maxBus: 0, bridges: [], panicked: false });
    expect(r.accesses.filter((a) => a.includes(' w 00:01.1 '))).toEqual([
      'F conf1 w 00:01.1 0x010/4 0x1f0',
      'F conf1 w 00:01.1 0x014/4 0x3f4',
      'F conf1 w 00:01.1 0x018/4 0x170',
      'F conf1 w 00:01.1 0x01c/4 0x374',
      'F conf1 w 00:01.1 0x040/2 0x8000',
      'F conf1 w 00:01.1 0x042/2 0x8000',
    ]);
    // i440fx routing: lnk = pin + dev - 1: PM 01.3 → 1 → IRQ 10; e1000 03.0 → 3 → IRQ 11
    expect(r.accesses).toContain('F conf1 w 00:01.3 0x03c/1 0xa');
    expect(r.accesses).toContain('F conf1 w 00:03.0 0x03c/1 0xb');
  });

  it('bridges of a bus are numbered last found first, depth first, subordinate closed on the way back', () => {
    const m = machineFor(qemuArgsOf('q35-qboot-bridges'));
    const r = runQboot(m);
    // bus 0: rp1 00:03.0, rp2 00:04.0 found in that order; the list head is 00:04.0, so it gets bus 1
    // and 00:03.0 gets bus 2; behind it pcie-pci-bridge 02:00.0 → 3, pci-bridge 03:01.0 → 4 (virtio-rng at 04:02.0)
    expect(r.result.bridges).toEqual([
      { bdf: 0x0020, primary: 0, secondary: 1, subordinate: 1 },
      { bdf: 0x0018, primary: 0, secondary: 2, subordinate: 4 },
      { bdf: 0x0200, primary: 2, secondary: 3, subordinate: 4 },
      { bdf: 0x0308, primary: 3, secondary: 4, subordinate: 4 },
    ]);
    expect(r.result.maxBus).toBe(4);
    // 00:04.0's list link holds the devfn of 00:03.0, found before it
    expect(r.accesses).toContain('F conf1 w 00:04.0 0x019/1 0x18');
    expect(r.accesses.filter((a) => a.includes(' 0x01a/1 ') && a.includes(' w ')).slice(-3)).toEqual([
      'F conf1 w 03:01.0 0x01a/1 0x4',
      'F conf1 w 02:00.0 0x01a/1 0x4',
      'F conf1 w 00:03.0 0x01a/1 0x4',
    ]);
    // bus 0 (86 - 2 absent slots + 2 ports of 11) + 4 numberings + bus 1 (32 absent) + bus 2 (bridge 11 + 31 absent)
    // + bus 3 (slot 0 absent, bridge 11 at slot 1, 30 absent) + bus 4 (2 absent, virtio-rng 6, 29 absent)
    const port = presentFn({ pin: true, bridge: true });
    const expected = Q35_DEFAULT - 2 + 2 * port + 4 * NUMBER_BRIDGE + 32 + (port + 31) + (1 + port + 30) + (2 + presentFn({ pin: true }) + 29);
    expect(expected).toBe(275);
    expect(r.accesses.length).toBe(expected);
  });

  it('microvm (pcie=on): two ID reads of 00:00.0 on ports nothing decodes, so 0 config accesses; ECAM untouched', () => {
    const m = new MicrovmMachine({ ramBytes: RAM, pcie: 'on' });
    realizeArgv(m, ['-M', 'microvm,pcie=on', '-device', 'virtio-rng-pci']);
    const r = runQboot(m);
    // setup_hw() and setup_mmconfig() each readl 00:00.0 through conf1: unassigned I/O reads all-ones, so
    // no chipset, no setup_pam()/setup_pic(), no setup_pci(). Real QEMU 7.2 traced exactly these four port
    // accesses on its `io` region (not `pci-conf-data`, so the reference counts 0: microvm-pcie.json).
    expect(r.ports).toEqual({ cf8Writes: 2, dataAccesses: 2, other: 0, mmio: 0 });
    expect(r.accesses).toEqual([]);
    expect(r.result).toEqual({ chipset: null, havePci: false, haveMmconfig: false, maxBus: 0, bridges: [], panicked: false });
    expect(referenceFirmware('microvm-pcie')).toEqual([]);
  });

  it('a writable F-segment (rom_check sticks) skips setup_pam(): 7 accesses fewer', () => {
    const m = machineFor(['-M', 'q35', ...QBOOT]);
    const ports: PortTally = { cf8Writes: 0, dataAccesses: 0, other: 0, mmio: 0 };
    new Qboot(cpuOn(m, ports), { biosShadowWritable: true }).run();
    expect(ports.dataAccesses).toBe(Q35_DEFAULT - 7);
  });

  it('setup_pci() panics when 00:00.0 is no longer i440FX/Q35 (cli; hlt): nothing after that read', () => {
    let idReads = 0;
    const data: number[] = [];
    let latch = 0;
    const cpu: FirmwareCpu = {
      outl: (p, v) => {
        // a dword may come as the int32 of its bytes (FirmwareCpu)
        if (p === 0xcf8) latch = v >>> 0;
        else data.push(latch);
      },
      inl: () => {
        data.push(latch);
        if (latch === 0x80000000) return ++idReads < 3 ? 0x29c08086 : 0x12345678;
        return 0xffffffff;
      },
      inb: () => (data.push(latch), 0),
      inw: () => (data.push(latch), 0),
      outb: () => void data.push(latch),
      outw: () => void data.push(latch),
      readb: () => 0xff,
      readw: () => 0xffff,
      readl: () => 0xffffffff,
      writeb: () => undefined,
      writew: () => undefined,
      writel: () => undefined,
    };
    const r = new Qboot(cpu).run();
    expect(r.panicked).toBe(true);
    expect(data.length).toBe(SETUP_HW_Q35 + SETUP_MMCONFIG_Q35 + SETUP_PCI);
  });
});

describe('qboot firmware phase = real QEMU 7.2 with -bios qboot.rom, access for access', () => {
  for (const scenario of ['q35-qboot', 'q35-qboot-rootport', 'pc-qboot', 'q35-qboot-bridges']) {
    it(scenario, () => {
      const sim = runQboot(machineFor(qemuArgsOf(scenario))).accesses;
      const ref = referenceFirmware(scenario);
      let i = 0;
      while (i < sim.length && i < ref.length && sim[i] === ref[i]) i++;
      expect({ index: i + 1, sim: sim[i], ref: ref[i] }).toEqual({ index: i + 1, sim: ref[i], ref: ref[i] });
      expect(sim.length).toBe(ref.length);
    });
  }
});

describe("qboot's E820 (extract_e820) = what Linux printed", () => {
  // QEMU 7.2's etc/e820 under TCG (qemu64 is AMD, phys-bits 40): the HyperTransport hole, then RAM at 0
  const qemuE820: E820Entry[] = [
    { addr: 0xfd00000000, size: 0x300000000, type: 2 },
    { addr: 0, size: RAM, type: 1 },
  ];

  it('q35: the MMCONFIG window is reserved (so Linux keeps MMCONFIG: "reserved in E820")', () => {
    const map = qbootExtractE820(qemuE820, true);
    expect(map).toContainEqual({ addr: 0xb0000000, size: 0x10000000, type: 2 });
    expect(asPrinted(map)).toEqual(consoleE820('q35-qboot'));
    const con = readFileSync(new URL('q35-qboot.console.log', FIXTURES), 'latin1');
    expect(con).toContain('PCI: MMCONFIG at [mem 0xb0000000-0xbfffffff] reserved in E820');
    expect(con).toMatch(/ACPI: MCFG 0x00000000000D[0-9A-F]{4} 00003C \(v01 BOCHS  BXPC/);
  });

  it('pc: no MMCONFIG entry; the same map as hw/i386/pc-piix.ts qbootE820()', () => {
    const map = qbootExtractE820(qemuE820, false);
    expect(asPrinted(map)).toEqual(consoleE820('pc-qboot'));
    expect(map).toEqual(qbootE820(qemuE820));
  });
});
