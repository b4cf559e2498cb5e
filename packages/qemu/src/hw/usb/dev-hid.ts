/**
 * @module
 * `usb-tablet`, `usb-mouse`, `usb-kbd` (hw/usb/dev-hid.c): HID devices on a USB bus. No PCI function; their
 * properties, and usb_hid_initfn()'s check of `usb_version`.
 */
import { QemuError } from '../../errors.js';
import { defineProp } from '../core/qdev-properties.js';
import type { QdevTypeInfo } from '../core/qdev.js';
import { usbDeviceProps } from './bus.js';

function hidType(name: string, productDesc: string, extra: 'tablet' | 'mouse' | 'kbd'): QdevTypeInfo {
  return {
    name,
    ancestors: [name, 'usb-hid', 'usb-device', 'device'],
    busType: 'usb-bus',
    kind: 'usb-device',
    usbDevice: { productDesc },
    props: [
      ...usbDeviceProps(name),
      defineProp(name, 'usb_version', 'uint32', 2),
      ...(extra !== 'mouse' ? [defineProp(name, 'display', 'string')] : []),
      ...(extra === 'tablet' ? [defineProp(name, 'head', 'uint32', 0)] : []),
    ],
    realizeCheck: (props) => {
      // usb_hid_initfn()
      const v = props.num('usb_version');
      if (v !== 1 && v !== 2) throw new QemuError('BAD_PROPERTY_VALUE', `Invalid usb version ${v} for usb hid device`);
    },
  };
}

/** usb_tablet_properties[], usb_mouse_properties[], usb_keyboard_properties[] */
export const USB_HID_TYPES: readonly QdevTypeInfo[] = [
  hidType('usb-tablet', 'QEMU USB Tablet', 'tablet'),
  hidType('usb-mouse', 'QEMU USB Mouse', 'mouse'),
  hidType('usb-kbd', 'QEMU USB Keyboard', 'kbd'),
];
