/**
 * @module
 * `virtio-balloon-pci` and its variants: virtio-balloon: the memory balloon (virtio ID 5), as QEMU 7.2 registers it (hw/virtio/virtio-balloon.c and hw/virtio/virtio-balloon-pci.c): the proxy and device
 * properties with their defaults, the vector count and config size its realize settles on, and the checks
 * it makes before the PCI function exists.
 */
import { virtioPciTypes } from './virtio-pci.js';
import { defineProp as p } from '../core/qdev-properties.js';

export const VIRTIO_BALLOON_PCI_TYPES = virtioPciTypes({
  base: 'virtio-balloon-pci-base',
  generic: 'virtio-balloon-pci',
  transitional: 'virtio-balloon-pci-transitional',
  nonTransitional: 'virtio-balloon-pci-non-transitional',
  vdev: 'virtio-balloon-device',
  spec: { virtioId: 5, legacyDeviceId: 0x1002, classId: 0x00ff, revision: 0, legacyAllowed: true, forceVirtio1: false },
  proxyProps: () => [],
  vdevProps: (o) => [
    p(o, 'deflate-on-oom', 'bool', false),
    p(o, 'free-page-hint', 'bool', false),
    p(o, 'page-poison', 'bool', true),
    p(o, 'free-page-reporting', 'bool', false),
    p(o, 'qemu-4-0-config-size', 'bool', false),
    p(o, 'iothread', 'link', undefined, { target: 'iothread' }),
    p(o, 'guest-stats-polling-interval', 'int64', 0n),
  ],
  // no vectors property: nvectors stays 0, so no MSI-X
  vectors: () => 0,
  configLen: (pr) => {
    // virtio_balloon_config_size()
    if (pr.bool('qemu-4-0-config-size') || pr.bool('page-poison')) return 16;
    return pr.bool('free-page-hint') ? 12 : 8;
  },
  classCode: () => 0x00ff,
});
