/**
 * `pc` (pc-i440fx-7.2) against the real QEMU 7.2 recordings. Values cite the reference trace line they come
 * from (reference/pc-default.accesses.txt.gz, `phase mech rw bus:dev.fn reg/size value`); the replay tests
 * play every recorded config access of a whole boot (firmware and Linux) against the model and compare
 * every read.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { PcMachine, PciDevice, PIIX_LINK_SEMANTICS, QemuError, type PcOptions, type PcAcpiHostBridge } from '../src/index.js';

const FIXTURES = fileURLToPath(new URL('../../../reference/', import.meta.url));

const pc = (o: Partial<PcOptions> = {}) => {
  const m = new PcMachine({ nodefaults: false, ramBytes: 512 << 20, ...o });
  m.addDefaultNic();
  return m;
};

const mask = (size: number) => (size === 4 ? 0xffffffff : size === 2 ? 0xffff : 0xff);

function conf1Read(m: PcMachine, bus: number, devfn: number, reg: number, size: 1 | 2 | 4): number {
  m.pioWrite(0xcf8, 4, (0x80000000 | (bus << 16) | (devfn << 8) | (reg & 0xfc)) >>> 0);
  return (m.pioRead(0xcfc + (reg & 3), size) & mask(size)) >>> 0;
}

function conf1Write(m: PcMachine, bus: number, devfn: number, reg: number, size: 1 | 2 | 4, value: number): void {
  m.pioWrite(0xcf8, 4, (0x80000000 | (bus << 16) | (devfn << 8) | (reg & 0xfc)) >>> 0);
  m.pioWrite(0xcfc + (reg & 3), size, value);
}

interface TraceLine {
  n: number;
  phase: string;
  mech: string;
  write: boolean;
  bus: number;
  devfn: number;
  reg: number;
  size: 1 | 2 | 4;
  value: number;
}

function loadTrace(name: string): TraceLine[] {
  const text = gunzipSync(readFileSync(`${FIXTURES}${name}.accesses.txt.gz`)).toString('utf8');
  const out: TraceLine[] = [];
  text.split('\n').forEach((line, n) => {
    if (!line || line.startsWith('#')) return;
    const [phase, mech, rw, bdf, regSize, value] = line.split(' ');
    const [b, df] = bdf!.split(':');
    const [d, f] = df!.split('.');
    const [reg, size] = regSize!.split('/');
    out.push({
      n: n + 1,
      phase: phase!,
      mech: mech!,
      write: rw === 'w',
      bus: parseInt(b!, 16),
      devfn: (parseInt(d!, 16) << 3) | parseInt(f!, 10),
      reg: parseInt(reg!, 16),
      size: Number(size) as 1 | 2 | 4,
      // values are traced unmasked (absent reads as 0xffffffff[ffffffff]); keep the low 32 bits
      value: Number(BigInt(value!) & 0xffffffffn),
    });
  });
  return out;
}

/** Play every access; return the reads whose value differs (as "line: access → model"). */
function replay(m: PcMachine, trace: TraceLine[]): string[] {
  const bad: string[] = [];
  for (const t of trace) {
    expect(t.mech).toBe('conf1');
    if (t.write) {
      conf1Write(m, t.bus, t.devfn, t.reg, t.size, t.value);
    } else {
      const got = conf1Read(m, t.bus, t.devfn, t.reg, t.size);
      const want = (t.value & mask(t.size)) >>> 0;
      if (got !== want) bad.push(`${t.n}: ${t.bus}:${t.devfn.toString(16)} 0x${t.reg.toString(16)}/${t.size} want 0x${want.toString(16)} got 0x${got.toString(16)}`);
    }
  }
  return bad;
}

describe('pc: the functions and their reset config space', () => {
  it('places i440FX, PIIX3, IDE, PIIX4 PM, VGA and the e1000 where pc_init1() does', () => {
    const m = pc();
    const got = [...m.functions()].map(({ bus, dev }) => [bus, dev.devfn, dev.typeName]);
    expect(got).toEqual([
      [0, 0x00, 'i440FX'],
      [0, 0x08, 'PIIX3'],
      [0, 0x09, 'piix3-ide'],
      [0, 0x0b, 'PIIX4_PM'],
      [0, 0x10, 'VGA'],
      [0, 0x18, 'e1000'],
    ]);
    expect(m.rootBus.name).toBe('pci.0');
    expect(m.rootBus.isExpress).toBe(false);
  });

  it('i440FX: 8086:1237 rev 2, host bridge class, PAM cleared and SMRAM 0x02 at reset', () => {
    const m = pc();
    expect(conf1Read(m, 0, 0, 0x00, 4)).toBe(0x12378086); // F conf1 r 00:00.0 0x000/4 0x12378086
    expect(conf1Read(m, 0, 0, 0x08, 4)).toBe(0x06000002); // F conf1 r 00:00.0 0x008/4 0x6000002
    expect(conf1Read(m, 0, 0, 0x0e, 1)).toBe(0x00); // F conf1 r 00:00.0 0x00e/1 0x0
    expect(conf1Read(m, 0, 0, 0x59, 1)).toBe(0x00); // F conf1 r 00:00.0 0x059/1 0x0
    expect(conf1Read(m, 0, 0, 0x58, 4)).toBe(0x00000000); // F conf1 r 00:00.0 0x058/4 0x0
    expect(conf1Read(m, 0, 0, 0x5c, 4)).toBe(0x00000000); // F conf1 r 00:00.0 0x05c/4 0x0
    expect(conf1Read(m, 0, 0, 0x72, 1)).toBe(0x02); // i440fx_realize(): config[I440FX_SMRAM] = 0x02
    expect(conf1Read(m, 0, 0, 0x57, 1)).toBe(64); // i440fx_init(): 512 MiB / 8 MiB
    expect(conf1Read(m, 0, 0, 0x2c, 4)).toBe(0x11001af4); // L conf1 r 00:00.0 0x02c/2 0x1af4, 0x02e/2 0x1100
  });

  it('i440FX: SeaBIOS opens the PAM regions and reads them back', () => {
    const m = pc();
    const seen: number[][] = [];
    m.i440fx.onMemoryMappings = (mm) => seen.push(mm.pam);
    conf1Write(m, 0, 0, 0x58, 4, 0x33333000); // F conf1 w 00:00.0 0x058/4 0x33333000
    conf1Write(m, 0, 0, 0x5c, 4, 0x33333333); // F conf1 w 00:00.0 0x05c/4 0x33333333
    expect(conf1Read(m, 0, 0, 0x58, 4)).toBe(0x33333000); // F conf1 r 00:00.0 0x058/4 0x33333000
    expect(seen.at(-1)).toEqual(new Array<number>(13).fill(3));
  });

  it('PIIX3: multifunction ISA bridge, COMMAND cleared by the PCI core after piix3_reset(), PIRQs 0x80', () => {
    const m = pc();
    expect(conf1Read(m, 0, 0x08, 0x00, 4)).toBe(0x70008086); // F conf1 r 00:01.0 0x000/4 0x70008086
    expect(conf1Read(m, 0, 0x08, 0x08, 4)).toBe(0x06010000); // F conf1 r 00:01.0 0x008/4 0x6010000
    expect(conf1Read(m, 0, 0x08, 0x0e, 1)).toBe(0x80); // F conf1 r 00:01.0 0x00e/1 0x80
    expect(conf1Read(m, 0, 0x08, 0x04, 2)).toBe(0x0000); // F conf1 r 00:01.0 0x004/2 0x0
    expect(conf1Read(m, 0, 0x08, 0x06, 2)).toBe(0x0200); // L conf1 r 00:01.0 0x006/2 0x200
    expect(conf1Read(m, 0, 0x08, 0x60, 4)).toBe(0x80808080); // piix3_reset(): PIRQA-D routing disabled
    expect(conf1Read(m, 0, 0x08, 0x82, 1)).toBe(0x00); // L conf1 r 00:01.0 0x082/1 0x0
  });

  it('PIIX3: PIRQ route bytes as SeaBIOS writes them and as LNKx._DIS sets bit 7', () => {
    const m = pc();
    const routes: [number, number][] = [];
    m.piix3.onPirqRoute = (p, v) => routes.push([p, v]);
    conf1Write(m, 0, 0x08, 0x60, 1, 0x0a); // F conf1 w 00:01.0 0x060/1 0xa
    conf1Write(m, 0, 0x08, 0x62, 1, 0x0b); // F conf1 w 00:01.0 0x062/1 0xb
    expect(conf1Read(m, 0, 0x08, 0x60, 1)).toBe(0x0a); // L conf1 r 00:01.0 0x060/1 0xa
    expect(m.piix3.pirqRoute(0)).toBe(10);
    expect(m.piix3.pirqRoute(1)).toBe(-1);
    conf1Write(m, 0, 0x08, 0x60, 1, 0x8a); // L conf1 w 00:01.0 0x060/1 0x8a
    expect(conf1Read(m, 0, 0x08, 0x60, 1)).toBe(0x8a); // L conf1 r 00:01.0 0x060/1 0x8a
    expect(routes).toEqual([
      [0, 0x0a],
      [2, 0x0b],
      [0, 0x8a],
    ]);
  });

  it('PIIX3 IDE: legacy-mode IDE (prog-if 0x80), BMIBA reset to 1, a 16-byte I/O BAR 4', () => {
    const m = pc();
    expect(conf1Read(m, 0, 0x09, 0x00, 4)).toBe(0x70108086); // F conf1 r 00:01.1 0x000/4 0x70108086
    expect(conf1Read(m, 0, 0x09, 0x08, 4)).toBe(0x01018000); // F conf1 r 00:01.1 0x008/4 0x1018000
    expect(conf1Read(m, 0, 0x09, 0x06, 2)).toBe(0x0280); // L conf1 r 00:01.1 0x006/2 0x280
    expect(conf1Read(m, 0, 0x09, 0x20, 4)).toBe(0x00000001); // F conf1 r 00:01.1 0x020/4 0x1
    conf1Write(m, 0, 0x09, 0x20, 4, 0xffffffff); // F conf1 w 00:01.1 0x020/4 0xffffffff
    expect(conf1Read(m, 0, 0x09, 0x20, 4)).toBe(0xfffffff1); // F conf1 r 00:01.1 0x020/4 0xfffffff1
    conf1Write(m, 0, 0x09, 0x10, 4, 0xffffffff); // legacy mode: BARs 0-3 do not exist
    expect(conf1Read(m, 0, 0x09, 0x10, 4)).toBe(0); // F conf1 r 00:01.1 0x010/4 0x0
  });

  it('PIIX4 PM: 8086:7113 rev 3, pin A, SMBus base 0xb100, machine_ready bytes for LPT + COM1', () => {
    const m = pc();
    expect(conf1Read(m, 0, 0x0b, 0x00, 4)).toBe(0x71138086); // F conf1 r 00:01.3 0x000/4 0x71138086
    expect(conf1Read(m, 0, 0x0b, 0x08, 4)).toBe(0x06800003); // F conf1 r 00:01.3 0x008/4 0x6800003
    expect(conf1Read(m, 0, 0x0b, 0x06, 2)).toBe(0x0280); // L conf1 r 00:01.3 0x006/2 0x280
    expect(conf1Read(m, 0, 0x0b, 0x3d, 1)).toBe(0x01); // F conf1 r 00:01.3 0x03d/1 0x1
    expect(conf1Read(m, 0, 0x0b, 0x58, 4)).toBe(0x00000000); // F conf1 r 00:01.3 0x058/4 0x0 (SMM on)
    expect(conf1Read(m, 0, 0x0b, 0x40, 4)).toBe(0x00000001); // piix4_pm_reset(): PM io base read-only bit
    expect(conf1Read(m, 0, 0x0b, 0x90, 2)).toBe(0xb101); // piix4_pm_realize(): smb_io_base | 1
    expect(conf1Read(m, 0, 0x0b, 0xd2, 1)).toBe(0x09);
    expect(conf1Read(m, 0, 0x0b, 0x5c, 4)).toBe(0x90000000); // L conf1 r 00:01.3 0x05c/4 0x90000000
    expect(conf1Read(m, 0, 0x0b, 0x60, 4)).toBe(0x60000000); // L conf1 r 00:01.3 0x060/4 0x60000000
    expect(conf1Read(m, 0, 0x0b, 0x64, 4)).toBe(0x08000000); // L conf1 r 00:01.3 0x064/4 0x8000000
  });

  it('PIIX4 PM: SeaBIOS programs PMBASE and the SMBus base; the I/O blocks follow', () => {
    const m = pc();
    conf1Write(m, 0, 0x0b, 0x40, 4, 0x601); // F conf1 w 00:01.3 0x040/4 0x601
    conf1Write(m, 0, 0x0b, 0x80, 1, 0x1); // F conf1 w 00:01.3 0x080/1 0x1
    conf1Write(m, 0, 0x0b, 0x90, 4, 0x701); // F conf1 w 00:01.3 0x090/4 0x701
    expect(conf1Read(m, 0, 0x0b, 0x40, 2)).toBe(0x601); // L conf1 r 00:01.3 0x040/2 0x601
    expect(conf1Read(m, 0, 0x0b, 0x90, 2)).toBe(0x701); // L conf1 r 00:01.3 0x090/2 0x701
    expect([m.pm!.pmIoBase, m.pm!.pmIoEnabled, m.pm!.smbIoBase, m.pm!.smbIoEnabled]).toEqual([0x600, true, 0x700, true]);
  });

  it('PIIX4 PM with -nodefaults -serial stdio: no LPT at 0x378 (pc-nodefaults)', () => {
    const m = pc({ nodefaults: true, serialPorts: 1 });
    expect(conf1Read(m, 0, 0x0b, 0x5c, 4)).toBe(0x10000000); // pc-nodefaults: L conf1 r 00:01.3 0x05c/4 0x10000000
    expect(conf1Read(m, 0, 0x0b, 0x64, 4)).toBe(0x08000000); // pc-nodefaults: L conf1 r 00:01.3 0x064/4 0x8000000
  });

  it('PIIX4 PM without SMM marks SMM as already initialised', () => {
    expect(conf1Read(pc({ smm: false }), 0, 0x0b, 0x58, 4)).toBe(0x02000000);
  });

  it('VGA and e1000: IDs and BAR sizes as SeaBIOS sizes them', () => {
    const m = pc();
    expect(conf1Read(m, 0, 0x10, 0x00, 4)).toBe(0x11111234); // F conf1 r 00:02.0 0x000/4 0x11111234
    expect(conf1Read(m, 0, 0x10, 0x08, 4)).toBe(0x03000002); // F conf1 r 00:02.0 0x008/4 0x3000002
    conf1Write(m, 0, 0x10, 0x30, 4, 0xfffff800); // F conf1 w 00:02.0 0x030/4 0xfffff800
    expect(conf1Read(m, 0, 0x10, 0x30, 4)).toBe(0xffff0000); // F conf1 r 00:02.0 0x030/4 0xffff0000
    expect(conf1Read(m, 0, 0x18, 0x00, 4)).toBe(0x100e8086); // F conf1 r 00:03.0 0x000/4 0x100e8086
    expect(conf1Read(m, 0, 0x18, 0x08, 4)).toBe(0x02000003); // F conf1 r 00:03.0 0x008/4 0x2000003
    expect(conf1Read(m, 0, 0x18, 0x06, 2)).toBe(0x0000); // L conf1 r 00:03.0 0x006/2 0x0: no capabilities
    expect(conf1Read(m, 0, 0x18, 0x0c, 1)).toBe(0x00); // L conf1 r 00:03.0 0x00c/1 0x0: reset clears CLS 0x10
    expect(conf1Read(m, 0, 0x18, 0x3d, 1)).toBe(0x01); // F conf1 r 00:03.0 0x03d/1 0x1
    for (const [reg, want] of [
      [0x10, 0xfffe0000], // F conf1 r 00:03.0 0x010/4 0xfffe0000
      [0x14, 0xffffffc1], // F conf1 r 00:03.0 0x014/4 0xffffffc1
      [0x30, 0xfffc0000], // F conf1 r 00:03.0 0x030/4 0xfffc0000
    ] as const) {
      conf1Write(m, 0, 0x18, reg, 4, reg === 0x30 ? 0xfffff800 : 0xffffffff);
      expect(conf1Read(m, 0, 0x18, reg, 4)).toBe(want);
    }
  });

  it('absent functions read all-ones: empty slots, 01.2 without -usb, other buses', () => {
    const m = pc();
    expect(conf1Read(m, 0, 0x20, 0x00, 4)).toBe(0xffffffff); // L conf1 r 00:04.0 0x000/4 0xffffffff
    expect(conf1Read(m, 0, 0x0a, 0x00, 2)).toBe(0xffff); // F conf1 r 00:01.2 0x000/2 0xffffffff
    expect(conf1Read(m, 0, 0xc0, 0x68, 4)).toBe(0xffffffff); // L conf1 r 00:18.0 0x068/4 0xffffffff
    expect(conf1Read(m, 0xff, 0, 0x00, 4)).toBe(0xffffffff); // L conf1 r ff:00.0 0x000/4 0xffffffff
    conf1Write(m, 0, 0x20, 0x04, 2, 0x7); // dropped
    expect(conf1Read(m, 0, 0x20, 0x04, 2)).toBe(0xffff);
  });

  it('conf1 only: no ECAM anywhere, and config space ends at 256 bytes', () => {
    const m = pc();
    expect(m.host.mmcfgBase).toBe(-1);
    expect(m.mmioRead(0xb0000000, 4)).toBe(0xffffffff);
    expect(m.mmioRead(0xe0000000, 4)).toBe(0xffffffff);
    expect([...m.functions()].every(({ dev }) => dev.configSize === 256)).toBe(true);
  });

  it('the 0xcf8 latch: only dword writes at 0xcf8 latch; any read returns the latch (pci_host_config_read)', () => {
    const m = pc();
    m.pioWrite(0xcf8, 4, 0x80000000);
    expect(m.pioRead(0xcf8, 4)).toBe(0x80000000);
    m.pioWrite(0xcfb, 1, 0x01); // pci_check_type1(): outb(0x01, 0xCFB) is ignored
    expect(m.pioRead(0xcf8, 4)).toBe(0x80000000);
    m.pioWrite(0xcf8, 4, 0x12345678);
    expect(m.pioRead(0xcfa, 1)).toBe(0x78); // the low byte, whatever the offset
    m.pioWrite(0xcf8, 4, 0); // enable bit clear: data reads all-ones
    expect(m.pioRead(0xcfc, 4)).toBe(-1); // latch disabled: all-ones (a dword as the int32 of its bytes)
    expect(m.coalescedPio).toEqual([{ port: 0xcf8, size: 4 }]);
  });

  it('-nodefaults: the four chipset functions only; -usb adds UHCI at 01.2; acpi=off drops PIIX4 PM', () => {
    expect([...pc({ nodefaults: true }).functions()].map(({ dev }) => dev.devfn)).toEqual([0x00, 0x08, 0x09, 0x0b]);
    const usb = pc({ nodefaults: true, usb: true });
    expect(conf1Read(usb, 0, 0x0a, 0x00, 4)).toBe(0x70208086);
    expect(conf1Read(usb, 0, 0x0a, 0x08, 4)).toBe(0x0c030001);
    expect(conf1Read(usb, 0, 0x0a, 0x3d, 1)).toBe(0x04);
    const noAcpi = pc({ acpi: false });
    expect(conf1Read(noAcpi, 0, 0x0b, 0x00, 4)).toBe(0xffffffff);
    expect(noAcpi.bootInfo('x').acpi).toBeNull();
  });

  it('a -device function goes to the next free slot after the default NIC', () => {
    const m = pc();
    const d = new PciDevice({ typeName: 'x', vendorId: 0x1af4, deviceId: 0x1005, classId: 0x00ff });
    m.plug(d, -1);
    expect(d.devfn).toBe(0x20);
    expect(() => m.plug(new PciDevice({ typeName: 'y', vendorId: 1, deviceId: 1, classId: 0 }), 0x08)).toThrow(QemuError);
  });
});

describe('pc: replaying the reference boots', () => {
  it('pc-default: every firmware and Linux config read returns the recorded value', () => {
    const trace = loadTrace('pc-default');
    expect(trace.length).toBe(432 + 582); // pc-default.json: firmware 432, linux 582 conf1 accesses
    expect(replay(pc(), trace)).toEqual([]);
  });

  it('pc-nodefaults (-nodefaults -serial stdio): every read matches', () => {
    expect(replay(pc({ nodefaults: true, serialPorts: 1 }), loadTrace('pc-nodefaults'))).toEqual([]);
  });

  it('a system reset restores the reset state after a boot', () => {
    const m = pc();
    replay(m, loadTrace('pc-default'));
    m.reset();
    expect(conf1Read(m, 0, 0x08, 0x60, 4)).toBe(0x80808080);
    expect(conf1Read(m, 0, 0x08, 0x04, 2)).toBe(0);
    expect(conf1Read(m, 0, 0x10, 0x10, 4)).toBe(0x00000008);
    expect(conf1Read(m, 0, 0x09, 0x20, 4)).toBe(0x00000001);
  });
});

describe('pc: what firmware hands the guest', () => {
  const info = pc().bootInfo('console=ttyS0');
  const acpi = info.acpi!;
  const hb = acpi.hostBridges[0]! as PcAcpiHostBridge;

  it('E820 and DMI as SeaBIOS reports them (pc-default.console.log lines 13-19, 23)', () => {
    expect(info.e820).toEqual([
      { addr: 0x0, size: 0x9fc00, type: 1 },
      { addr: 0x9fc00, size: 0x400, type: 2 },
      { addr: 0xf0000, size: 0x10000, type: 2 },
      { addr: 0x100000, size: 0x1ffe0000 - 0x100000, type: 1 },
      { addr: 0x1ffe0000, size: 0x20000, type: 2 },
      { addr: 0xfffc0000, size: 0x40000, type: 2 },
      { addr: 0xfd00000000, size: 0x300000000, type: 2 },
    ]);
    expect(info.dmiBiosDate).toBe('04/01/2014');
    expect(pc({ cpuVendor: 'GenuineIntel' }).bootInfo('').e820.some((e) => e.addr === 0xfd00000000)).toBe(false);
  });

  it('no MCFG; PCI0 is PNP0A03 with bus 00-ff and no _OSC', () => {
    expect(acpi.mcfg).toEqual([]);
    expect(acpi.hostBridges).toHaveLength(1);
    expect([hb.hid, hb.segment, hb.busStart, hb.busEnd, hb.osc]).toEqual(['PNP0A03', 0, 0, 0xff, null]);
  });

  it('_CRS windows as Linux prints them (pc-default.console.log lines 211-215)', () => {
    expect(hb.windows).toEqual([
      { kind: 'io', min: 0x0, max: 0xcf7 },
      { kind: 'io', min: 0xd00, max: 0xffff },
      { kind: 'mem', min: 0xa0000, max: 0xbffff },
      { kind: 'mem', min: 0x20000000, max: 0xfebfffff },
      { kind: 'mem64', min: 0x100000000, max: 0x17fffffff },
    ]);
  });

  it('root-bus ACPI hotplug: chipset and VGA slots plain, slots 3-31 with _SUN/_EJ0 (acpiphp Slot [3]..[31])', () => {
    expect(hb.devices).toHaveLength(32);
    expect(hb.devices.slice(0, 4)).toEqual([
      { adr: 0x00000000, ej0: false, children: [] },
      { adr: 0x00010000, ej0: false, children: [] },
      { adr: 0x00020000, ej0: false, children: [] },
      { adr: 0x00030000, ej0: true, sun: 3, children: [] },
    ]);
    expect(hb.devices.filter((d) => d.ej0).map((d) => d.sun)).toEqual(Array.from({ length: 29 }, (_, i) => i + 3));
    const noRootHp = pc({ acpiRootPciHotplug: false }).bootInfo('').acpi!.hostBridges[0]!;
    expect(noRootHp.devices.map((d) => d.adr)).toEqual([0x00000000, 0x00010000, 0x00020000, 0x00030000]);
  });

  it('LNKA-LNKD read PIIX3 0x60-0x63 through PCI0.S08.P40C; LNKS reads nothing', () => {
    expect(acpi.links.map((l) => l.name)).toEqual(['LNKA', 'LNKB', 'LNKC', 'LNKD', 'LNKS']);
    acpi.links.slice(0, 4).forEach((l, i) => {
      expect(l.pirqReg).toEqual({ region: { bus: 0, devfn: 0x08, path: [0x00010000] }, offset: 0x60 + i });
    });
    expect(acpi.links[4]!.pirqReg).toBeNull();
  });

  it('the PIIX form of the link methods: IQST, IQCR (< 0x80), _DIS', () => {
    expect(PIIX_LINK_SEMANTICS.sta(0x0a)).toBe(0x0b);
    expect(PIIX_LINK_SEMANTICS.sta(0x8a)).toBe(0x09);
    expect(PIIX_LINK_SEMANTICS.crs(0x0b)).toBe(11); // "Interrupt link LNKC configured for IRQ 11"
    expect(PIIX_LINK_SEMANTICS.crs(0x8b)).toBe(0);
    expect(PIIX_LINK_SEMANTICS.dis(0x0a)).toBe(0x8a); // L conf1 w 00:01.0 0x060/1 0x8a
  });

  it('_PRT: (slot + pin) & 3 over LNKD/LNKA/LNKB/LNKC, 01.x INTA on LNKS', () => {
    const m = pc();
    expect(m.prtLink(1, 0)).toBe('LNKS');
    expect(m.prtLink(0, 1)).toBe('LNKA');
    expect(m.prtLink(2, 0)).toBe('LNKB');
    expect(m.prtLink(3, 0)).toBe('LNKC'); // e1000 INTA: LNKC, IRQ 11 (L conf1 r 00:03.0 0x03c/1 0xb)
    expect(m.prtLink(4, 0)).toBe('LNKD');
  });

  it('qboot on pc: its own low E820 entries and no SMBIOS date', () => {
    const q = pc({ firmware: 'qboot' }).bootInfo('');
    expect(q.e820.slice(0, 5)).toEqual([
      { addr: 0, size: 0x9fc00, type: 1 },
      { addr: 0x9fc00, size: 0x400, type: 2 },
      { addr: 0xd0000, size: 0x20000, type: 4 },
      { addr: 0xf0000, size: 0x10000, type: 2 },
      { addr: 0x100000, size: 0x1ff00000, type: 1 },
    ]);
    expect(q.dmiBiosDate).toBeNull();
  });
});
