/**
 * @module
 * `nec-usb-xhci`: the NEC uPD720200 xHCI, 1033:0194 rev 3 (hw/usb/hcd-xhci-nec.c), the TYPE_XHCI_PCI function
 * of hcd-xhci-pci.ts with MSI on (`msi=auto`: 16 vectors, 64-bit, at 0x70) besides MSI-X.
 *
 * `nec_xhci_instance_init()` copies `flags`, `intrs` and `slots` into the xHCI core when the object is
 * created, before `-device` and `-global` set any property: in 7.2 those three properties (and so
 * `superspeed-ports-first`, `force-pcie-endcap`) keep their defaults whatever the command line says.
 */
import { pciProps } from '../pci/device.js';
import { defineProp } from '../core/qdev-properties.js';
import type { QdevTypeInfo } from '../core/qdev.js';
import { XHCI_MAXINTRS, XhciPci, xhciCoreProps, xhciUsbPorts } from './hcd-xhci-pci.js';

/** XHCI_MAXSLOTS */
const XHCI_MAXSLOTS = 64;

const n = 'nec-usb-xhci';

/** `nec-usb-xhci`: nec_xhci_properties[] and the core's aliased ones */
export const NEC_XHCI_TYPE: QdevTypeInfo = {
  name: n,
  ancestors: [n, 'pci-xhci', 'pci-device', 'device'],
  innerAncestors: ['base-xhci', 'device'],
  busType: 'PCI',
  kind: 'pci',
  usbHost: { ports: (p) => xhciUsbPorts(p.num('p2'), p.num('p3')) },
  props: [
    ...pciProps(n),
    defineProp(n, 'msi', 'onoffauto', 'auto'),
    defineProp(n, 'msix', 'onoffauto', 'auto'),
    defineProp(n, 'superspeed-ports-first', 'bool', true),
    defineProp(n, 'force-pcie-endcap', 'bool', false),
    defineProp(n, 'intrs', 'uint32', XHCI_MAXINTRS),
    defineProp(n, 'slots', 'uint32', XHCI_MAXSLOTS),
    ...xhciCoreProps(),
  ],
  build: (ctx) =>
    // nec_xhci_class_init(): PCI_VENDOR_ID_NEC, PCI_DEVICE_ID_NEC_UPD720200, revision 3; the flags and
    // interrupter count are the defaults nec_xhci_instance_init() copied
    new XhciPci(n, { vendorId: 0x1033, deviceId: 0x0194, revision: 0x03 }, {
      p2: ctx.props.num('p2'),
      p3: ctx.props.num('p3'),
      streams: ctx.props.bool('streams'),
      msi: onOffAuto(ctx.props.str('msi')),
      msix: onOffAuto(ctx.props.str('msix')),
      numintrs: XHCI_MAXINTRS,
      forcePcieEndcap: false,
    }),
};

function onOffAuto(v: string | undefined): 'on' | 'off' | 'auto' {
  return v === 'on' || v === 'off' ? v : 'auto';
}
