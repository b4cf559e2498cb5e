/**
 * @module
 * `qemu-xhci`: QEMU's own xHCI controller, Red Hat 1b36:000d rev 1, class 0c0330 (hw/usb/hcd-xhci-pci.c
 * `usb_xhci_pci_realize`, `qemu_xhci_instance_init`): a 16 KiB 64-bit register BAR 0 holding the MSI-X
 * table (0x3000) and PBA (0x3800) for 16 interrupters, MSI-X capability at 0x90, and on a PCIe bus a
 * PCIe v2 endpoint capability at 0xa0 (Root Complex Integrated Endpoint on pcie.0). MSI is off.
 */
import * as R from '../pci/regs.js';
import { QdevPciDevice } from '../pci/qdev-pci.js';
import { pciProps } from '../pci/device.js';
import { defineProp } from '../core/qdev-properties.js';
import type { QdevTypeInfo } from '../core/qdev.js';

const XHCI_MAXINTRS = 16;
const XHCI_LEN_REGS = 0x4000;
const OFF_MSIX_TABLE = 0x3000;
const OFF_MSIX_PBA = 0x3800;

/** qemu-xhci properties */
export interface XhciConfig {
  /** USB 2 ports (p2), clamped to 15 by usb_xhci_init */
  p2: number;
  /** USB 3 ports (p3), clamped to 15 */
  p3: number;
  streams: boolean;
}

export class QemuXhci extends QdevPciDevice {
  constructor(
    typeName: string,
    readonly cfg: XhciConfig,
  ) {
    // xhci_instance_init(): QEMU_PCI_CAP_EXPRESS regardless of the bus
    super({ typeName, vendorId: 0x1b36, deviceId: 0x000d, revision: 0x01, classId: 0x0c03, isExpress: true });
  }

  /** usb_xhci_pci_realize() */
  protected override realizeDevice(): void {
    this.config[R.PCI_CLASS_PROG] = 0x30; // xHCI
    this.config[R.PCI_INTERRUPT_PIN] = 0x01;
    this.config[R.PCI_CACHE_LINE_SIZE] = 0x10;
    this.config[0x60] = 0x30; // release number
    this.registerBar(0, R.PCI_BASE_ADDRESS_SPACE_MEMORY | R.PCI_BASE_ADDRESS_MEM_TYPE_64, XHCI_LEN_REGS);
    if (this.bus?.isExpress) this.pcieEndpointCapInitV2(0xa0);
    this.msixInit(XHCI_MAXINTRS, 0, OFF_MSIX_TABLE, 0, OFF_MSIX_PBA, 0x90);
  }
}

const x = 'qemu-xhci';

/** `qemu-xhci`: qemu_xhci_properties[] (the xHCI core's, aliased) */
export const QEMU_XHCI_TYPE: QdevTypeInfo = {
  name: x,
  ancestors: [x, 'pci-xhci', 'pci-device', 'device'],
  innerAncestors: ['base-xhci', 'device'],
  busType: 'PCI',
  kind: 'pci',
  props: [
    ...pciProps(x),
    defineProp('base-xhci', 'streams', 'bool', true),
    defineProp('base-xhci', 'p2', 'uint32', 4),
    defineProp('base-xhci', 'p3', 'uint32', 4),
  ],
  build: (ctx) => new QemuXhci(x, { p2: ctx.props.num('p2'), p3: ctx.props.num('p3'), streams: ctx.props.bool('streams') }),
};
