/**
 * @module
 * PCI Express root ports (hw/pci-bridge/pcie_root_port.c `rp_realize`, TYPE_PCIE_ROOT_PORT): QEMU's generic
 * `pcie-root-port`, Red Hat 1b36:000c (hw/pci-bridge/gen_pcie_root_port.c `gen_rp_realize`: subsystem vendor ID
 * 0x40, MSI-X (one vector, BAR 0) 0x48, PCIe v2 root port with slot 0x54, then the resource-reserve vendor
 * capability when something is reserved; AER at 0x100 and ACS at 0x148), and Intel's `ioh3420`
 * (hw/pci-bridge/ioh3420.c: SSVID 0x40, two-vector MSI 0x60, PCIe 0x90, AER 0x100, no ACS). The class
 * parameters (`PCIERootPortClass`: offsets, interrupts) say which.
 */
import * as R from '../pci/regs.js';
import { pcieAerInit, PCI_ERR_SIZEOF } from '../pci/caps.js';
import { checkAerLogMax, pciePortInitReg, PcieSlot, type PcieSlotConfig } from '../pci/pcie.js';
import type { PcieChassisRegistry } from '../pci/pcie-port.js';
import { NO_RES_RESERVE, reserveOf, reserveProps, type ResReserve } from './pci-bridge.js';
import { pciProps } from '../pci/device.js';
import { defineProp, type QdevPropDef } from '../core/qdev-properties.js';
import type { BuildContext, QdevTypeInfo } from '../core/qdev.js';
import { msixInitExclusiveBar } from '../virtio/virtio-pci.js';

const PCI_VENDOR_ID_REDHAT = 0x1b36;
const PCI_VENDOR_ID_INTEL = 0x8086;

const PCI_EXP_RTCTL_SECEE_SENFEE_SEFEE = 0x0007;
const PCI_ERR_ROOT_COMMAND = 0x2c;
const PCI_ERR_ROOT_STATUS = 0x30;
const PCI_ERR_ROOT_CMD_EN_MASK = 0x7;
const PCI_ERR_ROOT_STATUS_REPORT_MASK = 0x7f;
const PCI_ERR_ROOT_IRQ = 0xf8000000;
const PCI_ERR_ROOT_IRQ_SHIFT = 27;
const PCI_ACS_SIZEOF = 8;
const PCI_ACS_CAP = 0x04;
const PCI_ACS_CTRL = 0x06;
const PCI_ACS_SV_TB_RR_CR_UF_DT = 0x01 | 0x02 | 0x04 | 0x08 | 0x10 | 0x40;
const PCI_EXT_CAP_ID_ACS = 0x0d;
const GEN_PCIE_ROOT_PORT_AER_OFFSET = 0x100;
const GEN_PCIE_ROOT_PORT_ACS_OFFSET = GEN_PCIE_ROOT_PORT_AER_OFFSET + PCI_ERR_SIZEOF;
const GEN_PCIE_ROOT_DEFAULT_IO_RANGE = 4096n;

/** PCIELinkSpeed / PCIELinkWidth as the x-speed / x-width properties spell them */
export const PCIE_LINK_SPEEDS = ['2_5', '5', '8', '16'] as const;

/** The root-port properties (PCIEPort, PCIESlot, rp_props, and gen_rp_props for the generic port). */
export interface PcieRootPortConfig extends PcieSlotConfig {
  disableAcs: boolean;
  /** gen_rp_props' reserves; the ioh3420 has none */
  reserve: ResReserve;
}

/** PCIERootPortClass: what a root port model fills in */
export interface PcieRootPortClass {
  vendorId: number;
  deviceId: number;
  revision: number;
  ssvidOffset: number;
  ssid: number;
  expOffset: number;
  aerOffset: number;
  /** 0: no ACS */
  acsOffset: number;
  /** interrupts_init: gen_rp_interrupts_init (one MSI-X vector, exclusive BAR 0) or ioh3420_interrupts_init (MSI) */
  interrupts: 'msix-exclusive-bar' | 'ioh3420-msi';
  /** gen_rp_realize(): the resource-reserve capability and its I/O rule */
  generic: boolean;
}

const GEN_RP_CLASS: PcieRootPortClass = {
  vendorId: PCI_VENDOR_ID_REDHAT,
  deviceId: 0x000c,
  revision: 0,
  ssvidOffset: 0,
  ssid: 0,
  expOffset: 0,
  aerOffset: GEN_PCIE_ROOT_PORT_AER_OFFSET,
  acsOffset: GEN_PCIE_ROOT_PORT_ACS_OFFSET,
  interrupts: 'msix-exclusive-bar',
  generic: true,
};

/** ioh3420_class_init(): Intel 8086:3420 rev 2 */
const IOH3420_CLASS: PcieRootPortClass = {
  vendorId: PCI_VENDOR_ID_INTEL,
  deviceId: 0x3420,
  revision: 0x2,
  ssvidOffset: 0x40,
  ssid: 0,
  expOffset: 0x90,
  aerOffset: 0x100,
  acsOffset: 0,
  interrupts: 'ioh3420-msi',
  generic: false,
};

/** A root port (TYPE_PCIE_ROOT_PORT). */
export class PcieRootPort extends PcieSlot {
  aerCap = 0;
  acsCap = 0;

  constructor(
    typeName: string,
    override readonly cfg: PcieRootPortConfig,
    chassisRegistry: PcieChassisRegistry,
    /** the model's class: QEMU's generic pcie-root-port unless given */
    readonly rpc: PcieRootPortClass = GEN_RP_CLASS,
  ) {
    super(
      { typeName, vendorId: rpc.vendorId, deviceId: rpc.deviceId, revision: rpc.revision, classId: 0x0604, isBridge: true, isExpress: true },
      cfg,
      chassisRegistry,
    );
  }

  /** rp_realize(), then gen_rp_realize() for the generic port */
  protected override realizeDevice(): void {
    const cfg = this.cfg;
    const rpc = this.rpc;
    this.config[R.PCI_INTERRUPT_PIN] = 1;
    this.pciBridgeInitfn(true);
    pciePortInitReg(this);
    this.pciBridgeSsvidInit(rpc.ssvidOffset, rpc.vendorId, rpc.ssid);
    if (rpc.interrupts === 'msix-exclusive-bar') {
      msixInitExclusiveBar(this, 1, 0); // gen_rp_interrupts_init()
    } else {
      this.msiInit(0x60, 2, false, true); // ioh3420_interrupts_init(): IOH_EP_MSI_SUPPORTED_FLAGS = MASKBIT
    }
    // pcie_cap_init(d, exp_offset, PCI_EXP_TYPE_ROOT_PORT, port) with pcie_cap_fill_slot_lnk()
    const pos = this.pcieCapInitV2(rpc.expOffset, R.PCI_EXP_TYPE_ROOT_PORT, cfg.port);
    this.fillSlotLnk(pos);
    this.pcieCapArifwdInit();
    this.pcieCapDeverrInit();
    this.slotInit(pos);
    this.setWord(pos + R.PCI_EXP_RTCTL, PCI_EXP_RTCTL_SECEE_SENFEE_SEFEE, this.wmask); // pcie_cap_root_init()
    this.chassisAddSlot();
    try {
      checkAerLogMax(cfg.aerLogMax);
    } catch (e) {
      this.chassisDelSlot();
      throw e;
    }
    pcieAerInit(this, rpc.aerOffset, PCI_ERR_SIZEOF, cfg.aerLogMax);
    this.aerCap = rpc.aerOffset;
    // pcie_aer_root_init()
    this.setLong(this.aerCap + PCI_ERR_ROOT_COMMAND, PCI_ERR_ROOT_CMD_EN_MASK, this.wmask);
    this.setLong(this.aerCap + PCI_ERR_ROOT_STATUS, PCI_ERR_ROOT_STATUS_REPORT_MASK, this.w1cmask);
    this.aerVectorUpdate();
    if (rpc.acsOffset && !cfg.disableAcs) this.acsInit(rpc.acsOffset);
    if (!rpc.generic) return;
    // gen_rp_realize(): with ACPI hot-plug (no native hot-plug) SeaBIOS is told to reserve 4 KiB of I/O
    const reserve = { ...cfg.reserve };
    if (reserve.io === null && cfg.hotplug && !cfg.nativeHotplug) reserve.io = GEN_PCIE_ROOT_DEFAULT_IO_RANGE;
    try {
      this.qemuReserveCapInit(0, reserve);
    } catch (e) {
      this.chassisDelSlot();
      throw e;
    }
    if (reserve.io === 0n) {
      this.setWord(R.PCI_COMMAND, this.wordOf(this.wmask, R.PCI_COMMAND) & ~R.PCI_COMMAND_IO, this.wmask);
      this.wmask[R.PCI_IO_BASE] = 0;
      this.wmask[R.PCI_IO_LIMIT] = 0;
    }
  }

  /**
   * rp_aer_vector_update(): the AER interrupt message number in the root error status. The generic port's
   * is 0 (gen_rp_aer_vector); the ioh3420's is 0 with one MSI vector allocated, 1 with two.
   */
  private aerVectorUpdate(): void {
    let vector = 0;
    if (this.rpc.interrupts === 'ioh3420-msi') {
      const flags = this.getWord(this.msiCap + 2);
      vector = (flags & 0x0070) >> 4 === 1 ? 1 : 0; // msi_nr_vectors_allocated(): 1 << QSIZE
    }
    const a = this.aerCap + PCI_ERR_ROOT_STATUS;
    this.setLong(a, ((this.getLong(a) & ~PCI_ERR_ROOT_IRQ) | (vector << PCI_ERR_ROOT_IRQ_SHIFT)) >>> 0);
  }

  /** pcie_acs_init() for a downstream port */
  private acsInit(offset: number): void {
    this.addExtCapability(PCI_EXT_CAP_ID_ACS, 1, offset, PCI_ACS_SIZEOF);
    this.acsCap = offset;
    this.setWord(offset + PCI_ACS_CAP, PCI_ACS_SV_TB_RR_CR_UF_DT);
    this.setWord(offset + PCI_ACS_CTRL, PCI_ACS_SV_TB_RR_CR_UF_DT, this.wmask);
  }

  /** rp_write_config(): bridge write, the AER vector, then the slot control/status side effects */
  override configWrite(addr: number, val: number, len: number): void {
    const pos = this.expCap;
    const oldCtl = this.getWord(pos + R.PCI_EXP_SLTCTL);
    const oldSta = this.getWord(pos + R.PCI_EXP_SLTSTA);
    super.configWrite(addr, val, len);
    this.aerVectorUpdate();
    this.slotWriteConfig(oldCtl, oldSta, addr, val >>> 0, len);
    // pcie_aer_write_config()/pcie_aer_root_write_config(): no error is ever logged, nothing changes
  }

  /** rp_reset() */
  override deviceReset(): void {
    const pos = this.expCap;
    this.aerVectorUpdate();
    this.setWord(pos + R.PCI_EXP_RTCTL, 0); // pcie_cap_root_reset()
    this.pcieCapDeverrReset();
    this.slotReset(pos);
    this.pcieCapArifwdReset();
    if (this.acsCap) this.setWord(this.acsCap + PCI_ACS_CTRL, 0); // pcie_acs_reset()
    this.setLong(this.aerCap + PCI_ERR_ROOT_COMMAND, 0); // pcie_aer_root_reset()
    this.pciBridgeReset();
    this.pciBridgeDisableBaseLimit();
  }
}

/** x-speed as the PCIE_LINK_SPEED enum */
const speedToEnum: Record<string, number> = { '2_5': 1, '5': 2, '8': 3, '16': 4 };

/** pcie_port_props[], pcie_slot_props[] and rp_props[]: what every root port has */
function rpProps(o: string): QdevPropDef[] {
  return [
    ...pciProps(o),
    defineProp(o, 'port', 'uint8', 0),
    defineProp(o, 'aer_log_max', 'uint16', 8),
    defineProp(o, 'chassis', 'uint8', 0),
    defineProp(o, 'slot', 'uint16', 0),
    defineProp(o, 'hotplug', 'bool', true),
    defineProp(o, 'x-native-hotplug', 'bool', true),
    defineProp(o, 'power_controller_present', 'bool', true),
    defineProp(o, 'disable-acs', 'bool', false),
  ];
}

const rp = 'pcie-root-port';
const RP_ANCESTORS = ['pcie-root-port-base', 'pcie-slot', 'pcie-port', 'base-pci-bridge', 'pci-device', 'device'];

/** `pcie-root-port`: rp_props[] and gen_rp_props[] */
export const PCIE_ROOT_PORT_TYPE: QdevTypeInfo = {
  name: rp,
  ancestors: [rp, ...RP_ANCESTORS],
  busType: 'PCI',
  kind: 'pci',
  pcieOnly: true,
  props: [
    ...rpProps(rp),
    defineProp(rp, 'x-migrate-msix', 'bool', true),
    ...reserveProps(rp),
    defineProp(rp, 'x-speed', 'enum', '16', { values: PCIE_LINK_SPEEDS }),
    defineProp(rp, 'x-width', 'enum', '32', { values: ['1', '2', '4', '8', '12', '16', '32'] }),
  ],
  build: (ctx) => {
    const pr = ctx.props;
    return new PcieRootPort(
      rp,
      {
        ...slotConfigOf(ctx),
        disableAcs: pr.bool('disable-acs'),
        reserve: reserveOf(pr),
        speed: speedToEnum[pr.str('x-speed') ?? '16'] ?? 4,
        width: Number(pr.str('x-width') ?? '32'),
      },
      ctx.chassis,
      GEN_RP_CLASS,
    );
  },
};

/**
 * The PCIESlot part of a port's properties. speed and width are 0 here: rp_instance_post_init() makes an unset
 * pair 2.5 GT/s x1 on a root port; a switch downstream port keeps them 0.
 */
export function slotConfigOf(ctx: BuildContext): PcieSlotConfig {
  const pr = ctx.props;
  return {
    port: pr.num('port'),
    aerLogMax: pr.num('aer_log_max'),
    chassis: pr.num('chassis'),
    slot: pr.num('slot'),
    hotplug: pr.bool('hotplug'),
    nativeHotplug: pr.has('x-native-hotplug') ? pr.bool('x-native-hotplug') : ctx.nativeHotplugDefault,
    powerControllerPresent: pr.bool('power_controller_present'),
    speed: 0,
    width: 0,
    lnkstaDllla: pr.bool('x-pcie-lnksta-dllla'),
  };
}

/** `ioh3420`: Intel's root port, with the abstract root port's properties only */
export const IOH3420_TYPE: QdevTypeInfo = {
  name: 'ioh3420',
  ancestors: ['ioh3420', ...RP_ANCESTORS],
  busType: 'PCI',
  kind: 'pci',
  pcieOnly: true,
  props: rpProps('ioh3420'),
  build: (ctx) =>
    new PcieRootPort(
      'ioh3420',
      {
        ...slotConfigOf(ctx),
        disableAcs: ctx.props.bool('disable-acs'),
        reserve: NO_RES_RESERVE,
        speed: 1, // rp_instance_post_init(): QEMU_PCI_EXP_LNK_2_5GT
        width: 1, // QEMU_PCI_EXP_LNK_X1
      },
      ctx.chassis,
      IOH3420_CLASS,
    ),
};

/** TYPE_PCIE_ROOT_PORT: the abstract root port */
export const PCIE_ROOT_PORT_BASE_TYPE: QdevTypeInfo = { name: 'pcie-root-port-base', ancestors: ['pcie-root-port-base', 'pcie-slot', 'pcie-port', 'base-pci-bridge', 'pci-device', 'device'], abstract: true, busType: 'PCI', props: [], kind: 'pci' };
