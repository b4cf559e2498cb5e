/**
 * @module
 * `i82801b11-bridge`: Intel's 82801 DMI-to-PCI bridge, 8086:244e rev 0x92 (hw/pci-bridge/i82801b11.c), what
 * libvirt calls "dmi-to-pci-bridge": a conventional PCI bus below q35's PCIe root, with no hot-plug controller
 * of its own. The subsystem vendor ID capability at 0x50 and programming interface 01 (subtractive decode).
 */
import { PciBridgeBase } from './pci-bridge.js';
import { pciProps } from '../pci/device.js';
import * as R from '../pci/regs.js';
import type { QdevTypeInfo } from '../core/qdev.js';

const PCI_DEVICE_ID_INTEL_82801BA_11 = 0x244e;
const ICH9_D2P_A2_REVISION = 0x92;
const I82801BA_SSVID_OFFSET = 0x50;
const PCI_CLASS_BRIDGE_PCI_INF_SUB = 0x01;

export class I82801b11Bridge extends PciBridgeBase {
  constructor(typeName: string) {
    super({ typeName, vendorId: 0x8086, deviceId: PCI_DEVICE_ID_INTEL_82801BA_11, revision: ICH9_D2P_A2_REVISION, classId: 0x0604, isBridge: true });
  }

  /** i82801b11_bridge_realize() */
  protected override realizeDevice(): void {
    this.pciBridgeInitfn(false);
    this.pciBridgeSsvidInit(I82801BA_SSVID_OFFSET, 0, 0);
    this.config[R.PCI_CLASS_PROG] = PCI_CLASS_BRIDGE_PCI_INF_SUB;
  }

  /** dc->reset = pci_bridge_reset */
  override deviceReset(): void {
    this.pciBridgeReset();
  }
}

export const I82801B11_BRIDGE_TYPE: QdevTypeInfo = {
  name: 'i82801b11-bridge',
  ancestors: ['i82801b11-bridge', 'base-pci-bridge', 'pci-device', 'device'],
  busType: 'PCI',
  kind: 'pci',
  props: pciProps('i82801b11-bridge'),
  build: () => new I82801b11Bridge('i82801b11-bridge'),
};
