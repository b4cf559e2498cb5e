/**
 * @module
 * `usb-storage` (hw/usb/dev-storage-classic.c): a USB mass-storage device serving one drive through its own
 * one-LUN SCSI bus. No PCI function; usb_msd_storage_realize() refuses a missing drive.
 */
import { QemuError } from '../../errors.js';
import { defineProp } from '../core/qdev-properties.js';
import type { QdevTypeInfo } from '../core/qdev.js';
import { usbDeviceProps } from './bus.js';

/** BlockdevOnError (qapi/block-core.json) */
const BLOCKDEV_ON_ERROR = ['report', 'ignore', 'enospc', 'stop', 'auto'] as const;

const n = 'usb-storage';

/** msd_properties[]: DEFINE_BLOCK_PROPERTIES, DEFINE_BLOCK_ERROR_PROPERTIES, removable, commandlog; bootindex */
export const USB_STORAGE_TYPE: QdevTypeInfo = {
  name: n,
  ancestors: [n, 'usb-storage-dev', 'usb-device', 'device'],
  busType: 'usb-bus',
  kind: 'usb-device',
  usbDevice: { productDesc: 'QEMU USB HARDDRIVE', scsiBus: true },
  props: [
    ...usbDeviceProps(n),
    defineProp(n, 'drive', 'drive'),
    defineProp(n, 'logical_block_size', 'size', 0n),
    defineProp(n, 'physical_block_size', 'size', 0n),
    defineProp(n, 'min_io_size', 'size32', 0),
    defineProp(n, 'opt_io_size', 'size32', 0),
    defineProp(n, 'discard_granularity', 'size32', 0xffffffff),
    defineProp(n, 'write-cache', 'onoffauto', 'auto'),
    defineProp(n, 'share-rw', 'bool', false),
    defineProp(n, 'account-invalid', 'onoffauto', 'auto'),
    defineProp(n, 'account-failed', 'onoffauto', 'auto'),
    defineProp(n, 'rerror', 'enum', 'auto', { values: BLOCKDEV_ON_ERROR }),
    defineProp(n, 'werror', 'enum', 'auto', { values: BLOCKDEV_ON_ERROR }),
    defineProp(n, 'removable', 'bool', false),
    defineProp(n, 'commandlog', 'bool', false),
    defineProp(n, 'bootindex', 'int32', -1),
  ],
  realizeCheck: (props) => {
    // usb_msd_storage_realize()
    const drive = props.str('drive');
    if (drive === undefined || drive === '') throw new QemuError('MISSING_BACKEND', 'drive property not set');
  },
};
