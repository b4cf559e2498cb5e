/**
 * @module
 * `xio3130-downstream`: a downstream port of a TI XIO3130 PCI Express switch, 104c:8233 rev 1
 * (hw/pci-bridge/xio3130_downstream.c). The upstream port's layout (MSI 0x70, SSVID 0x80, PCIe 0x90 with FLR,
 * AER 0x100) plus a hot-plug slot. It is a PCIESlot whose link speed and width are left unset (0), so
 * pcie_cap_fill_slot_lnk() writes a LNKCAP of width 0 and speed 0.
 */
import * as R from '../pci/regs.js';
import { pcieAerInit, PCI_ERR_SIZEOF } from '../pci/caps.js';
import { checkAerLogMax, pciePortInitReg, PcieSlot, type PcieSlotConfig } from '../pci/pcie.js';
import type { PcieChassisRegistry } from '../pci/pcie-port.js';
import { PCI_VENDOR_ID_TI, XIO3130_AER_OFFSET, XIO3130_EXP_OFFSET, XIO3130_MSI_OFFSET, XIO3130_SSVID_OFFSET } from './xio3130-upstream.js';
import { slotConfigOf } from './pcie-root-port.js';
import { pciProps } from '../pci/device.js';
import { defineProp } from '../core/qdev-properties.js';
import type { QdevTypeInfo } from '../core/qdev.js';

/** An xio3130-downstream port (TYPE_PCIE_SLOT). */
export class Xio3130Downstream extends PcieSlot {
  constructor(typeName: string, cfg: PcieSlotConfig, chassisRegistry: PcieChassisRegistry) {
    super(
      { typeName, vendorId: PCI_VENDOR_ID_TI, deviceId: 0x8233, revision: 0x1, classId: 0x0604, isBridge: true, isExpress: true },
      cfg,
      chassisRegistry,
    );
  }

  /** xio3130_downstream_realize() */
  protected override realizeDevice(): void {
    this.pciBridgeInitfn(true);
    pciePortInitReg(this);
    this.msiInit(XIO3130_MSI_OFFSET, 1, true, false);
    this.pciBridgeSsvidInit(XIO3130_SSVID_OFFSET, 0, 0);
    const pos = this.pcieCapInitV2(XIO3130_EXP_OFFSET, R.PCI_EXP_TYPE_DOWNSTREAM, this.cfg.port);
    this.fillSlotLnk(pos);
    this.pcieCapFlrInit();
    this.pcieCapDeverrInit();
    this.slotInit(pos);
    this.pcieCapArifwdInit();
    this.chassisAddSlot();
    try {
      checkAerLogMax(this.cfg.aerLogMax);
    } catch (e) {
      this.chassisDelSlot();
      throw e;
    }
    pcieAerInit(this, XIO3130_AER_OFFSET, PCI_ERR_SIZEOF, this.cfg.aerLogMax);
  }

  /** xio3130_downstream_write_config(): bridge write, FLR, the slot's side effects (AER logs nothing) */
  override configWrite(addr: number, val: number, len: number): void {
    const pos = this.expCap;
    const oldCtl = this.getWord(pos + R.PCI_EXP_SLTCTL);
    const oldSta = this.getWord(pos + R.PCI_EXP_SLTSTA);
    super.configWrite(addr, val, len);
    this.pcieCapFlrWriteConfig();
    this.slotWriteConfig(oldCtl, oldSta, addr, val >>> 0, len);
  }

  /** xio3130_downstream_reset() */
  override deviceReset(): void {
    this.pcieCapDeverrReset();
    this.slotReset(this.expCap);
    this.pcieCapArifwdReset();
    this.pciBridgeReset();
  }
}

const dn = 'xio3130-downstream';
/** `xio3130-downstream`: pcie_port_props[], pcie_slot_props[], xio3130_downstream_props[] */
export const XIO3130_DOWNSTREAM_TYPE: QdevTypeInfo = {
  name: dn,
  ancestors: [dn, 'pcie-slot', 'pcie-port', 'base-pci-bridge', 'pci-device', 'device'],
  busType: 'PCI',
  kind: 'pci',
  pcieOnly: true,
  props: [
    ...pciProps(dn),
    defineProp(dn, 'port', 'uint8', 0),
    defineProp(dn, 'aer_log_max', 'uint16', 8),
    defineProp(dn, 'chassis', 'uint8', 0),
    defineProp(dn, 'slot', 'uint16', 0),
    defineProp(dn, 'hotplug', 'bool', true),
    defineProp(dn, 'x-native-hotplug', 'bool', true),
    defineProp(dn, 'power_controller_present', 'bool', true),
  ],
  build: (ctx) => new Xio3130Downstream(dn, slotConfigOf(ctx), ctx.chassis),
};
