/**
 * @module
 * `virtio-blk-pci` and its variants: virtio-blk: the block device (virtio ID 2), as QEMU 7.2 registers it (hw/block/virtio-blk.c and hw/virtio/virtio-blk-pci.c): the proxy and device
 * properties with their defaults, the vector count and config size its realize settles on, and the checks
 * it makes before the PCI function exists.
 */
import { QemuError } from '../../errors.js';
import { virtioPciTypes, DEV_NVECTORS_UNSPECIFIED, optimalNumQueues } from './virtio-pci.js';
import { defineProp as p } from '../core/qdev-properties.js';

/** BlockdevOnError (qapi/block-core.json) */
const BLOCKDEV_ON_ERROR = ['report', 'ignore', 'enospc', 'stop', 'auto'] as const;

export const VIRTIO_BLK_PCI_TYPES = virtioPciTypes({
  base: 'virtio-blk-pci-base',
  generic: 'virtio-blk-pci',
  transitional: 'virtio-blk-pci-transitional',
  nonTransitional: 'virtio-blk-pci-non-transitional',
  vdev: 'virtio-blk-device',
  spec: { virtioId: 2, legacyDeviceId: 0x1001, classId: 0x0100, revision: 0, legacyAllowed: true, forceVirtio1: false },
  proxyProps: (o) => [
    p(o, 'class', 'uint32', 0),
    p(o, 'ioeventfd', 'bool', true),
    p(o, 'vectors', 'uint32', DEV_NVECTORS_UNSPECIFIED),
  ],
  vdevProps: (o) => [
    p(o, 'drive', 'drive'),
    p(o, 'backend_defaults', 'onoffauto', 'auto'),
    p(o, 'logical_block_size', 'size', 0n),
    p(o, 'physical_block_size', 'size', 0n),
    p(o, 'min_io_size', 'size32', 0),
    p(o, 'opt_io_size', 'size32', 0),
    p(o, 'discard_granularity', 'size32', 0xffffffff),
    p(o, 'write-cache', 'onoffauto', 'auto'),
    p(o, 'share-rw', 'bool', false),
    p(o, 'account-invalid', 'onoffauto', 'auto'),
    p(o, 'account-failed', 'onoffauto', 'auto'),
    p(o, 'rerror', 'enum', 'auto', { values: BLOCKDEV_ON_ERROR }),
    p(o, 'werror', 'enum', 'auto', { values: BLOCKDEV_ON_ERROR }),
    ...['cyls', 'heads', 'secs', 'lcyls', 'lheads', 'lsecs'].map((n) => p(o, n, 'uint32', 0)),
    p(o, 'serial', 'string'),
    p(o, 'config-wce', 'bool', true),
    p(o, 'scsi', 'bool', false),
    p(o, 'request-merging', 'bool', true),
    p(o, 'num-queues', 'uint16', 0xffff),
    p(o, 'queue-size', 'uint16', 256),
    p(o, 'seg-max-adjust', 'bool', true),
    p(o, 'iothread', 'link', undefined, { target: 'iothread' }),
    p(o, 'discard', 'bool', true),
    p(o, 'report-discard-granularity', 'bool', true),
    p(o, 'write-zeroes', 'bool', true),
    p(o, 'max-discard-sectors', 'uint32', 0x3fffff),
    p(o, 'max-write-zeroes-sectors', 'uint32', 0x3fffff),
    p(o, 'x-enable-wce-if-config-wce', 'bool', true),
    p(o, 'bootindex', 'int32', -1),
  ],
  vectors: (ctx) => {
    const v = ctx.props.num('vectors');
    if (v !== DEV_NVECTORS_UNSPECIFIED) return v;
    let q = ctx.props.num('num-queues');
    if (q === 0xffff) q = optimalNumQueues(ctx.smpCpus, 0);
    return q + 1;
  },
  configLen: (pr) => {
    // virtio_blk_cfg_size_params: up to num_queues, then discard and write-zeroes fields
    let len = 36;
    if (pr.bool('discard')) len = 48;
    if (pr.bool('write-zeroes')) len = 57;
    return len;
  },
  check: (ctx) => {
    if (ctx.props.str('drive') === undefined || ctx.props.str('drive') === '') {
      throw new QemuError('MISSING_BACKEND', 'drive property not set');
    }
  },
  classCode: (pr) => pr.num('class'),
});
