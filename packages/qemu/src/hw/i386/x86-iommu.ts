/**
 * @module
 * TYPE_X86_IOMMU_DEVICE (hw/i386/x86-iommu.c), the sysbus parent of `intel-iommu` and `amd-iommu`: its three
 * properties, x86_iommu_realize()'s checks (a PC machine; interrupt remapping only with the irqchip not wholly in
 * KVM), and x86_iommu_get_default(), through which acpi-build.c finds the vIOMMU to describe (DMAR or IVRS).
 * pc.c's pre-plug, which allows one vIOMMU (x86 or virtio) per machine, is here too.
 */
import { QemuError } from '../../errors.js';
import type { Machine } from '../core/machine.js';
import type { KvmIrqchip, SysbusRealizeContext } from '../core/qdev.js';
import { defineProp, type PropBag, type QdevPropDef } from '../core/qdev-properties.js';

/** What acpi-build.c and the guest-visible side need of the realized vIOMMU. */
export interface X86IommuState {
  readonly type: 'intel' | 'amd';
  /** x86_iommu_ir_supported(): `intremap` after realize resolved `auto` */
  readonly intrSupported: boolean;
  /** `device-iotlb` (dt_supported) */
  readonly dtSupported: boolean;
  /** `pt` */
  readonly ptSupported: boolean;
  /** intel-iommu: the rest of what build_dmar_q35() and the DMAR unit's CAP/ECAP registers show */
  readonly vtd?: IntelIommuConfig;
}

/** The intel-iommu state after vtd_decide_config(). */
export interface IntelIommuConfig {
  awBits: number;
  cachingMode: boolean;
  scalableMode: boolean;
  pasid: boolean;
  snoopControl: boolean;
  /** eim after its `auto` was resolved */
  eim: boolean;
  dmaTranslation: boolean;
}

/** x86_iommu_properties[] */
export const X86_IOMMU_PROPS: readonly QdevPropDef[] = [
  defineProp('x86-iommu', 'intremap', 'onoffauto', 'auto'),
  defineProp('x86-iommu', 'device-iotlb', 'bool', false),
  defineProp('x86-iommu', 'pt', 'bool', true),
];

/** the machine types that allow these sysbus devices (pc_q35.c machine_class_allow_dynamic_sysbus_dev) */
export function x86IommuMachineAllowed(machine: Machine): boolean {
  return machine.name === 'q35';
}

/** PCMachineState::iommu, per machine */
const PC_IOMMU = new WeakMap<Machine, string>();
/** x86_iommu_set_default(): the realized x86 vIOMMU of a machine */
const X86_IOMMU = new WeakMap<Machine, X86IommuState>();

/**
 * pc_machine_device_pre_plug_cb() for an x86 vIOMMU or a virtio-iommu-pci: "QEMU does not support multiple
 * vIOMMUs for x86 yet."
 */
export function pcMachineIommuPrePlug(machine: Machine, typeName: string): void {
  if (PC_IOMMU.has(machine)) throw new QemuError('BAD_OPTION', 'QEMU does not support multiple vIOMMUs for x86 yet.');
  PC_IOMMU.set(machine, typeName);
}

/** x86_iommu_get_default() */
export function x86IommuGetDefault(machine: Machine): X86IommuState | null {
  return X86_IOMMU.get(machine) ?? null;
}

/**
 * x86_iommu_realize(): `intremap=auto` is on unless the irqchip is wholly in KVM; interrupt remapping with the
 * irqchip in KVM (kernel-irqchip=on, KVM's default) fails. Returns the resolved `intremap`.
 */
export function x86IommuRealize(props: PropBag, irqchip: KvmIrqchip): boolean {
  const irqAllKernel = irqchip.inKernel && !irqchip.split;
  const intremap = props.values.get('intremap');
  const intrSupported = intremap === 'auto' ? !irqAllKernel : intremap === 'on';
  if (intrSupported && irqAllKernel) {
    throw new QemuError('BAD_PROPERTY_VALUE', "Interrupt Remapping cannot work with kernel-irqchip=on, please use 'split|off'.");
  }
  return intrSupported;
}

/** x86_iommu_set_default(), at the end of a successful realize */
export function x86IommuSetDefault(ctx: SysbusRealizeContext, state: X86IommuState): void {
  X86_IOMMU.set(ctx.machine, state);
}
