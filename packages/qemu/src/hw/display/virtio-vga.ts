/**
 * @module
 * `virtio-vga`: the virtio GPU behind a standard VGA (hw/display/virtio-vga.c, `virtio_vga_base_realize`),
 * as QEMU 7.2 builds it: class 0x0300, the VGA's 8 MiB framebuffer in BAR 0, the modern virtio BAR moved to
 * BAR 2 (with the stdvga MMIO registers at its start, so the common and ISR regions are halved unless
 * page-per-vq), MSI-X in BAR 4, and vgabios-virtio.bin as option ROM (SeaVGABIOS, bochs flavour).
 */
import { defineProp } from '../core/qdev-properties.js';
import * as R from '../pci/regs.js';
import { virtioPciTypes, type VirtioPciDevice } from '../virtio/virtio-pci.js';
import { virtioGpuCheck, virtioGpuPciProps, virtioGpuProps, virtioGpuSpec } from './virtio-gpu-pci.js';

/** virtio_vga_base_realize(): `vga->vram_size_mb = 8`, whatever the properties say */
const VIRTIO_VGA_VRAM_SIZE = 8 << 20;

/** virtio_vga_base_realize(), the part that shapes config space */
function virtioVgaBaseRealize(proxy: VirtioPciDevice): void {
  // vga_common_init() + pci_register_bar(0, PCI_BASE_ADDRESS_MEM_PREFETCH, &vga->vram)
  proxy.registerBar(0, R.PCI_BASE_ADDRESS_MEM_PREFETCH, VIRTIO_VGA_VRAM_SIZE);
  // "We use bar #2 for the mmio regions, to be compatible with stdvga"
  proxy.barIdx.modernMem = 2;
  proxy.barIdx.msix = 4;
  proxy.barIdx.modernIo = 5;
  const r = proxy.modernRegions;
  if (!proxy.cfg.pagePerVq) {
    // no padding to hold the stdvga registers: the common and isr regions shrink
    r.common.size /= 2;
    r.isr.size /= 2;
  }
  // the virtio regions move to the end of the BAR
  let offset = proxy.modernBarSize;
  offset -= r.notify.size;
  r.notify.offset = offset;
  offset -= r.device.size;
  r.device.offset = offset;
  offset -= r.isr.size;
  r.isr.offset = offset;
  offset -= r.common.size;
  r.common.offset = offset;
}

export const VIRTIO_VGA_TYPES = virtioPciTypes({
  base: 'virtio-vga-base',
  generic: 'virtio-vga',
  vdev: 'virtio-gpu-device',
  spec: virtioGpuSpec(0x0300), // PCI_CLASS_DISPLAY_VGA
  proxyProps: virtioGpuPciProps,
  vdevProps: virtioGpuProps,
  romfile: 'vgabios-virtio.bin',
  vectors: (ctx) => ctx.props.num('vectors'),
  configLen: () => 16,
  check: virtioGpuCheck,
  proxyRealize: virtioVgaBaseRealize,
  // virtio_vga_base_class_init(): "Expose framebuffer byteorder via QOM"
  classProps: (owner) => [defineProp(owner, 'big-endian-framebuffer', 'bool', false)],
});
