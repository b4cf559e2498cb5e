/**
 * @module
 * `virtio-rng-pci` and its variants: virtio-rng: the entropy source (virtio ID 4), as QEMU 7.2 registers it (hw/virtio/virtio-rng.c and hw/virtio/virtio-rng-pci.c): the proxy and device
 * properties with their defaults, the vector count and config size its realize settles on, and the checks
 * it makes before the PCI function exists.
 */
import { QemuError } from '../../errors.js';
import { virtioPciTypes, DEV_NVECTORS_UNSPECIFIED } from './virtio-pci.js';
import { defineProp as p } from '../core/qdev-properties.js';

export const VIRTIO_RNG_PCI_TYPES = virtioPciTypes({
  base: 'virtio-rng-pci-base',
  generic: 'virtio-rng-pci',
  transitional: 'virtio-rng-pci-transitional',
  nonTransitional: 'virtio-rng-pci-non-transitional',
  vdev: 'virtio-rng-device',
  spec: { virtioId: 4, legacyDeviceId: 0x1005, classId: 0x00ff, revision: 0, legacyAllowed: true, forceVirtio1: false },
  proxyProps: (o) => [p(o, 'ioeventfd', 'bool', true), p(o, 'vectors', 'uint32', DEV_NVECTORS_UNSPECIFIED)],
  vdevProps: (o) => [
    p(o, 'max-bytes', 'uint64', (1n << 63n) - 1n),
    p(o, 'period', 'uint32', 1 << 16),
    p(o, 'rng', 'link', undefined, { target: 'rng-backend' }),
  ],
  vectors: (ctx) => {
    const v = ctx.props.num('vectors');
    return v === DEV_NVECTORS_UNSPECIFIED ? 2 : v;
  },
  configLen: () => 0,
  check: (ctx) => {
    if (!ctx.props.num('period')) throw new QemuError('BAD_PROPERTY_VALUE', "'period' parameter expects a positive integer");
    const mb = ctx.props.big('max-bytes') ?? 0n;
    if (mb > (1n << 63n) - 1n) {
      throw new QemuError('BAD_PROPERTY_VALUE', `'max-bytes' parameter must be non-negative, and less than 2^63`);
    }
  },
});
