/**
 * @module
 * `virtio-scsi-pci` and its variants: virtio-scsi: the SCSI host (virtio ID 8), as QEMU 7.2 registers it (hw/scsi/virtio-scsi.c and hw/virtio/virtio-scsi-pci.c): the proxy and device
 * properties with their defaults, the vector count and config size its realize settles on, and the checks
 * it makes before the PCI function exists.
 */
import { virtioPciTypes, DEV_NVECTORS_UNSPECIFIED, optimalNumQueues } from './virtio-pci.js';
import { defineProp as p } from '../core/qdev-properties.js';

export const VIRTIO_SCSI_PCI_TYPES = virtioPciTypes({
  base: 'virtio-scsi-pci-base',
  generic: 'virtio-scsi-pci',
  transitional: 'virtio-scsi-pci-transitional',
  nonTransitional: 'virtio-scsi-pci-non-transitional',
  vdev: 'virtio-scsi-device',
  spec: { virtioId: 8, legacyDeviceId: 0x1004, classId: 0x0100, revision: 0, legacyAllowed: true, forceVirtio1: false },
  proxyProps: (o) => [p(o, 'ioeventfd', 'bool', true), p(o, 'vectors', 'uint32', DEV_NVECTORS_UNSPECIFIED)],
  vdevProps: (o) => [
    p(o, 'num_queues', 'uint32', 0xffffffff),
    p(o, 'virtqueue_size', 'uint32', 256),
    p(o, 'seg_max_adjust', 'bool', true),
    p(o, 'max_sectors', 'uint32', 0xffff),
    p(o, 'cmd_per_lun', 'uint32', 128),
    p(o, 'hotplug', 'bool', true),
    p(o, 'param_change', 'bool', true),
    p(o, 'iothread', 'link', undefined, { target: 'iothread' }),
  ],
  vectors: (ctx) => {
    const v = ctx.props.num('vectors');
    if (v !== DEV_NVECTORS_UNSPECIFIED) return v;
    let q = ctx.props.num('num_queues');
    if (q === 0xffffffff) q = optimalNumQueues(ctx.smpCpus, 2);
    return q + 2 + 1; // VIRTIO_SCSI_VQ_NUM_FIXED + config
  },
  configLen: () => 36,
});
