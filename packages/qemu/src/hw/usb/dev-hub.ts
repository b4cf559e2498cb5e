/**
 * @module
 * `usb-hub` (hw/usb/dev-hub.c): a hub whose downstream ports join its USB bus. usb_claim_port() also chains
 * one on by itself when a bus is down to its last free port (bus.ts).
 */
import { QemuError } from '../../errors.js';
import { defineProp } from '../core/qdev-properties.js';
import type { QdevTypeInfo } from '../core/qdev.js';
import { USB_HUB_DEFAULT_PORTS, usbDeviceProps } from './bus.js';

/** dev-hub.c MAX_PORTS */
const MAX_PORTS = 8;

const n = 'usb-hub';

/** usb_hub_properties[] */
export const USB_HUB_TYPE: QdevTypeInfo = {
  name: n,
  ancestors: [n, 'usb-device', 'device'],
  busType: 'usb-bus',
  kind: 'usb-device',
  usbDevice: { productDesc: 'QEMU USB Hub', hubPorts: (p) => p.num('ports') },
  props: [...usbDeviceProps(n), defineProp(n, 'ports', 'uint32', USB_HUB_DEFAULT_PORTS), defineProp(n, 'port-power', 'bool', false)],
  realizeCheck: (props) => {
    // usb_hub_realize(): "%d" of a uint32_t
    const ports = props.num('ports');
    if (ports < 1 || ports > MAX_PORTS) {
      throw new QemuError('BAD_PROPERTY_VALUE', `num_ports (${ports | 0}) out of range (1..${MAX_PORTS})`);
    }
  },
};
