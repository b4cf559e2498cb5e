/**
 * @module
 * `vhost-user-fs-pci` and its variants: vhost-user-fs: virtiofs (virtio ID 26), its host side not modelled, as QEMU 7.2 registers it (hw/virtio/vhost-user-fs.c and hw/virtio/vhost-user-fs-pci.c): the proxy and device
 * properties with their defaults, the vector count and config size its realize settles on, and the checks
 * it makes before the PCI function exists.
 */
import { QemuError } from '../../errors.js';
import { virtioPciTypes, DEV_NVECTORS_UNSPECIFIED } from './virtio-pci.js';
import { defineProp as p } from '../core/qdev-properties.js';

export const VHOST_USER_FS_PCI_TYPES = virtioPciTypes({
  base: 'vhost-user-fs-pci-base',
  nonTransitional: 'vhost-user-fs-pci',
  vdev: 'vhost-user-fs-device',
  spec: { virtioId: 26, legacyDeviceId: 0, classId: 0x0180, revision: 0, legacyAllowed: false, forceVirtio1: false },
  proxyProps: (o) => [p(o, 'vectors', 'uint32', DEV_NVECTORS_UNSPECIFIED)],
  vdevProps: (o) => [
    p(o, 'chardev', 'chardev'),
    p(o, 'tag', 'string'),
    p(o, 'num-request-queues', 'uint16', 1),
    p(o, 'queue-size', 'uint16', 128),
    p(o, 'bootindex', 'int32', -1),
  ],
  vectors: (ctx) => {
    const v = ctx.props.num('vectors');
    return v === DEV_NVECTORS_UNSPECIFIED ? ctx.props.num('num-request-queues') + 2 : v;
  },
  configLen: () => 40,
  check: (ctx) => {
    // vuf_device_realize(); the vhost-user connection (host side) is not modelled
    if (!ctx.props.str('chardev')) throw new QemuError('MISSING_BACKEND', 'missing chardev');
    const tag = ctx.props.str('tag');
    if (tag === undefined) throw new QemuError('BAD_PROPERTY_VALUE', 'missing tag property');
    const tagLen = new TextEncoder().encode(tag).length;
    if (tagLen === 0) throw new QemuError('BAD_PROPERTY_VALUE', 'tag property cannot be empty');
    if (tagLen > 36) throw new QemuError('BAD_PROPERTY_VALUE', 'tag property must be 36 bytes or less');
    if (ctx.props.num('num-request-queues') === 0) {
      throw new QemuError('BAD_PROPERTY_VALUE', 'num-request-queues property must be larger than 0');
    }
    const qs = ctx.props.num('queue-size');
    if (qs & (qs - 1)) throw new QemuError('BAD_PROPERTY_VALUE', 'queue-size property must be a power of 2');
    if (qs > 1024) throw new QemuError('BAD_PROPERTY_VALUE', 'queue-size property must be 1024 or smaller');
  },
});
