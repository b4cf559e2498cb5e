/**
 * @module
 * `virtio-serial-pci` and its variants: virtio-serial: the console/port multiplexer (virtio ID 3), as QEMU 7.2 registers it (hw/char/virtio-serial-bus.c and hw/virtio/virtio-serial-pci.c): the proxy and device
 * properties with their defaults, the vector count and config size its realize settles on, and the checks
 * it makes before the PCI function exists; and the ports that plug into its bus.
 */
import { QemuError } from '../../errors.js';
import { virtioPciTypes, DEV_NVECTORS_UNSPECIFIED } from './virtio-pci.js';
import { defineProp as p } from '../core/qdev-properties.js';
import type { QdevTypeInfo } from '../core/qdev.js';

export const VIRTIO_SERIAL_PCI_TYPES = virtioPciTypes({
  base: 'virtio-serial-pci-base',
  generic: 'virtio-serial-pci',
  transitional: 'virtio-serial-pci-transitional',
  nonTransitional: 'virtio-serial-pci-non-transitional',
  vdev: 'virtio-serial-device',
  spec: { virtioId: 3, legacyDeviceId: 0x1003, classId: 0x0780, revision: 0, legacyAllowed: true, forceVirtio1: false },
  proxyProps: (o) => [
    p(o, 'ioeventfd', 'bool', true),
    p(o, 'vectors', 'uint32', 2),
    p(o, 'class', 'uint32', 0),
  ],
  vdevProps: (o) => [p(o, 'max_ports', 'uint32', 31), p(o, 'emergency-write', 'bool', true)],
  vectors: (ctx) => {
    const v = ctx.props.num('vectors');
    return v === DEV_NVECTORS_UNSPECIFIED ? ctx.props.num('max_ports') + 1 : v;
  },
  configLen: (pr) => (pr.bool('emergency-write') ? 12 : 8),
  check: (ctx) => {
    const m = ctx.props.num('max_ports');
    if (!m) throw new QemuError('BAD_PROPERTY_VALUE', 'Maximum number of serial ports not specified');
    if (m > 511) throw new QemuError('BAD_PROPERTY_VALUE', 'maximum ports supported: 511');
  },
  // virtio_serial_pci_realize(): only three class codes are accepted, others become 0x0780
  classCode: (pr) => {
    const c = pr.num('class');
    return c === 0x0780 || c === 0x0380 || c === 0x00ff ? c : 0x0780;
  },
});

/** virtserialport and virtconsole (hw/char/virtio-console.c): virtser_props[] and virtconsole's chardev */
function serialPortType(name: string, ancestors: string[]): QdevTypeInfo {
  return {
    name,
    ancestors,
    busType: 'virtio-serial-bus',
    kind: 'virtio-serial-port',
    props: [
      p('virtio-serial-port', 'nr', 'uint32', 0xffffffff),
      p('virtio-serial-port', 'name', 'string'),
      p(name, 'chardev', 'chardev'),
    ],
  };
}

export const VIRTIO_SERIAL_PORT_TYPES: readonly QdevTypeInfo[] = [
  serialPortType('virtserialport', ['virtserialport', 'virtio-serial-port', 'device']),
  serialPortType('virtconsole', ['virtconsole', 'virtserialport', 'virtio-serial-port', 'device']),
];
