/**
 * @module
 * `virtio-gpu-pci`: the virtio GPU (virtio ID 16) without VGA compatibility, as QEMU 7.2 registers it
 * (hw/display/virtio-gpu-pci.c, hw/display/virtio-gpu.c, hw/display/virtio-gpu-base.c): a display
 * controller (class 0x0380), modern only (`virtio_pci_force_virtio_1`), no option ROM, 3 MSI-X vectors.
 * The properties shared with `virtio-vga` are here too.
 */
import { QemuError } from '../../errors.js';
import { defineProp as p, type QdevPropDef } from '../core/qdev-properties.js';
import type { BuildContext } from '../core/qdev.js';
import { virtioPciTypes, type VirtioPciSpec } from '../virtio/virtio-pci.js';

/** VIRTIO_GPU_MAX_SCANOUTS */
const VIRTIO_GPU_MAX_SCANOUTS = 16;
/** sizeof(struct virtio_gpu_config): events_read, events_clear, num_scanouts, num_capsets */
const VIRTIO_GPU_CONFIG_SIZE = 16;

/** The virtio-gpu spec of a proxy class: `class_id` is the one thing virtio-vga and virtio-gpu-pci differ in. */
export function virtioGpuSpec(classId: number): VirtioPciSpec {
  // k->device_id is left 0: force_virtio_1 makes it 0x1040 + 16 and the revision 1 in device_plugged
  return { virtioId: 16, legacyDeviceId: 0, classId, revision: 0, legacyAllowed: false, forceVirtio1: true };
}

/** DEFINE_VIRTIO_GPU_PCI_PROPERTIES: ioeventfd off, 3 vectors */
export function virtioGpuPciProps(owner: string): QdevPropDef[] {
  return [p(owner, 'ioeventfd', 'bool', false), p(owner, 'vectors', 'uint32', 3)];
}

/** virtio_gpu_properties[] (VIRTIO_GPU_BASE_PROPERTIES, max_hostmem, blob) */
export function virtioGpuProps(owner: string): QdevPropDef[] {
  return [
    p(owner, 'max_outputs', 'uint32', 1),
    p(owner, 'edid', 'bool', true),
    p(owner, 'xres', 'uint32', 1280),
    p(owner, 'yres', 'uint32', 800),
    p(owner, 'max_hostmem', 'size', 256n * 1024n * 1024n),
    p(owner, 'blob', 'bool', false),
  ];
}

/** virtio_gpu_base_device_realize(): the one check before the virtio device exists */
export function virtioGpuCheck(ctx: BuildContext): void {
  if (ctx.props.num('max_outputs') > VIRTIO_GPU_MAX_SCANOUTS) {
    throw new QemuError('BAD_PROPERTY_VALUE', `invalid max_outputs > ${VIRTIO_GPU_MAX_SCANOUTS}`);
  }
}

export const VIRTIO_GPU_PCI_TYPES = virtioPciTypes({
  base: 'virtio-gpu-pci-base',
  generic: 'virtio-gpu-pci',
  vdev: 'virtio-gpu-device',
  spec: virtioGpuSpec(0x0380), // PCI_CLASS_DISPLAY_OTHER
  proxyProps: virtioGpuPciProps,
  vdevProps: virtioGpuProps,
  vectors: (ctx) => ctx.props.num('vectors'),
  configLen: () => VIRTIO_GPU_CONFIG_SIZE,
  check: virtioGpuCheck,
});
