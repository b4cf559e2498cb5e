/**
 * @module
 * `intel-iommu` (hw/i386/intel_iommu.c): the emulated VT-d DMA-remapping unit at 0xfed90000. A sysbus device, so
 * no PCI function: what the guest sees of it is the DMAR table (hw/i386/acpi-build.c build_dmar_q35, see
 * {@link buildDmarQ35}) and the unit's CAP/ECAP registers, which vtd_init() fills from the properties below.
 * vtd_realize() checks them first (vtd_decide_config()), with QEMU's words.
 */
import { QemuError } from '../../errors.js';
import type { QdevTypeInfo, SysbusRealizeContext } from '../core/qdev.js';
import { defineProp } from '../core/qdev-properties.js';
import { X86_IOMMU_PROPS, x86IommuRealize, x86IommuSetDefault, type X86IommuState } from './x86-iommu.js';
import type { DmarTable } from './bootinfo.js';

/** Q35_HOST_BRIDGE_IOMMU_ADDR */
export const Q35_HOST_BRIDGE_IOMMU_ADDR = 0xfed90000;
const VTD_HOST_AW_39BIT = 39;
const VTD_HOST_AW_48BIT = 48;

/** vtd_realize() after x86_iommu_realize(): vtd_decide_config() and the state vtd_init() builds the registers from */
function vtdRealize(ctx: SysbusRealizeContext): void {
  const pr = ctx.props;
  const intrSupported = x86IommuRealize(pr, ctx.irqchip);
  const dt = pr.bool('device-iotlb');
  const pasid = pr.bool('x-pasid-mode');
  const scalable = pr.bool('x-scalable-mode');
  if (pasid && dt) throw new QemuError('BAD_PROPERTY_VALUE', 'PASID based device IOTLB is not supported');
  // vtd_decide_config()
  let eim = pr.values.get('eim') as 'on' | 'off' | 'auto';
  const buggyEim = pr.bool('x-buggy-eim');
  if (eim === 'on' && !intrSupported) throw new QemuError('BAD_PROPERTY_VALUE', 'eim=on cannot be selected without intremap=on');
  if (eim === 'auto') eim = (ctx.irqchip.inKernel || buggyEim) && intrSupported ? 'on' : 'off';
  if (eim === 'on' && !buggyEim && !ctx.irqchip.split) {
    throw new QemuError('BAD_PROPERTY_VALUE', 'eim=on requires accel=kvm,kernel-irqchip=split');
  }
  const awBits = pr.num('aw-bits');
  if (awBits !== VTD_HOST_AW_39BIT && awBits !== VTD_HOST_AW_48BIT) {
    throw new QemuError('BAD_PROPERTY_VALUE', `Supported values for aw-bits are: ${VTD_HOST_AW_39BIT}, ${VTD_HOST_AW_48BIT}`);
  }
  if (scalable && !pr.bool('dma-drain')) throw new QemuError('BAD_PROPERTY_VALUE', 'Need to set dma_drain for scalable mode');
  if (pasid && !scalable) throw new QemuError('BAD_PROPERTY_VALUE', 'Need to set scalable mode for PASID');
  const state: X86IommuState = {
    type: 'intel',
    intrSupported,
    dtSupported: dt,
    ptSupported: pr.bool('pt'),
    vtd: {
      awBits,
      cachingMode: pr.bool('caching-mode'),
      scalableMode: scalable,
      pasid,
      snoopControl: pr.bool('snoop-control'),
      eim: eim === 'on',
      dmaTranslation: pr.bool('dma-translation'),
    },
  };
  x86IommuSetDefault(ctx, state);
}

/**
 * build_dmar_q35(): one DRHD at 0xfed90000 (not INCLUDE_PCI_ALL) whose scope is the IOAPIC and every PCI
 * bridge and endpoint on a bus the IOMMU translates (the guest matches its devices against it by path), the
 * INTR_REMAP flag when interrupt remapping is on, and an ATSR for all root ports with `device-iotlb=on`. The
 * unit's CAP and ECAP registers (vtd_init()) go with it: Linux reads them while it parses the table.
 */
export function buildDmarQ35(iommu: X86IommuState): DmarTable {
  const v = iommu.vtd!;
  return {
    hostAddressWidth: v.awBits - 1,
    intrRemap: iommu.intrSupported,
    drhdAddress: Q35_HOST_BRIDGE_IOMMU_ADDR,
    atsrAllPorts: iommu.dtSupported,
    cap: { cachingMode: v.cachingMode },
    ecap: {
      ir: iommu.intrSupported,
      eim: iommu.intrSupported && v.eim,
      devIotlb: iommu.dtSupported,
      pt: iommu.ptSupported,
      scalableMode: v.scalableMode,
      pasid: v.pasid,
      pageRequest: false,
    },
  };
}

/** vtd_properties[] over x86_iommu_properties[] (vtd_class_init(), x86_iommu_class_init()) */
export const INTEL_IOMMU_TYPE: QdevTypeInfo = {
  name: 'intel-iommu',
  ancestors: ['intel-iommu', 'x86-iommu', 'sys-bus-device', 'device'],
  busType: 'System',
  kind: 'sysbus',
  props: [
    ...X86_IOMMU_PROPS,
    defineProp('intel-iommu', 'version', 'uint32', 0),
    defineProp('intel-iommu', 'eim', 'onoffauto', 'auto'),
    defineProp('intel-iommu', 'x-buggy-eim', 'bool', false),
    defineProp('intel-iommu', 'aw-bits', 'uint8', VTD_HOST_AW_39BIT),
    defineProp('intel-iommu', 'caching-mode', 'bool', false),
    defineProp('intel-iommu', 'x-scalable-mode', 'bool', false),
    defineProp('intel-iommu', 'snoop-control', 'bool', false),
    defineProp('intel-iommu', 'x-pasid-mode', 'bool', false),
    defineProp('intel-iommu', 'dma-drain', 'bool', true),
    defineProp('intel-iommu', 'dma-translation', 'bool', true),
  ],
  realizeSysbus: vtdRealize,
};
