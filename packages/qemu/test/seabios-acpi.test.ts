/**
 * SeaBIOS's own ACPI tables (src/fw/acpi.c acpi_setup()), built when -machine acpi=off leaves it no
 * etc/table-loader: on q35 from the ICH9 LPC, on pc (no PIIX4 PM then) none at all.
 */
import { describe, expect, it } from 'vitest';
import { PcMachine, Q35Machine, Seabios, qemuCreateMachine, parseQemuArgs } from '../src/index.js';
import { cpuOn } from './helpers.js';

describe('SeaBIOS acpi_setup() without the table loader', () => {
  it('q35: PNP0A03 PCI0 without _OSC, LNKA-D on 00:01.0 0x60.., the SSDT slots and build_mcfg_q35()', () => {
    const m = new Q35Machine({ nodefaults: false, ramBytes: 512 << 20, acpiPciHotplugWithBridgeSupport: true, acpi: false });
    const bios = new Seabios(cpuOn(m), { machine: 'q35', ramBytes: 512 << 20, tableLoader: false });
    bios.run();
    const t = bios.acpiTables;
    expect(t).toBeTruthy();
    if (!t) return;
    expect(t.mcfg).toEqual([{ base: 0xb0000000, segment: 0, startBus: 0, endBus: 255 }]);
    const [pci0] = t.hostBridges;
    expect(pci0?.hid).toBe('PNP0A03');
    expect(pci0?.osc).toBeNull();
    expect(t.links.map((l) => [l.name, l.pirqReg?.region.devfn, l.pirqReg?.offset])).toEqual([
      ['LNKA', 0x08, 0x60],
      ['LNKB', 0x08, 0x61],
      ['LNKC', 0x08, 0x62],
      ['LNKD', 0x08, 0x63],
      ['LNKS', undefined, undefined],
    ]);
    // nothing answers PCI_RMV_BASE on q35: every S01..S1F keeps its _EJ0
    expect(m.io.read(0xae0c, 4) >>> 0).toBe(0xffffffff);
    const slots = pci0?.devices.filter((d) => d.sun !== undefined) ?? [];
    expect(slots.map((d) => d.sun)).toEqual(Array.from({ length: 31 }, (_, i) => i + 1));
    expect(slots.every((d) => d.ej0)).toBe(true);
    // the DSDT's other PCI_Config fields: VGA's VEND (00:02.0), PX13's LEON and CMEN (00:01.3, read by _STA)
    expect(t.scanFieldReads?.map((f) => [f.region.devfn, f.offset, f.size, f.sta])).toEqual([
      [0x10, 0x00, 4, false],
      [0x0b, 0x5f, 1, true],
      [0x0b, 0x67, 1, true],
      [0x0b, 0x67, 1, true],
    ]);
    // _CRS's PW32 is SeaBIOS's pcimem window: from the end of PCIEXBAR to the IOAPIC
    expect(pci0?.windows?.find((w) => w.kind === 'mem' && w.min !== 0xa0000)).toEqual({ kind: 'mem', min: 0xc0000000, max: 0xfebfffff });
  });

  it('pc: no PIIX4 PM, so acpi_setup() finds no device and there is no RSDP', () => {
    const m = new PcMachine({ nodefaults: false, ramBytes: 512 << 20, acpi: false });
    const bios = new Seabios(cpuOn(m), { machine: 'pc', ramBytes: 512 << 20, tableLoader: false });
    bios.run();
    expect(bios.acpiTables).toBeNull();
    expect(m.bootInfo('').acpi).toBeNull();
  });

  it("with QEMU's table loader SeaBIOS builds nothing of its own", () => {
    const m = new Q35Machine({ nodefaults: false, ramBytes: 512 << 20, acpiPciHotplugWithBridgeSupport: true });
    const bios = new Seabios(cpuOn(m), { machine: 'q35', ramBytes: 512 << 20 });
    bios.run();
    expect(bios.acpiTables).toBeUndefined();
  });

  it('-machine acpi=off is accepted on q35 and pc; another value is refused in QEMU words', () => {
    for (const machine of ['q35', 'pc']) {
      const mach = qemuCreateMachine(parseQemuArgs(['-machine', `${machine},acpi=off`]));
      expect(mach.acpiEnabled).toBe(false);
    }
    expect(() => qemuCreateMachine(parseQemuArgs(['-machine', 'pc,acpi=maybe']))).toThrow("Parameter 'acpi' does not accept value 'maybe'");
  });
});
