/**
 * `microvm` against the real QEMU 7.2 recording reference/microvm-pcie (`-M microvm,pcie=on -device
 * virtio-rng-pci`): trace lines are cited as `phase mech rw bus:dev.fn reg/size value`.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  MicrovmMachine,
  PciDevice,
  QemuError,
  microvmOptionsFromProperties,
  gpexPrtLink,
  GPEX_OSC_GRANT_MASK,
  type GpexAcpiHostBridge,
  type GpexGsiLink,
  type MicrovmOptions,
} from '../src/index.js';

const FIXTURES = fileURLToPath(new URL('../../../reference/', import.meta.url));
const ECAM = 0xe0000000;
const ecam = (bus: number, devfn: number, reg: number) => ECAM + bus * 0x100000 + devfn * 0x1000 + reg;
const mask = (size: number) => (size === 4 ? 0xffffffff : size === 2 ? 0xffff : 0xff);

const microvm = (o: Partial<MicrovmOptions> = {}) => new MicrovmMachine({ ramBytes: 512 << 20, ...o });

/** a stand-in for `-device virtio-rng-pci` (the real model lives with the virtio devices) */
const rngStandIn = () => new PciDevice({ typeName: 'virtio-rng-pci', vendorId: 0x1af4, deviceId: 0x1005, classId: 0x00ff });

function read(m: MicrovmMachine, bus: number, devfn: number, reg: number, size: 1 | 2 | 4): number {
  return (m.mmioRead(ecam(bus, devfn, reg), size) & mask(size)) >>> 0;
}

function conf1Read(m: MicrovmMachine, bus: number, devfn: number, reg: number): number {
  m.pioWrite(0xcf8, 4, (0x80000000 | (bus << 16) | (devfn << 8) | reg) >>> 0);
  return m.pioRead(0xcfc, 4);
}

describe('microvm without pcie: no PCI at all', () => {
  it('has no host, no root bus, no functions', () => {
    for (const pcie of [undefined, 'off', 'auto'] as const) {
      const m = microvm(pcie ? { pcie } : {});
      expect(m.host).toBeNull();
      expect(m.rootBus).toBeNull();
      expect([...m.functions()]).toEqual([]);
    }
  });

  it('0xcf8/0xcfc are unassigned I/O: the type-1 probe reads all-ones, writes vanish', () => {
    const m = microvm();
    m.pioWrite(0xcf8, 4, 0x80000000);
    expect(m.pioRead(0xcf8, 4)).toBe(0xffffffff); // pci_check_type1() wants 0x80000000 back: no conf1
    expect(m.pioRead(0xcf8, 1)).toBe(0xff); // pci_check_type2() wants 0x00 back: no conf2 either
    expect(conf1Read(m, 0, 0, 0)).toBe(0xffffffff);
    expect(m.mmioRead(ECAM, 4)).toBe(0xffffffff);
  });

  it('a PCI -device has no bus to go to (QEMU: No \'PCI\' bus found for device ...)', () => {
    expect(() => microvm().plug(rngStandIn(), -1)).toThrow(
      new QemuError('BUS_NOT_FOUND', "No 'PCI' bus found for device 'virtio-rng-pci'"),
    );
  });

  it('pcie=on needs ACPI: with acpi=off there is no GPEX host and no ACPI', () => {
    const m = microvm({ pcie: 'on', acpi: 'off' });
    expect(m.host).toBeNull();
    expect(m.bootInfo('').acpi).toBeNull();
  });

  it('ACPI on, pcie off: tables without any host bridge, MCFG or PCI link', () => {
    expect(microvm().bootInfo('').acpi).toEqual({ mcfg: [], hostBridges: [], links: [] });
  });
});

describe('microvm,pcie=on: the GPEX host', () => {
  const withRng = () => {
    const m = microvm({ pcie: 'on' });
    m.plug(rngStandIn(), -1);
    return m;
  };

  it('gpex-root 1b36:0008 at 00:00.0 on pcie.0; the -device function at 00:01.0 (microvm-pcie.json devices)', () => {
    const m = withRng();
    expect(m.rootBus!.name).toBe('pcie.0');
    expect([...m.functions()].map(({ bus, dev }) => [bus, dev.devfn, dev.typeName])).toEqual([
      [0, 0x00, 'gpex-root'],
      [0, 0x08, 'virtio-rng-pci'],
    ]);
  });

  it('ECAM at 0xe0000000 decodes bus/devfn/reg', () => {
    const m = withRng();
    expect(read(m, 0, 0, 0x00, 4)).toBe(0x00081b36); // L mmcfg r 00:00.0 0x000/4 0x81b36
    expect(read(m, 0, 0, 0x08, 4)).toBe(0x06000000); // L mmcfg r 00:00.0 0x008/4 0x6000000
    expect(read(m, 0, 0, 0x0e, 1)).toBe(0x00); // L mmcfg r 00:00.0 0x00e/1 0x0
    expect(read(m, 0, 0, 0x06, 2)).toBe(0x0000); // L mmcfg r 00:00.0 0x006/2 0x0
    expect(read(m, 0, 0, 0x2e, 2)).toBe(0x1100); // L mmcfg r 00:00.0 0x02e/2 0x1100
    expect(read(m, 0, 0x08, 0x00, 4)).toBe(0x10051af4); // L mmcfg r 00:01.0 0x000/4 0x10051af4
    expect(read(m, 0, 0x08, 0x02, 2)).toBe(0x1005);
    m.mmioWrite(ecam(0, 0, 0x04), 2, 0x400); // L mmcfg w 00:00.0 0x004/2 0x400
    expect(read(m, 0, 0, 0x04, 2)).toBe(0x400); // L mmcfg r 00:00.0 0x004/2 0x400
  });

  it('gpex-root is conventional: its extended space reads all-ones (L mmcfg r 00:00.0 0x100/4 0xffffffff)', () => {
    expect(read(withRng(), 0, 0, 0x100, 4)).toBe(0xffffffff);
  });

  it('absent functions and buses read all-ones through ECAM; writes to them are dropped', () => {
    const m = withRng();
    expect(read(m, 0, 0x10, 0x00, 4)).toBe(0xffffffff); // L mmcfg r 00:02.0 0x000/4 0xffffffffffffffff
    expect(read(m, 0, 0xf8, 0x00, 4)).toBe(0xffffffff); // L mmcfg r 00:1f.0 0x000/4 0xffffffffffffffff
    expect(read(m, 0xff, 0, 0x00, 4)).toBe(0xffffffff); // the last bus the ECAM covers
    m.mmioWrite(ecam(1, 0, 0x04), 2, 0x7);
    expect(read(m, 1, 0, 0x04, 2)).toBe(0xffff);
    expect(m.mmioRead(ECAM + 0x10000000, 4)).toBe(0xffffffff); // past the 256 MiB window: not ECAM
    expect(m.host!.mmcfgSize).toBe(0x10000000);
  });

  it('still no conf1 port: config through 0xcf8/0xcfc never reaches the host', () => {
    const m = withRng();
    const seen: number[] = [];
    m.host!.observer = (mech) => seen.push(mech);
    expect(conf1Read(m, 0, 0, 0)).toBe(0xffffffff);
    expect(seen).toEqual([]);
    read(m, 0, 0, 0, 4);
    expect(seen).toEqual([1]); // MECH_MMCFG
  });

  it('replays the Linux phase of microvm-pcie: every read of gpex-root and of the absent slots matches', () => {
    const m = withRng();
    const text = gunzipSync(readFileSync(`${FIXTURES}microvm-pcie.accesses.txt.gz`)).toString('utf8');
    const bad: string[] = [];
    let played = 0;
    text.split('\n').forEach((line, n) => {
      if (!line || line.startsWith('#')) return;
      const [phase, mech, rw, bdf, regSize, value] = line.split(' ');
      expect([phase, mech]).toEqual(['L', 'mmcfg']); // firmware made no config access at all
      if (bdf === '00:01.0') return; // the virtio-rng-pci model is not this file's
      const [b, df] = bdf!.split(':');
      const [d, f] = df!.split('.');
      const [r, s] = regSize!.split('/');
      const size = Number(s) as 1 | 2 | 4;
      const addr = ecam(parseInt(b!, 16), (parseInt(d!, 16) << 3) | Number(f), parseInt(r!, 16));
      const v = Number(BigInt(value!) & 0xffffffffn);
      played++;
      if (rw === 'w') m.mmioWrite(addr, size, v);
      else if ((m.mmioRead(addr, size) & mask(size)) >>> 0 !== (v & mask(size)) >>> 0) bad.push(`line ${n + 1}: ${line}`);
    });
    expect(played).toBe(214 - 133); // microvm-pcie.json: 214 accesses, 133 of them to 00:01.0
    expect(bad).toEqual([]);
  });
});

describe('microvm,pcie=on: the ACPI view (acpi-microvm.c + gpex-acpi.c)', () => {
  const info = microvm({ pcie: 'on' }).bootInfo('console=ttyS0');
  const acpi = info.acpi!;
  const hb = acpi.hostBridges[0] as GpexAcpiHostBridge;

  it('no MCFG table: ACPI: RSDP/XSDT/FACP/DSDT/APIC only (microvm-pcie.console.log)', () => {
    expect(acpi.mcfg).toEqual([]);
  });

  it('PCI0: PNP0A08, segment 0, bus 00-ff, _CBA = the ECAM base, RES0 reserving it', () => {
    expect(acpi.hostBridges).toHaveLength(1);
    expect([hb.hid, hb.segment, hb.busStart, hb.busEnd]).toEqual(['PNP0A08', 0, 0, 0xff]); // "PCI Root Bridge [PCI0] (domain 0000 [bus 00-ff])"
    expect(hb.cba).toBe(0xe0000000); // "MMCONFIG at [mem 0xe0000000-0xefffffff] (base 0xe0000000)"
    expect(hb.res0).toEqual({ base: 0xe0000000, size: 0x10000000 }); // "system 00:02: [mem 0xe0000000-0xefffffff window] has been reserved"
    expect(hb.devices).toEqual([]); // gpex-acpi describes no _ADR functions: no ACPI hotplug slots
  });

  it('_CRS windows: mmio32 and the top quarter of a 40-bit space, no I/O window', () => {
    expect(hb.windows).toEqual([
      { kind: 'mem', min: 0xc0000000, max: 0xdfffffff }, // "root bus resource [mem 0xc0000000-0xdfffffff window]"
      { kind: 'mem64', min: 0xc000000000, max: 0xffffffffff }, // "[mem 0xc000000000-0xffffffffff window]"
    ]);
    const kvm46 = microvm({ pcie: 'on', physBits: 46 }).bootInfo('').acpi!.hostBridges[0] as GpexAcpiHostBridge;
    expect(kvm46.windows[1]).toEqual({ kind: 'mem64', min: 0x300000000000, max: 0x3fffffffffff });
  });

  it('_OSC grants the five native controls it is asked for (CTRL & 0x1F)', () => {
    expect(hb.osc).toEqual({ grantMask: GPEX_OSC_GRANT_MASK });
    expect(GPEX_OSC_GRANT_MASK).toBe(0x1f);
  });

  it('GSI0-GSI3 links on GSIs 16-19 (ioapic2), no config-space register', () => {
    const links = acpi.links as GpexGsiLink[];
    expect(links.map((l) => [l.name, l.gsi, l.pirqReg])).toEqual([
      ['GSI0', 16, null], // "Interrupt link GSI0 configured for IRQ 16"
      ['GSI1', 17, null],
      ['GSI2', 18, null],
      ['GSI3', 19, null],
    ]);
    expect(gpexPrtLink(1, 0)).toBe(1); // 00:01.0 INTA → GSI1
    const noIoapic2 = microvm({ pcie: 'on', ioapic2: 'off' }).bootInfo('').acpi!.links as GpexGsiLink[];
    expect(noIoapic2.map((l) => l.gsi)).toEqual([12, 13, 14, 15]);
  });

  it('E820 as qboot builds it, no DMI (microvm-pcie.console.log BIOS-e820 lines)', () => {
    expect(info.e820).toEqual([
      { addr: 0x0, size: 0x9fc00, type: 1 },
      { addr: 0x9fc00, size: 0x400, type: 2 },
      { addr: 0xd0000, size: 0x20000, type: 4 },
      { addr: 0xf0000, size: 0x10000, type: 2 },
      { addr: 0x100000, size: 0x1ff00000, type: 1 },
    ]);
    expect(info.dmiBiosDate).toBeNull();
    expect(info.cmdline).toBe('console=ttyS0'); // ACPI on: the command line is left alone
  });
});

describe('microvm: virtio-mmio transports and auto-kernel-cmdline', () => {
  it('ACPI on (ioapic2): 24 transports on GSIs 24-47; ACPI off: 8 on IRQs 5-12', () => {
    const on = microvm();
    expect(on.transports).toHaveLength(24);
    expect([on.transports[0]!.gsi, on.transports[23]!.gsi]).toEqual([24, 47]);
    const off = microvm({ acpi: 'off' });
    expect(off.transports).toHaveLength(8);
    expect(off.transports.map((t) => t.gsi)).toEqual([5, 6, 7, 8, 9, 10, 11, 12]);
    expect(off.transports[7]!.base).toBe(0xfeb00e00);
  });

  it('-device virtio-*-device takes the highest free transport first; the cmdline lists them newest first', () => {
    const m = microvm({ acpi: 'off' });
    expect(m.plugVirtioMmio('virtio-blk-device').index).toBe(7);
    expect(m.plugVirtioMmio('virtio-net-device').index).toBe(6);
    expect(m.bootInfo('console=ttyS0').cmdline).toBe(
      'console=ttyS0 virtio_mmio.device=512@0xfeb00e00:12 virtio_mmio.device=512@0xfeb00c00:11',
    );
  });

  it('no fix-up with auto-kernel-cmdline=off, without -kernel, or with ACPI', () => {
    for (const o of [{ acpi: 'off' as const, autoKernelCmdline: false }, { acpi: 'off' as const, kernel: false }, {}]) {
      const m = microvm(o);
      m.plugVirtioMmio('virtio-blk-device');
      expect(m.bootInfo('quiet').cmdline).toBe('quiet');
    }
  });

  it('all transports taken: QEMU\'s error', () => {
    const m = microvm({ acpi: 'off' });
    for (let i = 0; i < 8; i++) m.plugVirtioMmio('virtio-blk-device');
    expect(() => m.plugVirtioMmio('virtio-blk-device')).toThrow(
      new QemuError('BUS_NOT_FOUND', "No 'virtio-bus' bus found for device 'virtio-blk-device'"),
    );
  });
});

describe('microvm: -machine properties', () => {
  it('parses OnOffAuto and bool properties with QEMU\'s messages', () => {
    const o = microvmOptionsFromProperties(
      [
        ['pcie', 'on'],
        ['acpi', 'auto'],
        ['isa-serial', 'off'],
        ['x-option-roms', 'no'],
        ['auto-kernel-cmdline', 'y'],
        ['rtc', 'off'],
      ],
      { ramBytes: 1 },
    );
    expect([o.pcie, o.acpi, o.isaSerial, o.optionRoms, o.autoKernelCmdline, o.rtc]).toEqual(['on', 'auto', false, false, true, 'off']);
    expect(() => microvmOptionsFromProperties([['pcie', 'yes']], { ramBytes: 1 })).toThrow(
      new QemuError('BAD_PROPERTY_VALUE', "Parameter 'pcie' does not accept value 'yes'"),
    );
    expect(() => microvmOptionsFromProperties([['isa-serial', 'maybe']], { ramBytes: 1 })).toThrow(
      new QemuError('BAD_PROPERTY_VALUE', "Parameter 'isa-serial' expects 'on' or 'off'"),
    );
    expect(() => microvmOptionsFromProperties([['ecam', '1']], { ramBytes: 1 })).toThrow(
      new QemuError('UNKNOWN_PROPERTY', "Property 'microvm-machine.ecam' not found"),
    );
  });

  it('rtc=auto is off under KVM; the default firmware is qboot', () => {
    expect(microvm({ kvm: true }).rtcEnabled).toBe(false);
    expect(microvm().rtcEnabled).toBe(true);
    expect(microvm().defaultFirmware).toBe('qboot');
  });
});
