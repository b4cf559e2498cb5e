/**
 * @module
 * The board half of softmmu/vl.c's `qemu_init()`: `qemu_create_machine()` and `qemu_init_board()` (the
 * machine type's init: pc_q35_init(), pc_init1(), microvm_machine_state_init()) for a {@link QemuConfig},
 * then `qemu_create_cli_devices()` (every backend and `-device`, in QEMU's order) and the first system reset.
 */
import { QemuError } from '../errors.js';
import type { Machine } from '../hw/core/machine.js';
import { Q35Machine } from '../hw/i386/pc-q35.js';
import { PcMachine } from '../hw/i386/pc-piix.js';
import { MicrovmMachine, microvmOptionsFromProperties } from '../hw/i386/microvm.js';
import { parseCpu } from '../target/i386/cpu.js';
import { pcMemoryCheck } from '../hw/i386/pc.js';
import { pciCreateSimple, realizeArgv } from './qdev-monitor.js';
import { checkX86MachineProperties, parseQemuCommandLine, VGA_INTERFACE_DEVICES, type QemuConfig } from './vl.js';
import type { PciBus } from '../hw/pci/bus.js';
import type { PciDevice } from '../hw/pci/device.js';

/** pc_vga_init() → pci_vga_init(): the std VGA the boards build themselves, or the device another -vga names */
function boardVga(cfg: QemuConfig): 'std' | 'none' | ((bus: PciBus) => PciDevice) {
  if (cfg.vga === 'std' || cfg.vga === 'none') return cfg.vga;
  const name = VGA_INTERFACE_DEVICES[cfg.vga];
  return (bus) => pciCreateSimple(bus, name, parseQemuCommandLine(cfg.qemuArgs).globals);
}
import type { KvmIrqchip } from '../hw/core/qdev.js';


/** -machine nvdimm=on|off (pc_machine_set_nvdimm(), a bool property) */
function nvdimmEnabled(cfg: QemuConfig): boolean {
  const v = cfg.machineProps.filter(([k]) => k === 'nvdimm').pop()?.[1];
  if (v === undefined) return false;
  if (['on', 'yes', 'true', 'y'].includes(v)) return true;
  if (['off', 'no', 'false', 'n'].includes(v)) return false;
  throw new QemuError('BAD_PROPERTY_VALUE', `Parameter 'nvdimm' expects 'on' or 'off'`);
}

/** pc_memory_init()'s checks of slots and maxmem (microvm has no device memory and ignores them) */
function checkMemory(cfg: QemuConfig, hasReservedMemory: boolean): void {
  if (!hasReservedMemory) return;
  const err = pcMemoryCheck({ ramBytes: cfg.ramBytes, maxramBytes: cfg.maxramBytes, ramSlots: cfg.ramSlots }, true, cfg.machine);
  if (err) throw new QemuError('BAD_OPTION', err);
}

/** a `-device isa-serial` on the command line (vl.c default_list: it clears default_serial) */
function hasIsaSerialDevice(cfg: QemuConfig): boolean {
  return parseQemuCommandLine(cfg.qemuArgs).devices.some((d) => d.opts.filter((o) => o.name === 'driver').pop()?.value === 'isa-serial');
}

/** QEMU's machine for the command line, with its on-board functions and no `-device` yet (qemu_init_board()). */
export function qemuCreateMachine(cfg: QemuConfig): Machine & { addDefaultNic?: () => void } {
  const vendor = parseCpu(cfg.cpu, { accel: cfg.accel, host: cfg.hostCpu }).vendor;
  if (cfg.machine === 'pc') {
    checkX86MachineProperties(cfg);
    checkMemory(cfg, true);
    return new PcMachine({
      nodefaults: cfg.nodefaults,
      vga: boardVga(cfg),
      ramBytes: cfg.ramBytes,
      maxramBytes: cfg.maxramBytes,
      ramSlots: cfg.ramSlots,
      nvdimm: nvdimmEnabled(cfg),
      acpiPciHotplugWithBridgeSupport: cfg.acpiPciHotplugWithBridgeSupport,
      // vl.c default_serial: off with -nodefaults, -serial, or a -device isa-serial
      serialPorts: cfg.nodefaults || hasIsaSerialDevice(cfg) ? cfg.serial : Math.max(1, cfg.serial),
      cpuVendor: vendor,
      firmware: cfg.firmware ?? 'seabios',
      acpi: x86MachineAcpi(cfg),
      usb: cfg.usb,
    });
  }
  if (cfg.machine === 'microvm') {
    checkMemory(cfg, false);
    return new MicrovmMachine(microvmOptionsFromProperties(cfg.machineProps, { ramBytes: cfg.ramBytes, kernel: true, kvm: true }));
  }
  checkX86MachineProperties(cfg);
  checkMemory(cfg, true);
  return new Q35Machine({
    nodefaults: cfg.nodefaults,
    vga: boardVga(cfg),
    ramBytes: cfg.ramBytes,
    maxramBytes: cfg.maxramBytes,
    ramSlots: cfg.ramSlots,
    nvdimm: nvdimmEnabled(cfg),
    cpuVendor: vendor,
    acpiPciHotplugWithBridgeSupport: cfg.acpiPciHotplugWithBridgeSupport,
    acpi: x86MachineAcpi(cfg),
    usb: cfg.usb,
    ...(cfg.accurateMcfgReserve !== undefined ? { accurateMcfgReserve: cfg.accurateMcfgReserve } : {}),
  });
}

/**
 * hw/i386/x86.c x86_machine_set_acpi(): the OnOffAuto `acpi` property of pc and q35; only `off` disables
 * (x86_machine_is_acpi_enabled()). With `off` QEMU loads no ACPI tables through fw_cfg (no etc/table-loader),
 * and SeaBIOS's qemu_platform_setup() falls back to acpi_setup() (firmware/seabios-acpi.ts).
 */
function x86MachineAcpi(cfg: QemuConfig): boolean {
  const v = cfg.machineProps.filter(([k]) => k === 'acpi').pop()?.[1];
  if (v === undefined || v === 'on' || v === 'auto') return true;
  if (v === 'off') return false;
  throw new QemuError('BAD_OPTION', `Parameter 'acpi' does not accept value '${v}'`);
}

/**
 * kvm_irqchip_in_kernel() and kvm_irqchip_is_split() for the command line: under TCG no irqchip is KVM's; under
 * KVM `kernel-irqchip` is on unless `off` or `split` (kvm_irqchip_create(), 7.2's default: allowed, not split).
 */
export function kvmIrqchip(cfg: QemuConfig): KvmIrqchip {
  const accel = cfg.machineProps.filter(([k]) => k === 'accel').pop()?.[1]?.split(':')[0] ?? cfg.accel;
  if (accel !== 'kvm') return { inKernel: false, split: false };
  const ki = cfg.machineProps.filter(([k]) => k === 'kernel-irqchip').pop()?.[1] ?? 'on';
  return { inKernel: ki !== 'off', split: ki === 'split' };
}

/**
 * The machine with the command line realized: {@link qemuCreateMachine}, then `qemu_create_cli_devices()`
 * (-device/-netdev/-object/-blockdev/-drive in QEMU's order, the default NIC first) and the system reset.
 * A machine without PCI has nothing to realize unless a -device asks for a bus, which then fails as in QEMU.
 */
export function qemuInitMachine(cfg: QemuConfig): Machine {
  const machine = qemuCreateMachine(cfg);
  if (machine.rootBus || cfg.qemuArgs.includes('-device')) {
    realizeArgv(machine, cfg.qemuArgs, { acpiPciHotplug: cfg.acpiPciHotplugWithBridgeSupport ? 'bridges' : 'off', irqchip: kvmIrqchip(cfg), ...(cfg.vfioHosts ? { vfioHosts: cfg.vfioHosts } : {}) });
  }
  return machine;
}
