/**
 * @module
 * xHCI on PCI (hw/usb/hcd-xhci-pci.c `usb_xhci_pci_realize`): class 0c0330, a 16 KiB 64-bit register BAR 0
 * holding the MSI-X table (0x3000) and PBA (0x3800), MSI at 0x70 when `msi` is not off, a PCIe v2 endpoint
 * capability at 0xa0 on a PCIe bus (Root Complex Integrated Endpoint on pcie.0) or with force-pcie-endcap,
 * MSI-X at 0x90 when `msix` is not off. `qemu-xhci` is QEMU's own, Red Hat 1b36:000d rev 1, MSI off
 * (`qemu_xhci_instance_init`); `nec-usb-xhci` is in hcd-xhci-nec.ts.
 */
import * as R from '../pci/regs.js';
import { QdevPciDevice } from '../pci/qdev-pci.js';
import { pciProps } from '../pci/device.js';
import { defineProp, type QdevPropDef } from '../core/qdev-properties.js';
import type { QdevTypeInfo } from '../core/qdev.js';

/** hcd-xhci.h */
export const XHCI_MAXINTRS = 16;
export const XHCI_MAXPORTS_2 = 15;
export const XHCI_MAXPORTS_3 = 15;
const XHCI_LEN_REGS = 0x4000;
const OFF_MSIX_TABLE = 0x3000;
const OFF_MSIX_PBA = 0x3800;

/** What an xHCI's PCI side is built from (XHCIPciState and the core's numbers). */
export interface XhciConfig {
  /** USB 2 ports (p2), clamped to 15 by usb_xhci_init */
  p2: number;
  /** USB 3 ports (p3), clamped to 15 */
  p3: number;
  streams: boolean;
  /** XHCIPciState.msi: qemu-xhci forces off, nec-usb-xhci's property (default auto) */
  msi?: 'on' | 'off' | 'auto';
  /** XHCIPciState.msix (default auto) */
  msix?: 'on' | 'off' | 'auto';
  /** xhci->numintrs */
  numintrs?: number;
  /** XHCI_FLAG_FORCE_PCIE_ENDCAP */
  forcePcieEndcap?: boolean;
}

/** TYPE_XHCI_PCI's function; the IDs come from the concrete class */
export class XhciPci extends QdevPciDevice {
  constructor(
    typeName: string,
    ids: { vendorId: number; deviceId: number; revision: number },
    readonly cfg: XhciConfig,
  ) {
    // xhci_instance_init(): QEMU_PCI_CAP_EXPRESS regardless of the bus
    super({ typeName, ...ids, classId: 0x0c03, isExpress: true });
  }

  /** usb_xhci_pci_realize() */
  protected override realizeDevice(): void {
    const numintrs = this.cfg.numintrs ?? XHCI_MAXINTRS;
    this.config[R.PCI_CLASS_PROG] = 0x30; // xHCI
    this.config[R.PCI_INTERRUPT_PIN] = 0x01;
    this.config[R.PCI_CACHE_LINE_SIZE] = 0x10;
    this.config[0x60] = 0x30; // release number
    // msi_init(dev, 0x70, numintrs, true, false): x86's MSI is not broken, so it never falls back
    if ((this.cfg.msi ?? 'off') !== 'off') this.msiInit(0x70, numintrs, true, false);
    this.registerBar(0, R.PCI_BASE_ADDRESS_SPACE_MEMORY | R.PCI_BASE_ADDRESS_MEM_TYPE_64, XHCI_LEN_REGS);
    if (this.bus?.isExpress || this.cfg.forcePcieEndcap) this.pcieEndpointCapInitV2(0xa0);
    if ((this.cfg.msix ?? 'auto') !== 'off') this.msixInit(numintrs, 0, OFF_MSIX_TABLE, 0, OFF_MSIX_PBA, 0x90);
  }
}

/** `qemu-xhci`: qemu_xhci_class_init() */
export class QemuXhci extends XhciPci {
  constructor(typeName: string, cfg: XhciConfig) {
    super(typeName, { vendorId: 0x1b36, deviceId: 0x000d, revision: 0x01 }, { ...cfg, msi: 'off', msix: 'auto' });
  }
}

/** the xHCI core's properties (xhci_properties[]), aliased onto the PCI device by qdev_alias_all_properties() */
export function xhciCoreProps(): QdevPropDef[] {
  return [
    defineProp('base-xhci', 'streams', 'bool', true),
    defineProp('base-xhci', 'p2', 'uint32', 4),
    defineProp('base-xhci', 'p3', 'uint32', 4),
  ];
}

/** the root hub's ports of an xHCI's USB bus: usb_xhci_init() registers MAX(numports_2, numports_3) */
export function xhciUsbPorts(p2: number, p3: number): number {
  return Math.max(Math.min(p2, XHCI_MAXPORTS_2), Math.min(p3, XHCI_MAXPORTS_3));
}

const x = 'qemu-xhci';

/** `qemu-xhci`: qemu_xhci_properties[] (the xHCI core's, aliased) */
export const QEMU_XHCI_TYPE: QdevTypeInfo = {
  name: x,
  ancestors: [x, 'pci-xhci', 'pci-device', 'device'],
  innerAncestors: ['base-xhci', 'device'],
  busType: 'PCI',
  kind: 'pci',
  usbHost: { ports: (p) => xhciUsbPorts(p.num('p2'), p.num('p3')) },
  props: [...pciProps(x), ...xhciCoreProps()],
  build: (ctx) => new QemuXhci(x, { p2: ctx.props.num('p2'), p3: ctx.props.num('p3'), streams: ctx.props.bool('streams') }),
};
