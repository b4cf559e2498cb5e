/**
 * @module
 * `nvme-ns`: an NVMe namespace on its controller's `nvme-bus` (hw/nvme/ns.c). No PCI function: the Linux
 * driver finds it through the controller's registers, not config space.
 */
import { defineProp } from '../core/qdev-properties.js';
import type { QdevTypeInfo } from '../core/qdev.js';
import { blockProperties } from './ctrl.js';

const t = 'nvme-ns';

/** nvme_ns_props[] (the ones a command line uses; the zoned and metadata ones are accepted too) */
export const NVME_NS_TYPE: QdevTypeInfo = {
  name: t,
  ancestors: [t, 'device'],
  busType: 'nvme-bus',
  kind: 'nvme-ns',
  props: [
    ...blockProperties(t),
    defineProp(t, 'detached', 'bool', false),
    defineProp(t, 'shared', 'bool', true),
    defineProp(t, 'nsid', 'uint32', 0),
    defineProp(t, 'uuid', 'string'),
    defineProp(t, 'eui64', 'uint64', 0n),
    defineProp(t, 'nguid', 'string'),
    defineProp(t, 'ms', 'uint16', 0),
    defineProp(t, 'mset', 'uint8', 0),
    defineProp(t, 'pi', 'uint8', 0),
    defineProp(t, 'pil', 'uint8', 0),
    defineProp(t, 'pif', 'uint8', 0),
    defineProp(t, 'mssrl', 'uint16', 128),
    defineProp(t, 'mcl', 'uint32', 128),
    defineProp(t, 'msrc', 'uint8', 127),
    defineProp(t, 'zoned', 'bool', false),
    defineProp(t, 'zoned.zone_size', 'size', 128n << 20n),
    defineProp(t, 'zoned.zone_capacity', 'size', 0n),
    defineProp(t, 'zoned.cross_read', 'bool', false),
    defineProp(t, 'zoned.max_active', 'uint32', 0),
    defineProp(t, 'zoned.max_open', 'uint32', 0),
    defineProp(t, 'zoned.descr_ext_size', 'uint32', 0),
    defineProp(t, 'zoned.numzrwa', 'uint32', 0),
    defineProp(t, 'zoned.zrwas', 'size', 0n),
    defineProp(t, 'zoned.zrwafg', 'size', 0n),
    defineProp(t, 'eui64-default', 'bool', false),
  ],
};
