/**
 * @module
 * `x3130-upstream`: the upstream port of a TI XIO3130 PCI Express switch, 104c:8232 rev 2
 * (hw/pci-bridge/xio3130_upstream.c). MSI (one vector, 64-bit) at 0x70, subsystem vendor ID 0x80, a PCIe v2
 * capability of type upstream port at 0x90 with FLR, AER at 0x100. It sits behind a root or downstream port;
 * its secondary bus holds the switch's `xio3130-downstream` ports.
 */
import * as R from '../pci/regs.js';
import { pcieAerInit, PCI_ERR_SIZEOF } from '../pci/caps.js';
import { checkAerLogMax, pciePortInitReg } from '../pci/pcie.js';
import { PciBridgeBase } from './pci-bridge.js';
import { pciProps } from '../pci/device.js';
import { checkUintProp, defineProp } from '../core/qdev-properties.js';
import type { QdevTypeInfo } from '../core/qdev.js';

export const PCI_VENDOR_ID_TI = 0x104c;
/** XIO3130_MSI_OFFSET, XIO3130_SSVID_OFFSET, XIO3130_EXP_OFFSET, XIO3130_AER_OFFSET (both ports) */
export const XIO3130_MSI_OFFSET = 0x70;
export const XIO3130_SSVID_OFFSET = 0x80;
export const XIO3130_EXP_OFFSET = 0x90;
export const XIO3130_AER_OFFSET = 0x100;

/** An x3130-upstream port (TYPE_PCIE_PORT). */
export class Xio3130Upstream extends PciBridgeBase {
  override readonly secondaryExpress: boolean = true;

  constructor(
    typeName: string,
    readonly port: number,
    readonly aerLogMax: number,
  ) {
    super({ typeName, vendorId: PCI_VENDOR_ID_TI, deviceId: 0x8232, revision: 0x2, classId: 0x0604, isBridge: true, isExpress: true });
    checkUintProp('port', 'uint8', port);
  }

  /** xio3130_upstream_realize() */
  protected override realizeDevice(): void {
    this.pciBridgeInitfn(true);
    pciePortInitReg(this);
    this.msiInit(XIO3130_MSI_OFFSET, 1, true, false);
    this.pciBridgeSsvidInit(XIO3130_SSVID_OFFSET, 0, 0);
    this.pcieCapInitV2(XIO3130_EXP_OFFSET, R.PCI_EXP_TYPE_UPSTREAM, this.port);
    this.pcieCapFlrInit();
    this.pcieCapDeverrInit();
    checkAerLogMax(this.aerLogMax);
    pcieAerInit(this, XIO3130_AER_OFFSET, PCI_ERR_SIZEOF, this.aerLogMax);
  }

  /** xio3130_upstream_write_config(): bridge write, FLR (AER logs nothing) */
  override configWrite(addr: number, val: number, len: number): void {
    super.configWrite(addr, val, len);
    this.pcieCapFlrWriteConfig();
  }

  /** xio3130_upstream_reset() */
  override deviceReset(): void {
    this.pciBridgeReset();
    this.pcieCapDeverrReset();
  }
}

const up = 'x3130-upstream';
/** `x3130-upstream`: pcie_port_props[] */
export const X3130_UPSTREAM_TYPE: QdevTypeInfo = {
  name: up,
  ancestors: [up, 'pcie-port', 'base-pci-bridge', 'pci-device', 'device'],
  busType: 'PCI',
  kind: 'pci',
  pcieOnly: true,
  props: [...pciProps(up), defineProp(up, 'port', 'uint8', 0), defineProp(up, 'aer_log_max', 'uint16', 8)],
  build: (ctx) => new Xio3130Upstream(up, ctx.props.num('port'), ctx.props.num('aer_log_max')),
};
