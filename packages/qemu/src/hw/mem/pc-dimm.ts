/**
 * @module
 * `pc-dimm` and `nvdimm` (hw/mem/pc-dimm.c, hw/mem/nvdimm.c): memory devices without a bus, plugged by the
 * PC machine's hot-plug handler into the device-memory region `-m slots=,maxmem=` reserve. They are no PCI
 * function: the region they sit in already moved the 64-bit PCI window (hw/i386/pc.ts), whether or not a DIMM
 * is plugged. An NVDIMM adds the NFIT table and the DSDT's NVDR device (hw/acpi/nvdimm.c), which only the
 * nfit driver reads, a module in the cloud kernel (CONFIG_ACPI_NFIT=m): no config access changes.
 */
import { defineProp, type QdevPropDef } from '../core/qdev-properties.js';
import type { QdevTypeInfo } from '../core/qdev.js';

function dimmProps(owner: string): QdevPropDef[] {
  return [
    defineProp(owner, 'addr', 'uint64', 0n),
    defineProp(owner, 'node', 'uint32', 0),
    defineProp(owner, 'slot', 'int32', -1),
    defineProp(owner, 'memdev', 'link', undefined, { target: 'memory-backend' }),
  ];
}

/** pc_dimm_properties[] */
export const PC_DIMM_TYPE: QdevTypeInfo = {
  name: 'pc-dimm',
  ancestors: ['pc-dimm', 'device'],
  busType: 'none',
  kind: 'memory-device',
  props: dimmProps('pc-dimm'),
};

/** nvdimm_properties[] plus the instance properties label-size and uuid */
export const NVDIMM_TYPE: QdevTypeInfo = {
  name: 'nvdimm',
  ancestors: ['nvdimm', 'pc-dimm', 'device'],
  busType: 'none',
  kind: 'memory-device',
  props: [
    ...dimmProps('pc-dimm'),
    defineProp('nvdimm', 'unarmed', 'bool', false),
    defineProp('nvdimm', 'label-size', 'uint64', 0n),
    defineProp('nvdimm', 'uuid', 'string'),
  ],
};
