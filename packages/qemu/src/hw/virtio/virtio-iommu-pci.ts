/**
 * @module
 * `virtio-iommu-pci`: virtio-iommu (virtio ID 23), as QEMU 7.2 registers it (hw/virtio/virtio-iommu.c and
 * hw/virtio/virtio-iommu-pci.c): a single generic type (no transitional variants), modern only
 * (virtio_pci_force_virtio_1()), class 0x00ff (PCI_CLASS_OTHERS), no `vectors` property, so no MSI-X,
 * and only on the root bus. pc.c's pre-plug counts it as the machine's one vIOMMU; acpi-build.c then describes it
 * in a VIOT table, which Linux 6.1's cloud kernel does not read (CONFIG_ACPI_VIOT and CONFIG_VIRTIO_IOMMU unset):
 * the guest sees a PCI function and nothing more.
 */
import { QemuError } from '../../errors.js';
import { virtioPciTypes } from './virtio-pci.js';
import { defineProp as p } from '../core/qdev-properties.js';

export const VIRTIO_IOMMU_PCI_TYPES = virtioPciTypes({
  base: 'virtio-iommu-pci-base-type',
  generic: 'virtio-iommu-pci',
  vdev: 'virtio-iommu-device',
  spec: { virtioId: 23, legacyDeviceId: 0, classId: 0x00ff, revision: 0, legacyAllowed: false, forceVirtio1: true },
  proxyProps: (o) => [p(o, 'class', 'uint32', 0), p(o, 'len-reserved-regions', 'uint32', 0)],
  vdevProps: (o) => [p(o, 'primary-bus', 'link', undefined, { target: 'PCI' }), p(o, 'boot-bypass', 'bool', true)],
  vectors: () => 0,
  configLen: () => 40,
  check: (ctx) => {
    // virtio_iommu_pci_realize(); reserved regions given with len-reserved-regions are not modelled
    if (ctx.props.num('len-reserved-regions') > 0) {
      throw new QemuError('UNSUPPORTED', 'pcisim: virtio-iommu-pci reserved-regions are not modelled');
    }
    if (!ctx.bus.isRoot) throw new QemuError('BAD_PROPERTY_VALUE', 'virtio-iommu-pci must be plugged on the root bus');
  },
});
