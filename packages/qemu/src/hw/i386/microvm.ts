/**
 * @module
 * QEMU's `microvm` machine (hw/i386/microvm.c, hw/i386/acpi-microvm.c) as version 7.2 builds it. There is no
 * i440FX/Q35 chipset and no port 0xcf8/0xcfc: a guest's type-1 probe reads all-ones from unassigned I/O.
 * With `pcie=on` (which needs ACPI: `acpi=off` silently drops it) a GPEX host (hw/pci-host/gpex.c) is mapped:
 * ECAM at 0xe0000000 (256 MiB, buses 0-255), a 32-bit window at 0xc0000000 (512 MiB), a 64-bit window over the
 * top quarter of the physical address space, INTx on four consecutive GSIs, root bus `pcie.0` with `gpex-root`
 * at 00:00.0 and the `-device` functions after it. ACPI has no MCFG: the ECAM is found through `PCI0._CBA`.
 *
 * virtio-mmio transports (0xfeb00000, 512 bytes apart) carry `-device virtio-*-device`; with ACPI off and a
 * `-kernel`, `microvm_fix_kernel_cmdline()` appends one `virtio_mmio.device=` per used transport.
 */
import { PciBus, busFunctions } from '../pci/bus.js';
import { PciHost, PcieMmcfgRegion } from '../pci/host.js';
import { AddressSpace } from '../../system/memory.js';
import type { PciDevice } from '../pci/device.js';
import { QemuError } from '../../errors.js';
import { GpexRoot, acpiDsdtAddGpex, gpexGsiLinks, PCIE_MMCFG_SIZE_MAX, type GpexConfig, type GpexAcpiHostBridge } from '../pci-host/gpex.js';
import { qbootE820 } from './pc-piix.js';
import type { FirmwareKind, Machine } from '../core/machine.js';
import type { AcpiTables, BootInfo, E820Entry } from './bootinfo.js';

export const VIRTIO_MMIO_BASE = 0xfeb00000;
export const VIRTIO_MMIO_SIZE = 512;
/** VIRTIO_CMDLINE_MAXLEN */
export const VIRTIO_CMDLINE_MAXLEN = 64;
export const GED_MMIO_BASE = 0xfea00000;
export const GED_MMIO_IRQ = 9;
export const PCIE_MMIO_BASE = 0xc0000000;
export const PCIE_MMIO_SIZE = 0x20000000;
export const PCIE_ECAM_BASE = 0xe0000000;
export const PCIE_ECAM_SIZE = 0x10000000;
/** IOAPIC_NUM_PINS */
export const IOAPIC_NUM_PINS = 24;
/** IO_APIC_SECONDARY_IRQBASE: the second IOAPIC's first GSI */
export const IO_APIC_SECONDARY_IRQBASE = 24;

export type OnOffAuto = 'on' | 'off' | 'auto';

export interface MicrovmOptions {
  /** -m, in bytes */
  ramBytes: number;
  /** `pcie` (default auto = off) */
  pcie?: OnOffAuto;
  /** x86 machine `acpi` (default auto = on) */
  acpi?: OnOffAuto;
  /** `ioapic2` (default auto: on when ACPI is) */
  ioapic2?: OnOffAuto;
  /** x86 machine `pic`, `pit`; microvm `rtc` (auto: off under KVM, on otherwise) */
  pic?: OnOffAuto;
  pit?: OnOffAuto;
  rtc?: OnOffAuto;
  /** `isa-serial` (default on) */
  isaSerial?: boolean;
  /** `x-option-roms` (default on): load option ROMs through fw_cfg */
  optionRoms?: boolean;
  /** `auto-kernel-cmdline` (default on) */
  autoKernelCmdline?: boolean;
  /** a `-kernel` was given (direct kernel boot; the reference boots do) */
  kernel?: boolean;
  /** the accelerator is KVM (decides rtc=auto) */
  kvm?: boolean;
  /** vCPU physical address bits: microvm forces host-phys-bits; TCG's qemu64 has 40 */
  physBits?: number;
  /** firmware: `-bios`, default qboot (Debian's bios-microvm.bin is a symlink to qboot.rom) */
  firmware?: FirmwareKind;
}

/** One `virtio-mmio` transport (sysbus_create_simple("virtio-mmio", VIRTIO_MMIO_BASE + i * 512, gsi[base + i])). */
export interface VirtioMmioTransport {
  index: number;
  base: number;
  gsi: number;
  /** the virtio device on its bus (`virtio-mmio-bus.<index>`), if any */
  device: string | null;
}

export class MicrovmMachine implements Machine {
  readonly name = 'microvm';
  /** x86_bios_rom_init(): bios-microvm.bin with ACPI, qboot.rom without; on Debian both are qboot */
  readonly defaultFirmware = 'qboot' as const;
  readonly conf1Ports = false;
  /** no port QEMU's microvm decodes for PCI: every port read is unassigned I/O and returns all-ones */
  readonly io = new AddressSpace('io');
  readonly memory = new AddressSpace('memory');
  readonly host: PciHost | null;
  readonly rootBus: PciBus | null;
  readonly gpexRoot: GpexRoot | null;
  /** struct GPEXConfig, when the GPEX host exists */
  readonly gpex: GpexConfig | null;
  readonly transports: VirtioMmioTransport[] = [];
  readonly acpiEnabled: boolean;
  readonly ioapics: number;
  /** pcie_irq_base: INTA-INTD GSIs (16-19 with ioapic2, 12-15 with ACPI alone) */
  readonly pcieIrqBase: number;
  readonly virtioIrqBase: number;
  readonly rtcEnabled: boolean;
  readonly below4gMemSize: number;
  readonly above4gMemSize: number;
  private kernelCmdlineFixed = false;
  private fixedCmdline: string | null = null;

  get ramBytes(): number {
    return this.opts.ramBytes;
  }

  constructor(readonly opts: MicrovmOptions) {
    // microvm_memory_init(): lowmem is 3 GiB
    const lowmem = 0xc0000000;
    this.below4gMemSize = opts.ramBytes > lowmem ? lowmem : opts.ramBytes;
    this.above4gMemSize = opts.ramBytes > lowmem ? opts.ramBytes - lowmem : 0;

    // x86_machine_is_acpi_enabled(): only `off` disables
    this.acpiEnabled = (opts.acpi ?? 'auto') !== 'off';
    // microvm_ioapics()
    this.ioapics = !this.acpiEnabled || opts.ioapic2 === 'off' ? 1 : 2;
    // microvm_devices_init()
    let virtioIrqBase = 5;
    let transports = 8;
    let pcieIrqBase = 0;
    if (this.ioapics > 1) {
      pcieIrqBase = 16; // 16 -> 19
      virtioIrqBase = IO_APIC_SECONDARY_IRQBASE; // second ioapic (24 -> 47) for virtio-mmio irq lines
      transports = IOAPIC_NUM_PINS;
    } else if (this.acpiEnabled) {
      pcieIrqBase = 12; // 12 -> 15
      virtioIrqBase = 16; // 16 -> 23
    }
    this.pcieIrqBase = pcieIrqBase;
    this.virtioIrqBase = virtioIrqBase;
    for (let i = 0; i < transports; i++) {
      this.transports.push({ index: i, base: VIRTIO_MMIO_BASE + i * VIRTIO_MMIO_SIZE, gsi: virtioIrqBase + i, device: null });
    }
    const rtc = opts.rtc ?? 'auto';
    this.rtcEnabled = rtc === 'on' || (rtc === 'auto' && !(opts.kvm ?? false));

    if (this.acpiEnabled && opts.pcie === 'on') {
      // use topmost 25% of the address space available
      const physSize = 2 ** (opts.physBits ?? 40);
      const mmio64 = physSize > 0x1000000 ? { base: physSize - physSize / 4, size: physSize / 4 } : { base: 0, size: 0 };
      this.gpex = {
        ecam: { base: PCIE_ECAM_BASE, size: PCIE_ECAM_SIZE },
        mmio32: { base: PCIE_MMIO_BASE, size: PCIE_MMIO_SIZE },
        mmio64,
        pio: { base: 0, size: 0 }, // no I/O window (hence the global pcie-root-port.io-reserve=0)
        irq: pcieIrqBase,
      };
      // create_gpex() → gpex_host_realize(): root bus "pcie.0" (TYPE_PCIE_BUS), gpex-root at devfn 0
      this.rootBus = new PciBus('pcie.0', true, null);
      this.host = new PciHost(this.rootBus);
      // pcie_host_mmcfg_init(pex, PCIE_MMCFG_SIZE_MAX); the "pcie-ecam" alias maps its first ecam.size bytes
      this.host.mmcfgBase = PCIE_ECAM_BASE;
      this.host.mmcfgSize = Math.min(PCIE_ECAM_SIZE, PCIE_MMCFG_SIZE_MAX);
      this.memory.insert('pcie-ecam', this.host.mmcfgBase, this.host.mmcfgSize, new PcieMmcfgRegion(this.host));
      this.gpexRoot = new GpexRoot();
      this.plug(this.gpexRoot, 0);
    } else {
      this.gpex = null;
      this.rootBus = null;
      this.host = null;
      this.gpexRoot = null;
    }
  }

  /** the PCI bus a `-device` PCI function goes to, or QEMU's error when there is none */
  pciBus(deviceType: string): PciBus {
    if (!this.rootBus) throw new QemuError('BUS_NOT_FOUND', `No 'PCI' bus found for device '${deviceType}'`);
    return this.rootBus;
  }

  /** Plug a cold-plugged PCI function (realize, then the state a system reset leaves). */
  plug(dev: PciDevice, devfn: number): void {
    this.pciBus(dev.typeName).plug(dev, devfn);
    dev.reset();
  }

  /**
   * `-device virtio-*-device` without `bus=`: qbus_find_recursive() walks the sysbus children newest first
   * (bus_add_child() inserts at the head), so the first device takes the highest-numbered free transport.
   */
  plugVirtioMmio(deviceType: string): VirtioMmioTransport {
    for (let i = this.transports.length - 1; i >= 0; i--) {
      const t = this.transports[i]!;
      if (t.device === null) {
        t.device = deviceType;
        return t;
      }
    }
    throw new QemuError('BUS_NOT_FOUND', `No 'virtio-bus' bus found for device '${deviceType}'`);
  }

  /** qemu_system_reset() for the PCI functions */
  reset(): void {
    for (const { dev } of this.functions()) dev.reset();
  }

  /**
   * microvm_machine_reset(): at the first reset, with ACPI off, a kernel and auto-kernel-cmdline on,
   * microvm_fix_kernel_cmdline() rewrites FW_CFG_CMDLINE. Returns the command line the guest reads.
   */
  kernelCmdline(cmdline: string): string {
    if (this.kernelCmdlineFixed && this.fixedCmdline !== null) return this.fixedCmdline;
    if (!this.acpiEnabled && (this.opts.kernel ?? true) && (this.opts.autoKernelCmdline ?? true)) {
      this.fixedCmdline = this.fixKernelCmdline(cmdline);
      this.kernelCmdlineFixed = true;
      return this.fixedCmdline;
    }
    return cmdline;
  }

  /** microvm_fix_kernel_cmdline(): sysbus children newest first, one entry per transport with a device */
  private fixKernelCmdline(cmdline: string): string {
    let out = cmdline;
    for (let i = this.transports.length - 1; i >= 0; i--) {
      const t = this.transports[i]!;
      if (t.device === null) continue;
      // microvm_get_mmio_cmdline(): " virtio_mmio.device=512@0x%lx:%ld", at most VIRTIO_CMDLINE_MAXLEN - 1 chars
      const s = ` virtio_mmio.device=512@0x${t.base.toString(16)}:${this.virtioIrqBase + t.index}`;
      if (s.length < VIRTIO_CMDLINE_MAXLEN) out += s;
    }
    return out;
  }

  // --- VmOps: the I/O and memory address spaces ---
  pioRead(port: number, size: number): number {
    return this.io.read(port, size);
  }

  pioWrite(port: number, size: number, value: number): void {
    this.io.write(port, size, value);
  }

  // `gpa` as the vCPU gives it (@sim/kvm's Gpa: below 4 GiB possibly the int32 of its bits); outside ECAM,
  // unassigned or the GPEX windows' allow-unmapped-accesses background: all-ones
  // the ECAM window first (the address space's answer there, without the lookup: see Q35Machine)
  mmioRead(gpa: number, size: number): number {
    const h = this.host;
    const off = h === null ? -1 : h.mmcfgOffset(gpa);
    return off >= 0 ? h!.readMmcfg(off, size) : this.memory.read(gpa, size);
  }

  mmioWrite(gpa: number, size: number, value: number): void {
    const h = this.host;
    const off = h === null ? -1 : h.mmcfgOffset(gpa);
    if (off >= 0) h!.writeMmcfg(off, size, value);
    else this.memory.write(gpa, size, value);
  }

  functions(): { bus: number; dev: PciDevice }[] {
    return busFunctions(this.rootBus);
  }

  /** What firmware hands the kernel: qboot's E820, the ACPI tables of acpi-microvm.c, no SMBIOS. */
  bootInfo(cmdline: string): BootInfo {
    return {
      cmdline: this.kernelCmdline(cmdline),
      e820: this.e820(),
      acpi: this.acpiEnabled ? this.acpiTables() : null,
      dmiBiosDate: null, // microvm provides no SMBIOS tables: "DMI not present or invalid."
    };
  }

  /** microvm_memory_init()'s `etc/e820`, as the firmware extends it (reference/microvm-pcie.console.log) */
  private e820(): E820Entry[] {
    const qemu: E820Entry[] = [{ addr: 0, size: this.below4gMemSize, type: 1 }];
    if (this.above4gMemSize > 0) qemu.push({ addr: 2 ** 32, size: this.above4gMemSize, type: 1 });
    const fw = this.opts.firmware ?? 'qboot';
    return fw === 'none' ? qemu : qbootE820(qemu);
  }

  /**
   * build_dsdt_microvm() + acpi_build_microvm(): FACP (hardware-reduced), DSDT, APIC — and no MCFG. The PCI
   * part is acpi_dsdt_add_gpex() when pcie=on; no interrupt link reads config space (GSI links only).
   */
  private acpiTables(): AcpiTables & { hostBridges: GpexAcpiHostBridge[] } {
    if (!this.gpex) return { mcfg: [], hostBridges: [], links: [] };
    return { mcfg: [], hostBridges: [acpiDsdtAddGpex(this.gpex)], links: gpexGsiLinks(this.gpex) };
  }
}

/**
 * Parse `-machine microvm,<props>` properties into options, with QEMU's messages: OnOffAuto values
 * (`Parameter 'pcie' does not accept value 'x'`), booleans (`Parameter 'isa-serial' expects 'on' or 'off'`),
 * unknown names (`Property 'microvm-machine.x' not found`).
 */
export function microvmOptionsFromProperties(props: [string, string][], base: MicrovmOptions): MicrovmOptions {
  const o: MicrovmOptions = { ...base };
  const onOffAuto = (name: string, v: string): OnOffAuto => {
    if (v === 'on' || v === 'off' || v === 'auto') return v;
    throw new QemuError('BAD_PROPERTY_VALUE', `Parameter '${name}' does not accept value '${v}'`);
  };
  const bool = (name: string, v: string): boolean => {
    if (v === 'on' || v === 'yes' || v === 'true' || v === 'y') return true;
    if (v === 'off' || v === 'no' || v === 'false' || v === 'n') return false;
    throw new QemuError('BAD_PROPERTY_VALUE', `Parameter '${name}' expects 'on' or 'off'`);
  };
  for (const [name, v] of props) {
    switch (name) {
      case 'pcie':
        o.pcie = onOffAuto(name, v);
        break;
      case 'acpi':
        o.acpi = onOffAuto(name, v);
        break;
      case 'ioapic2':
        o.ioapic2 = onOffAuto(name, v);
        break;
      case 'pic':
        o.pic = onOffAuto(name, v);
        break;
      case 'pit':
        o.pit = onOffAuto(name, v);
        break;
      case 'rtc':
        o.rtc = onOffAuto(name, v);
        break;
      case 'isa-serial':
        o.isaSerial = bool(name, v);
        break;
      case 'x-option-roms':
        o.optionRoms = bool(name, v);
        break;
      case 'auto-kernel-cmdline':
        o.autoKernelCmdline = bool(name, v);
        break;
      case 'accel':
      case 'kernel-irqchip':
      case 'smm':
      case 'usb':
      case 'graphics':
      case 'dump-guest-core':
      case 'mem-merge':
        break; // generic machine / x86 properties that change nothing PCI
      default:
        throw new QemuError('UNKNOWN_PROPERTY', `Property 'microvm-machine.${name}' not found`);
    }
  }
  return o;
}
