/**
 * @module
 * `virtio-net-pci` and its variants: virtio-net: the NIC (virtio ID 1), as QEMU 7.2 registers it (hw/net/virtio-net.c and hw/virtio/virtio-net-pci.c): the proxy and device
 * properties with their defaults, the vector count and config size its realize settles on, and the checks
 * it makes before the PCI function exists.
 */
import { QemuError } from '../../errors.js';
import { virtioPciTypes, DEV_NVECTORS_UNSPECIFIED } from './virtio-pci.js';
import { defineProp as p, nicProperties } from '../core/qdev-properties.js';

export const VIRTIO_NET_PCI_TYPES = virtioPciTypes({
  base: 'virtio-net-pci-base',
  generic: 'virtio-net-pci',
  transitional: 'virtio-net-pci-transitional',
  nonTransitional: 'virtio-net-pci-non-transitional',
  vdev: 'virtio-net-device',
  romfile: 'efi-virtio.rom',
  spec: { virtioId: 1, legacyDeviceId: 0x1000, classId: 0x0200, revision: 0, legacyAllowed: true, forceVirtio1: false },
  proxyProps: (o) => [p(o, 'ioeventfd', 'bool', true), p(o, 'vectors', 'uint32', DEV_NVECTORS_UNSPECIFIED)],
  vdevProps: (o) => [
    ...[
      ['csum', true], ['guest_csum', true], ['gso', true], ['guest_tso4', true], ['guest_tso6', true],
      ['guest_ecn', true], ['guest_ufo', true], ['guest_announce', true], ['host_tso4', true],
      ['host_tso6', true], ['host_ecn', true], ['host_ufo', true], ['mrg_rxbuf', true], ['status', true],
      ['ctrl_vq', true], ['ctrl_rx', true], ['ctrl_vlan', true], ['ctrl_rx_extra', true],
      ['ctrl_mac_addr', true], ['ctrl_guest_offloads', true], ['mq', false], ['rss', false], ['hash', false],
      ['guest_rsc_ext', false],
    ].map(([n, d]) => p(o, n as string, 'bool', d as boolean)),
    p(o, 'rsc_interval', 'uint32', 300000),
    ...nicProperties(o),
    p(o, 'x-txtimer', 'uint32', 150000),
    p(o, 'x-txburst', 'int32', 256),
    p(o, 'tx', 'string'),
    p(o, 'rx_queue_size', 'uint16', 256),
    p(o, 'tx_queue_size', 'uint16', 256),
    p(o, 'host_mtu', 'uint16', 0),
    p(o, 'x-mtu-bypass-backend', 'bool', true),
    p(o, 'speed', 'int32', -1),
    p(o, 'duplex', 'string'),
    p(o, 'failover', 'bool', false),
    p(o, 'bootindex', 'int32', -1),
  ],
  vectors: (ctx) => {
    const v = ctx.props.num('vectors');
    return v === DEV_NVECTORS_UNSPECIFIED ? 2 * Math.max(ctx.netdevQueues, 1) + 2 : v;
  },
  configLen: (pr) => {
    // virtio_net_set_config_size(): the end of the last field a feature enables (MAC always)
    let len = 6;
    if (pr.bool('status')) len = 8;
    if (pr.bool('mq')) len = 10;
    if (pr.num('host_mtu')) len = 12;
    if (pr.str('duplex') !== undefined || pr.num('speed') >= 0) len = 17;
    if (pr.bool('rss') || pr.bool('hash')) len = 24;
    return len;
  },
  check: (ctx) => {
    const d = ctx.props.str('duplex');
    if (d !== undefined && d !== 'half' && d !== 'full') {
      throw new QemuError('BAD_PROPERTY_VALUE', "'duplex' must be 'half' or 'full'");
    }
    if (ctx.props.num('speed') < -1) throw new QemuError('BAD_PROPERTY_VALUE', "'speed' must be between 0 and INT_MAX");
  },
});
