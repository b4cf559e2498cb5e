/**
 * @module
 * QEMU's `q35` machine (hw/i386/pc_q35.c, hw/pci-host/q35.c) as version 7.2 builds it: the MCH at
 * 00:00.0 with its PCIEXBAR, the root bus `pcie.0`, ICH9 LPC/AHCI/SMBus at 00:1f.{0,2,3}, and unless
 * `-nodefaults` the VGA at 00:01.0 and the default NIC (e1000e) at the first free slot. It answers the
 * guest's port I/O and MMIO exits (the VMM half of `kvm_cpu_exec()`) and builds the ACPI view the guest reads.
 */
import { PciBus, busFunctions, pciBusGetW64Range } from '../pci/bus.js';
import { PciHost, PciHostConfAddressRegion, PciHostConfDataRegion, PcieMmcfgRegion } from '../pci/host.js';
import { AddressSpace } from '../../system/memory.js';
import type { PciDevice } from '../pci/device.js';
import * as R from '../pci/regs.js';
import { acpiBusDevices, acpiExpanderHostBridges, crsFreeRanges, type CrsRangeSet } from './acpi-pci.js';
import { Q35Mch, Ich9Lpc, Ich9Ahci, Ich9Smbus, ICH9_LPC_PIRQA_ROUT, ICH9_LPC_PIRQE_ROUT } from '../pci-host/q35.js';
import { StdVga } from '../display/vga.js';
import { E1000e } from '../net/e1000e.js';
import { EhciPci, EHCI_PCI_INFO } from '../usb/hcd-ehci-pci.js';
import { Uhci, UHCI_INFO } from '../usb/hcd-uhci.js';
import { PCI_CONFIG_ADDR_PORT, PCI_CONFIG_DATA_PORT, type Machine } from '../core/machine.js';
import { x86IommuGetDefault } from './x86-iommu.js';
import { buildDmarQ35 } from './intel_iommu.js';
import type { AcpiPciDevice, AcpiTables, BootInfo, CrsWindow, E820Entry, PciConfigRegion } from './bootinfo.js';
import { AMD_HT_START, pcMemoryLayout, type PcMemoryLayout } from './pc.js';
import {
  OSC_PCI_EXPRESS_AER_CONTROL,
  OSC_PCI_EXPRESS_CAPABILITY_CONTROL,
  OSC_PCI_EXPRESS_DPC_CONTROL,
  OSC_PCI_EXPRESS_PME_CONTROL,
  OSC_PCI_SHPC_NATIVE_HP_CONTROL,
  OSC_PCI_EXPRESS_NATIVE_HP_CONTROL,
} from './bootinfo.js';

export const Q35_PCIEXBAR_BASE = 0xb0000000;
export const Q35_PCIEXBAR_SIZE = 0x10000000;
/** Q35_PCI_HOST_HOLE64_SIZE_DEFAULT */
export const Q35_PCI_HOST_HOLE64_SIZE_DEFAULT = 2 ** 35;

export interface Q35Options {
  /** -nodefaults: no VGA, no default NIC */
  nodefaults: boolean;
  /**
   * pc_vga_init(): `std` (the default; none with -nodefaults or a display -device: vl.c default_vga), `none`,
   * or what pci_vga_init() creates for another -vga (virtio-vga, qxl-vga, cirrus-vga), to plug at the first free slot
   */
  vga?: 'std' | 'none' | ((bus: PciBus) => PciDevice);
  /** -m, in bytes */
  ramBytes: number;
  /** -m maxmem= (default ramBytes): above ramBytes, device memory sits between RAM and the 64-bit hole */
  maxramBytes?: number;
  /** -m slots= (default 0): each adds 1 GiB of alignment room to the device memory */
  ramSlots?: number;
  /** -machine nvdimm=on: `-device nvdimm` allowed (NFIT and the DSDT's NVDR device; nothing PCI) */
  nvdimm?: boolean;
  /** CPU vendor: AMD vCPUs get the HyperTransport hole in E820 (TCG's qemu64 is AMD) */
  cpuVendor?: 'AuthenticAMD' | 'GenuineIntel' | 'HygonGenuine';
  /** ICH9-LPC.acpi-pci-hotplug-with-bridge-support (default on since QEMU 6.1) */
  acpiPciHotplugWithBridgeSupport: boolean;
  /** -machine acpi=on|off (x86_machine_is_acpi_enabled(): only `off` disables). Off: QEMU builds no ACPI tables */
  acpi?: boolean;
  /** -machine usb=on / -usb: ehci_create_ich9_with_companions(host_bus, 0x1d) */
  usb?: boolean;
  /**
   * The "accurate MCFG" proposal (Sean Christopherson, 2020): declare in MCFG only the buses in use plus
   * this many spare for hot-plug, instead of the whole PCIEXBAR window. Undefined: QEMU 7.2's behaviour.
   */
  accurateMcfgReserve?: number;
}

export class Q35Machine implements Machine {
  readonly name = 'q35';
  readonly defaultFirmware = 'seabios' as const;
  readonly conf1Ports = true;
  /** pc-q35-7.2: no compat properties (the newest machine type) */
  readonly compatProps = [] as const;
  /** q35_host_initfn(): "register q35 0xcf8 port as coalesced pio" */
  readonly coalescedPio = [{ port: PCI_CONFIG_ADDR_PORT, size: 4 }] as const;
  readonly rootBus: PciBus;
  readonly host: PciHost;
  readonly io = new AddressSpace('io');
  readonly memory = new AddressSpace('memory');
  readonly mch: Q35Mch;
  readonly lpc: Ich9Lpc;

  readonly memoryLayout: PcMemoryLayout;

  get ramBytes(): number {
    return this.opts.ramBytes;
  }

  /** x86_machine_is_acpi_enabled(): false with -machine acpi=off */
  get acpiEnabled(): boolean {
    return this.opts.acpi ?? true;
  }

  constructor(readonly opts: Q35Options) {
    // pc_q35_init(): leave 1/2 GiB for I/O and 256 MiB for MMCONFIG below 4 GiB, split at 2 GiB when RAM would not fit
    const lowmem = opts.ramBytes >= 0xb0000000 ? 0x80000000 : 0xb0000000;
    const split = opts.ramBytes >= lowmem ? { below4g: lowmem, above4g: opts.ramBytes - lowmem } : { below4g: opts.ramBytes, above4g: 0 };
    this.memoryLayout = pcMemoryLayout(
      { ramBytes: opts.ramBytes, maxramBytes: opts.maxramBytes ?? opts.ramBytes, ramSlots: opts.ramSlots ?? 0 },
      split,
      { amd: (opts.cpuVendor ?? 'AuthenticAMD') === 'AuthenticAMD', physBits: 40, pciHole64Size: Q35_PCI_HOST_HOLE64_SIZE_DEFAULT },
    );
    this.rootBus = new PciBus('pcie.0', true, null);
    this.host = new PciHost(this.rootBus);
    this.mch = new Q35Mch();
    // q35_host_initfn(): the config ports; the ECAM window is mapped once the firmware enables PCIEXBAR
    this.io.insert('pci-conf-idx', PCI_CONFIG_ADDR_PORT, 4, new PciHostConfAddressRegion(this.host, true));
    this.io.insert('pci-conf-data', PCI_CONFIG_DATA_PORT, 4, new PciHostConfDataRegion(this.host));
    const mmcfg = new PcieMmcfgRegion(this.host);
    this.mch.onPciexbar = (s) => {
      // pcie_host_mmcfg_update(): unmap, then map at the new base
      this.memory.remove(mmcfg);
      this.host.mmcfgBase = s.enabled ? s.base : -1;
      this.host.mmcfgSize = s.enabled ? s.size : 0;
      if (s.enabled) this.memory.insert('pcie-mmcfg-mmio', s.base, s.size, mmcfg);
    };
    this.rootBus.plug(this.mch, 0);
    const vga = opts.vga ?? (opts.nodefaults ? 'none' : 'std');
    if (vga === 'std') {
      // pc_vga_init(): std VGA is the default display; its ROM is vgabios-stdvga.bin, 64 KiB once rounded
      this.rootBus.plug(new StdVga({ vgamemMb: 16, mmio: true, romSize: 0x10000 }), R.PCI_DEVFN(1, 0));
    } else if (vga !== 'none') {
      // pci_vga_init(): pci_create_simple(bus, -1, ...), the first free slot (01.0)
      this.rootBus.plug(vga(this.rootBus), -1);
    }
    this.lpc = new Ich9Lpc();
    this.rootBus.plug(this.lpc, R.PCI_DEVFN(0x1f, 0));
    this.rootBus.plug(new Ich9Ahci(), R.PCI_DEVFN(0x1f, 2));
    if (opts.usb) this.ehciCreateIch9WithCompanions(0x1d);
    this.rootBus.plug(new Ich9Smbus(), R.PCI_DEVFN(0x1f, 3));
  }

  /**
   * ehci_create_ich9_with_companions() (hw/i386/pc_q35.c): the EHCI at function 7 of the slot, then its three
   * UHCI companions at functions 0-2 (ports 0, 2, 4), every one multifunction; slot 0x1d gets ehci1 and
   * uhci1-3, slot 0x1a ehci2 and uhci4-6
   */
  ehciCreateIch9WithCompanions(slot: 0x1d | 0x1a): void {
    const ehci = new EhciPci(EHCI_PCI_INFO.find((i) => i.name === (slot === 0x1d ? 'ich9-usb-ehci1' : 'ich9-usb-ehci2'))!);
    ehci.multifunction = true;
    this.rootBus.plug(ehci, R.PCI_DEVFN(slot, 7));
    const first = slot === 0x1d ? 1 : 4;
    for (let i = 0; i < 3; i++) {
      const uhci = new Uhci(UHCI_INFO.find((u) => u.name === `ich9-usb-uhci${first + i}`)!);
      uhci.multifunction = true;
      this.rootBus.plug(uhci, R.PCI_DEVFN(slot, i));
    }
  }

  /** pc_nic_init(): the default NIC goes to the first free slot, after -device functions took theirs */
  addDefaultNic(): void {
    if (this.opts.nodefaults) return;
    // efi-e1000e.rom is 197 KiB in Debian's ipxe-qemu; the ROM BAR rounds it to 256 KiB
    this.rootBus.plug(new E1000e({ romSize: 0x40000, mac: [0x52, 0x54, 0x00, 0x12, 0x34, 0x56] }), -1);
  }

  // --- VmOps: what QEMU's I/O and memory address spaces answer ---
  // The config-data window is checked first, as QEMU's dispatch tries its most recently used section first:
  // the region mapped there is the host's (nothing can overlap it), so this is the address space's answer
  // with the lookup and two calls saved on the hottest path. pc's dispatch is the same, written out there too:
  // a shared helper costs V8 an inlining level here (~2 ns per access).
  pioRead(port: number, size: number): number {
    if (port >= PCI_CONFIG_DATA_PORT && port < PCI_CONFIG_DATA_PORT + 4) return this.host.readConfigData(port - PCI_CONFIG_DATA_PORT, size);
    return this.io.read(port, size);
  }

  pioWrite(port: number, size: number, value: number): void {
    if (port >= PCI_CONFIG_DATA_PORT && port < PCI_CONFIG_DATA_PORT + 4) this.host.writeConfigData(port - PCI_CONFIG_DATA_PORT, size, value);
    else if (port === PCI_CONFIG_ADDR_PORT) this.host.writeConfigAddress(0, size, value); // the latch, likewise
    else this.io.write(port, size, value);
  }

  // `gpa` as the vCPU gives it (@sim/kvm's Gpa: below 4 GiB possibly the int32 of its bits)
  // the ECAM window first, likewise: the host's mmcfg region is mapped exactly where the host decodes
  mmioRead(gpa: number, size: number): number {
    const off = this.host.mmcfgOffset(gpa);
    return off >= 0 ? this.host.readMmcfg(off, size) : this.memory.read(gpa, size);
  }

  mmioWrite(gpa: number, size: number, value: number): void {
    const off = this.host.mmcfgOffset(gpa);
    if (off >= 0) this.host.writeMmcfg(off, size, value);
    else this.memory.write(gpa, size, value);
  }

  /** every function, in bus-walk order */
  functions(): { bus: number; dev: PciDevice }[] {
    return busFunctions(this.rootBus);
  }

  /** The tables QEMU's hw/i386/acpi-build.c writes for this machine, and SeaBIOS's E820. */
  bootInfo(cmdline: string): BootInfo {
    const l = this.memoryLayout;
    const lowRam = l.below4g;
    const e820: E820Entry[] = [
      { addr: 0, size: 0x9fc00, type: 1 },
      { addr: 0x9fc00, size: 0x400, type: 2 },
      { addr: 0xf0000, size: 0x10000, type: 2 },
      { addr: 0x100000, size: lowRam - 0x100000 - 0x20000, type: 1 },
      { addr: lowRam - 0x20000, size: 0x20000, type: 2 },
      { addr: Q35_PCIEXBAR_BASE, size: Q35_PCIEXBAR_SIZE, type: 2 },
      { addr: 0xfeffc000, size: 0x4000, type: 2 },
      { addr: 0xfffc0000, size: 0x40000, type: 2 },
    ];
    // pc_memory_init(): RAM above 4 GiB, and AMD's HyperTransport hole (reference/q35-mem-4g.console.log)
    if (l.above4g > 0) e820.push({ addr: l.above4gStart, size: l.above4g, type: 1 });
    if ((this.opts.cpuVendor ?? 'AuthenticAMD') === 'AuthenticAMD') e820.push({ addr: AMD_HT_START, size: 2 ** 40 - AMD_HT_START, type: 2 });
    const lpcRegion: PciConfigRegion = { bus: 0, devfn: this.lpc.devfn, path: [0x001f0000] };
    const links: AcpiTables['links'] = [];
    const names = 'ABCDEFGH';
    for (let i = 0; i < 8; i++) {
      const offset = i < 4 ? ICH9_LPC_PIRQA_ROUT + i : ICH9_LPC_PIRQE_ROUT + i - 4;
      links.push({ name: `LNK${names[i]}`, pirqReg: { region: lpcRegion, offset } });
    }
    for (let i = 0; i < 8; i++) links.push({ name: `GSI${names[i]}`, pirqReg: null });
    // build_q35_osc_method(): PCIeHotplug is withheld while ACPI PCI hotplug is on (SHPC is not); LTR never granted
    let grant =
      OSC_PCI_EXPRESS_PME_CONTROL |
      OSC_PCI_EXPRESS_AER_CONTROL |
      OSC_PCI_EXPRESS_CAPABILITY_CONTROL |
      OSC_PCI_EXPRESS_DPC_CONTROL |
      OSC_PCI_SHPC_NATIVE_HP_CONTROL;
    // build_q35_osc_method(): 0x1E (SHPC | PME | AER | PCIeCapability) always, PCIeHotplug without ACPI hot-plug
    if (!this.opts.acpiPciHotplugWithBridgeSupport) grant |= OSC_PCI_EXPRESS_NATIVE_HP_CONTROL;
    const iommu = x86IommuGetDefault(this);
    const pxb = acpiExpanderHostBridges(this.rootBus);
    return {
      cmdline,
      e820,
      acpi: {
        mcfg: [{ base: Q35_PCIEXBAR_BASE, segment: 0, startBus: 0, endBus: this.mcfgEndBus() }],
        hostBridges: [
          {
            hid: 'PNP0A08',
            segment: 0,
            busStart: 0,
            busEnd: pxb.rootBusLimit,
            osc: { grantMask: grant },
            devices: acpiBusDevices(this.rootBus, false, this.opts.acpiPciHotplugWithBridgeSupport),
            windows: this.crsWindows(pxb.used),
          },
          ...pxb.bridges,
        ],
        links,
        // acpi_build(): the vIOMMU's table (an amd-iommu's IVRS and a virtio-iommu-pci's VIOT have no reader in the guest)
        ...(iommu?.type === 'intel' ? { dmar: buildDmarQ35(iommu) } : {}),
      },
      dmiBiosDate: '04/01/2014',
    };
  }

  /**
   * build_crs() for the q35 root bus: I/O around the config ports, the VGA hole, the 32-bit PCI hole from the
   * end of low RAM to PCIEXBAR and from its end to the IOAPIC, and pci_hole64: 32 GiB from pc_pci_hole64_start()
   * (after RAM above 4 GiB and device memory), as q35_host_get_pci_hole64_start/end() give it with no 64-bit BAR
   * mapped there (SeaBIOS maps 64-bit BARs high only when the 32-bit window runs out).
   */
  crsWindows(used: CrsRangeSet = { io: [], mem: [], mem64: [] }): CrsWindow[] {
    const lowRam = this.memoryLayout.below4g;
    const hole64 = this.pciHole64();
    // crs_replace_with_free_ranges(): what the expander host bridges decode is left out; PCIEXBAR is used too
    const mem = crsFreeRanges([...used.mem, [Q35_PCIEXBAR_BASE, Q35_PCIEXBAR_BASE + Q35_PCIEXBAR_SIZE - 1]], lowRam, 0xfebfffff);
    return [
      { kind: 'io', min: 0x0000, max: 0x0cf7 },
      ...crsFreeRanges(used.io, 0x0d00, 0xffff).map(([min, max]): CrsWindow => ({ kind: 'io', min, max })),
      { kind: 'mem', min: 0x000a0000, max: 0x000bffff },
      ...mem.map(([min, max]): CrsWindow => ({ kind: 'mem', min, max })),
      ...crsFreeRanges(used.mem64, hole64.start, hole64.end - 1).map(([min, max]): CrsWindow => ({ kind: 'mem64', min, max })),
    ];
  }

  /**
   * q35_host_get_pci_hole64_start/end(): from what the firmware mapped above 4 GiB (pci_bus_get_w64_range()),
   * else from pc_pci_hole64_start(); at least pci_hole64_size (32 GiB) long, rounded to 1 GiB
   * (reference/q35-mem-hotplug-bar64: a 4 GiB BAR at 16 GiB makes the window 16-48 GiB)
   */
  pciHole64(): { start: number; end: number } {
    const w64 = pciBusGetW64Range(this.rootBus);
    const start = w64 ? w64.lob : this.memoryLayout.pciHole64Start;
    const end = Math.ceil((start + Q35_PCI_HOST_HOLE64_SIZE_DEFAULT) / 2 ** 30) * 2 ** 30;
    return { start, end: Math.max(end, w64 ? w64.upb + 1 : 0) };
  }

  /** the last bus MCFG declares: the whole window, or (accurate MCFG) the highest bus in use plus the reserve */
  mcfgEndBus(): number {
    const all = (Q35_PCIEXBAR_SIZE >>> 20) - 1;
    if (this.opts.accurateMcfgReserve === undefined) return all;
    let max = 0;
    for (const bus of this.rootBus.walk()) {
      const b = bus.parentBridge;
      if (b) max = Math.max(max, b.config[R.PCI_SUBORDINATE_BUS]!, bus.number);
    }
    return Math.min(all, max + this.opts.accurateMcfgReserve);
  }


}




