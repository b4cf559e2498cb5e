/**
 * @module
 * `vhost-vsock-pci` and its variants: vhost-vsock: the AF_VSOCK device (virtio ID 19), its host side not modelled, as QEMU 7.2 registers it (hw/virtio/vhost-vsock.c and hw/virtio/vhost-vsock-pci.c): the proxy and device
 * properties with their defaults, the vector count and config size its realize settles on, and the checks
 * it makes before the PCI function exists.
 */
import { QemuError } from '../../errors.js';
import { virtioPciTypes } from './virtio-pci.js';
import { defineProp as p } from '../core/qdev-properties.js';

export const VHOST_VSOCK_PCI_TYPES = virtioPciTypes({
  base: 'vhost-vsock-pci-base',
  generic: 'vhost-vsock-pci',
  nonTransitional: 'vhost-vsock-pci-non-transitional',
  vdev: 'vhost-vsock-device',
  spec: { virtioId: 19, legacyDeviceId: 0x1012, classId: 0x0780, revision: 0, legacyAllowed: false, forceVirtio1: true },
  proxyProps: (o) => [p(o, 'vectors', 'uint32', 3)],
  vdevProps: (o) => [
    p(o, 'guest-cid', 'uint64', 0n),
    p(o, 'vhostfd', 'string'),
    p(o, 'seqpacket', 'onoffauto', 'auto'),
  ],
  vectors: (ctx) => ctx.props.num('vectors'),
  configLen: () => 8,
  check: (ctx) => {
    // vhost_vsock_device_realize(); the vhost fd itself (host side) is not modelled
    const cid = ctx.props.big('guest-cid') ?? 0n;
    if (cid <= 2n) throw new QemuError('BAD_PROPERTY_VALUE', 'guest-cid property must be greater than 2');
    if (cid > 0xffffffffn) throw new QemuError('BAD_PROPERTY_VALUE', 'guest-cid property must be a 32-bit number');
  },
});
