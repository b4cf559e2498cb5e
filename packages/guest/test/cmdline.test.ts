import { describe, expect, it } from 'vitest';
import { Linux, type BootInfo } from '../src/index.js';
import { KERNEL_PARAMS, parseCmdline } from '../src/cmdline.js';
import { fakeCpu, hostBridge } from './helpers.js';

/** ACPI tables with nothing in them but the MADT's processors (no MCFG, no host bridge, no link) */
const withAcpi = (cmdline: string, cpus = 1): BootInfo => ({
  cmdline,
  e820: [],
  acpi: { mcfg: [], hostBridges: [], links: [] },
  dmiBiosDate: '04/01/2014',
  cpus,
});

/** one machine: the q35 MCH at 00:00.0 and a device with an interrupt pin at 00:02.0 (IRQ line 11) */
function machine(vendor: string) {
  const nic = new Uint8Array(256);
  nic.set([0x86, 0x80, 0xd3, 0x10], 0);
  nic[0x0b] = 0x02;
  nic[0x3c] = 11;
  nic[0x3d] = 1;
  return fakeCpu(new Map([[0x0000, hostBridge()], [0x0010, nic]]), vendor);
}

/** the reads of 00:18.0 offset 0x68: early_init_amd()'s extended-APIC look, once per identify */
const k8Reads = (log: string[]) => log.filter((l) => l === 'r c0 68').length;

describe('kernel parameters (cmdline.ts)', () => {
  it('each pci= word is modelled or listed; parameters with no PCI effect are not', () => {
    const o = parseCmdline('console=ttyS0 panic=0 pci=noaer,nobar,realloc=off,lastbus=0x3 pcie_ports=compat pcie_aspm=force acpi=noirq foo=1 -- pci=nomsi');
    expect(o.noAer).toBe(true);
    expect(o.realloc).toBe('off');
    expect(o.lastBus).toBe(3);
    expect(o.pciePortsCompat).toBe(true);
    expect(o.aspmForce).toBe(true);
    expect(o.acpiNoirq).toBe(true);
    // after "--" the words are init's
    expect(o.noMsi).toBe(false);
    expect(o.ignored).toEqual(['pci=nobar', 'foo=1']);
  });

  it('pci=noacpi alone also disables ACPI PCI (parse_pci()); inside a list it is only acpi_noirq (pcibios_setup())', () => {
    expect(parseCmdline('pci=noacpi')).toMatchObject({ acpiPciDisabled: true, acpiNoirq: true });
    expect(parseCmdline('pci=nomsi,noacpi')).toMatchObject({ acpiPciDisabled: false, acpiNoirq: true, noMsi: true });
  });

  it('one table holds the modelled parameters, each named as Linux spells it', () => {
    expect([...KERNEL_PARAMS.keys()].sort()).toEqual(['acpi', 'acpiphp.disable', 'intel_iommu', 'iommu', 'pci', 'pcie_aspm', 'pcie_ports']);
    expect(parseCmdline('acpi=strict').ignored).toEqual(['acpi=strict']);
  });
});

describe('-smp: each CPU identifies itself (smpboot.ts)', () => {
  it('on AuthenticAMD family 15, early_init_amd() reads 00:18.0 0x68 at early_cpu_init, identify_boot_cpu and once per secondary CPU', () => {
    for (const cpus of [1, 2, 4]) {
      const m = machine('AuthenticAMD');
      new Linux(m.cpu, withAcpi('', cpus)).boot();
      expect(k8Reads(m.log)).toBe(2 + (cpus - 1));
    }
  });

  it('on GenuineIntel no CPU reads it', () => {
    const m = machine('GenuineIntel');
    new Linux(m.cpu, withAcpi('', 4)).boot();
    expect(k8Reads(m.log)).toBe(0);
  });

  it('acpi=off and pci=noacpi: acpi_mps_check() clears the local APIC after early_cpu_init, so one read and one CPU', () => {
    for (const cmdline of ['acpi=off', 'pci=noacpi', 'acpi=noirq']) {
      const m = machine('AuthenticAMD');
      const linux = new Linux(m.cpu, withAcpi(cmdline, 4));
      linux.boot();
      expect(k8Reads(m.log)).toBe(1);
      expect(linux.log).toContain('ACPI: MPS support code is not built-in, using acpi=off or acpi=noirq or pci=noacpi may have problem');
    }
  });
});

describe('acpi=off and pci=conf2', () => {
  it('acpi=off: no MCFG is read, bus 0 is scanned by pci_legacy_init, and pcibios_fixup_irqs() reads each interrupt pin', () => {
    const m = machine('GenuineIntel');
    const info = withAcpi('acpi=off');
    info.acpi!.mcfg.push({ base: 0xb0000000, segment: 0, startBus: 0, endBus: 255 });
    const linux = new Linux(m.cpu, info);
    const found = linux.boot();
    expect(linux.baseAccess).toBe('conf1');
    expect(found.map((d) => d.devfn)).toEqual([0x00, 0x10]);
    // the pin reads: pci_read_irq() at the scan (00:02.0 then its line), pcibios_fixup_irqs() once per device
    expect(m.log.filter((l) => l === 'r 0 3d').length).toBe(2);
    expect(m.log.filter((l) => l === 'r 10 3d').length).toBe(2);
    // no peer-bus scan: pcibios_last_bus stays -1 without MCFG
    expect(m.log.some((l) => /^r 1\d\d /.test(l))).toBe(false);
  });

  it('pci=conf2 on a machine without type 2: amd_postcore_init() makes no early read (early_pci_allowed() is false), nothing is found', () => {
    const m = machine('AuthenticAMD');
    const linux = new Linux(m.cpu, withAcpi('pci=conf2'));
    expect(linux.boot()).toEqual([]);
    expect(m.log.filter((l) => l === 'r c0 0').length).toBe(0);
    expect(linux.log).toContain('PCI: Fatal: No config space access function found');
    // early_init_amd() is not gated: early_cpu_init and identify_boot_cpu
    expect(k8Reads(m.log)).toBe(2);
  });
});
