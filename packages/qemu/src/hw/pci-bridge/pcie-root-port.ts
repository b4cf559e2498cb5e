/**
 * @module
 * `pcie-root-port`: QEMU's generic PCI Express root port, Red Hat 1b36:000c (hw/pci-bridge/pcie_root_port.c
 * `rp_realize` + hw/pci-bridge/gen_pcie_root_port.c `gen_rp_realize`). Capabilities at QEMU's offsets:
 * subsystem vendor ID 0x40, MSI-X (one vector, BAR 0) 0x48, PCIe v2 root port with slot 0x54, then the
 * resource-reserve vendor capability when something is reserved; AER at 0x100 and ACS at 0x148.
 */
import * as R from '../pci/regs.js';
import {
  PCI_EXP_FLAGS_SLOT,
  PCI_EXP_LNKCAP_SLS,
  PCI_EXP_LNKCAP_MLW,
  PCI_EXP_LNKCAP_DLLLARC,
  PCI_EXP_LNKCAP_LBNC,
  PCI_EXP_LNKSTA_CLS,
  PCI_EXP_LNKSTA_NLW,
  PCI_EXP_LNKSTA_DLLLA,
  PCI_EXP_SLTCAP_ABP,
  PCI_EXP_SLTCAP_PCP,
  PCI_EXP_SLTCAP_AIP,
  PCI_EXP_SLTCAP_PIP,
  PCI_EXP_SLTCAP_HPS,
  PCI_EXP_SLTCAP_HPC,
  PCI_EXP_SLTCAP_EIP,
  PCI_EXP_SLTCAP_PSN,
  PCI_EXP_SLTCTL_ABPE,
  PCI_EXP_SLTCTL_PDCE,
  PCI_EXP_SLTCTL_CCIE,
  PCI_EXP_SLTCTL_HPIE,
  PCI_EXP_SLTCTL_AIC,
  PCI_EXP_SLTCTL_AIC_OFF,
  PCI_EXP_SLTCTL_PIC,
  PCI_EXP_SLTCTL_PIC_ON,
  PCI_EXP_SLTCTL_PIC_OFF,
  PCI_EXP_SLTCTL_PCC,
  PCI_EXP_SLTCTL_EIC,
  PCI_EXP_SLTSTA_ABP,
  PCI_EXP_SLTSTA_PFD,
  PCI_EXP_SLTSTA_MRLSC,
  PCI_EXP_SLTSTA_PDC,
  PCI_EXP_SLTSTA_CC,
  PCI_EXP_SLTSTA_PDS,
  PCI_EXP_SLTSTA_EIS,
  PCI_EXP_HP_EV_SUPPORTED,
} from '../pci/regs.js';
import { pcieAerInit, PCI_ERR_SIZEOF } from '../pci/caps.js';
import type { PcieChassisRegistry } from '../pci/pcie-port.js';
import { QemuError } from '../../errors.js';
import { PciBridgeBase, reserveOf, reserveProps, type ResReserve } from './pci-bridge.js';
import { pciProps } from '../pci/device.js';
import { checkUintProp, defineProp } from '../core/qdev-properties.js';
import type { QdevTypeInfo } from '../core/qdev.js';
import { msixInitExclusiveBar } from '../virtio/virtio-pci.js';

const PCI_VENDOR_ID_REDHAT = 0x1b36;

const PCIE_SLOT_EVENTS = PCI_EXP_SLTSTA_ABP | PCI_EXP_SLTSTA_PFD | PCI_EXP_SLTSTA_MRLSC | PCI_EXP_SLTSTA_PDC | PCI_EXP_SLTSTA_CC;
const PCI_EXP_RTCTL_SECEE_SENFEE_SEFEE = 0x0007;
const PCI_EXP_LNKCTL2_TLS = 0x000f;
const PCI_ERR_ROOT_COMMAND = 0x2c;
const PCI_ERR_ROOT_STATUS = 0x30;
const PCI_ERR_ROOT_CMD_EN_MASK = 0x7;
const PCI_ERR_ROOT_STATUS_REPORT_MASK = 0x7f;
const PCI_ACS_SIZEOF = 8;
const PCI_ACS_CAP = 0x04;
const PCI_ACS_CTRL = 0x06;
const PCI_ACS_SV_TB_RR_CR_UF_DT = 0x01 | 0x02 | 0x04 | 0x08 | 0x10 | 0x40;
const PCI_EXT_CAP_ID_ACS = 0x0d;
const PCIE_AER_LOG_MAX_LIMIT = 128;
const GEN_PCIE_ROOT_PORT_AER_OFFSET = 0x100;
const GEN_PCIE_ROOT_PORT_ACS_OFFSET = GEN_PCIE_ROOT_PORT_AER_OFFSET + PCI_ERR_SIZEOF;
const GEN_PCIE_ROOT_DEFAULT_IO_RANGE = 4096n;

/** PCIELinkSpeed / PCIELinkWidth as the x-speed / x-width properties spell them */
export const PCIE_LINK_SPEEDS = ['2_5', '5', '8', '16'] as const;

/** The pcie-root-port properties (PCIEPort, PCIESlot, rp_props, gen_rp_props). */
export interface PcieRootPortConfig {
  port: number;
  aerLogMax: number;
  chassis: number;
  slot: number;
  hotplug: boolean;
  nativeHotplug: boolean;
  powerControllerPresent: boolean;
  disableAcs: boolean;
  reserve: ResReserve;
  /** QEMU_PCI_EXP_LNK_* speed: 1 = 2.5 GT/s … 4 = 16 GT/s */
  speed: number;
  /** link width in lanes */
  width: number;
  /** the x-pcie-lnksta-dllla property of the port itself */
  lnkstaDllla: boolean;
}

/** A pcie-root-port. */
export class PcieRootPort extends PciBridgeBase {
  aerCap = 0;
  acsCap = 0;

  constructor(
    typeName: string,
    readonly cfg: PcieRootPortConfig,
    private readonly chassisRegistry: PcieChassisRegistry,
  ) {
    super({
      typeName,
      vendorId: PCI_VENDOR_ID_REDHAT,
      deviceId: 0x000c,
      classId: 0x0604,
      isBridge: true,
      isExpress: true,
    });
    // the PCIEPort / PCIESlot property widths (port and chassis uint8, slot uint16)
    checkUintProp('port', 'uint8', cfg.port);
    checkUintProp('chassis', 'uint8', cfg.chassis);
    checkUintProp('slot', 'uint16', cfg.slot);
  }

  /** rp_realize() then gen_rp_realize() */
  protected override realizeDevice(): void {
    const cfg = this.cfg;
    this.config[R.PCI_INTERRUPT_PIN] = 1;
    this.pciBridgeInitfn(true);
    // pcie_port_init_reg()
    this.setWord(R.PCI_STATUS, 0);
    this.setWord(R.PCI_SEC_STATUS, 0);
    const bcWmask = this.wmask[R.PCI_BRIDGE_CONTROL]! | (this.wmask[R.PCI_BRIDGE_CONTROL + 1]! << 8);
    this.setWord(
      R.PCI_BRIDGE_CONTROL,
      bcWmask &
        ~(R.PCI_BRIDGE_CTL_MASTER_ABORT |
          R.PCI_BRIDGE_CTL_FAST_BACK |
          R.PCI_BRIDGE_CTL_DISCARD_TIMER |
          R.PCI_BRIDGE_CTL_SEC_DISCARD_TIMER |
          R.PCI_BRIDGE_CTL_DISCARD_TIMER_STATUS |
          R.PCI_BRIDGE_CTL_DISCARD_TIMER_SERR),
      this.wmask,
    );
    // pci_bridge_ssvid_init(d, 0, vendor, ssid = 0)
    const ssvid = this.addCapability(R.PCI_CAP_ID_SSVID, 0, 8);
    this.setWord(ssvid + 4, PCI_VENDOR_ID_REDHAT);
    this.setWord(ssvid + 6, 0);
    // gen_rp_interrupts_init(): one MSI-X vector in an exclusive BAR 0
    msixInitExclusiveBar(this, 1, 0);
    // pcie_cap_init(d, 0, PCI_EXP_TYPE_ROOT_PORT, port) with pcie_cap_fill_slot_lnk()
    const pos = this.pcieCapInitV2(0, R.PCI_EXP_TYPE_ROOT_PORT, cfg.port);
    this.fillSlotLnk(pos);
    this.pcieCapArifwdInit();
    this.pcieCapDeverrInit();
    this.slotInit(pos);
    this.setWord(pos + R.PCI_EXP_RTCTL, PCI_EXP_RTCTL_SECEE_SENFEE_SEFEE, this.wmask); // pcie_cap_root_init()
    if (this.chassisRegistry.add(cfg.chassis, cfg.slot) < 0) {
      throw new QemuError('DUPLICATE_CHASSIS_SLOT', "Can't add chassis slot, error -16");
    }
    if (cfg.aerLogMax > PCIE_AER_LOG_MAX_LIMIT) {
      this.chassisRegistry.del(cfg.chassis, cfg.slot);
      throw new QemuError(
        'BAD_PROPERTY_VALUE',
        `Invalid aer_log_max ${cfg.aerLogMax}. The max number of aer log is ${PCIE_AER_LOG_MAX_LIMIT}`,
      );
    }
    pcieAerInit(this, GEN_PCIE_ROOT_PORT_AER_OFFSET, PCI_ERR_SIZEOF, cfg.aerLogMax);
    this.aerCap = GEN_PCIE_ROOT_PORT_AER_OFFSET;
    // pcie_aer_root_init()
    this.setLong(this.aerCap + PCI_ERR_ROOT_COMMAND, PCI_ERR_ROOT_CMD_EN_MASK, this.wmask);
    this.setLong(this.aerCap + PCI_ERR_ROOT_STATUS, PCI_ERR_ROOT_STATUS_REPORT_MASK, this.w1cmask);
    if (!cfg.disableAcs) this.acsInit(GEN_PCIE_ROOT_PORT_ACS_OFFSET);
    // gen_rp_realize(): with ACPI hot-plug (no native hot-plug) SeaBIOS is told to reserve 4 KiB of I/O
    const reserve = { ...cfg.reserve };
    if (reserve.io === null && cfg.hotplug && !cfg.nativeHotplug) reserve.io = GEN_PCIE_ROOT_DEFAULT_IO_RANGE;
    try {
      this.qemuReserveCapInit(0, reserve);
    } catch (e) {
      this.chassisRegistry.del(cfg.chassis, cfg.slot);
      throw e;
    }
    if (reserve.io === 0n) {
      this.setWord(R.PCI_COMMAND, this.wordOf(this.wmask, R.PCI_COMMAND) & ~R.PCI_COMMAND_IO, this.wmask);
      this.wmask[R.PCI_IO_BASE] = 0;
      this.wmask[R.PCI_IO_LIMIT] = 0;
    }
  }

  /** pcie_cap_fill_slot_lnk() for the x-speed/x-width link */
  private fillSlotLnk(pos: number): void {
    const { speed, width } = this.cfg;
    let lnkcap = this.getLong(pos + R.PCI_EXP_LNKCAP);
    lnkcap = ((lnkcap & ~(PCI_EXP_LNKCAP_MLW | PCI_EXP_LNKCAP_SLS)) | (width << 4) | speed) >>> 0;
    if (width > 1 || speed > 1) lnkcap = (lnkcap | PCI_EXP_LNKCAP_LBNC) >>> 0;
    if (speed > 1) {
      lnkcap = (lnkcap | PCI_EXP_LNKCAP_DLLLARC) >>> 0;
      const a = pos + R.PCI_EXP_LNKCTL2;
      this.setWord(a, (this.getWord(a) & ~PCI_EXP_LNKCTL2_TLS) | (speed & PCI_EXP_LNKCTL2_TLS));
    }
    this.setLong(pos + R.PCI_EXP_LNKCAP, lnkcap);
    if (speed > 2) {
      // LNKCAP2 supported link speeds vector: 2.5, 5, 8 (and 16) GT/s
      this.setLong(pos + R.PCI_EXP_LNKCAP2, 0x2 | 0x4 | 0x8 | (speed > 3 ? 0x10 : 0));
    }
  }

  /** pcie_cap_slot_init() */
  private slotInit(pos: number): void {
    const cfg = this.cfg;
    this.setWord(pos + R.PCI_EXP_FLAGS, this.getWord(pos + R.PCI_EXP_FLAGS) | PCI_EXP_FLAGS_SLOT);
    let sltcap = this.getLong(pos + R.PCI_EXP_SLTCAP) & PCI_EXP_SLTCAP_PSN;
    sltcap |= (cfg.slot << 19) | PCI_EXP_SLTCAP_EIP | PCI_EXP_SLTCAP_PIP | PCI_EXP_SLTCAP_AIP | PCI_EXP_SLTCAP_ABP;
    if (cfg.hotplug && (cfg.nativeHotplug || this.hotplugged)) sltcap |= PCI_EXP_SLTCAP_HPS | PCI_EXP_SLTCAP_HPC;
    const ctl = pos + R.PCI_EXP_SLTCTL;
    if (cfg.powerControllerPresent) {
      sltcap |= PCI_EXP_SLTCAP_PCP;
      this.setWord(ctl, this.getWord(ctl) & ~PCI_EXP_SLTCTL_PCC);
      this.setWord(ctl, this.wordOf(this.wmask, ctl) | PCI_EXP_SLTCTL_PCC, this.wmask);
    }
    this.setLong(pos + R.PCI_EXP_SLTCAP, sltcap >>> 0);
    this.setWord(ctl, (this.getWord(ctl) & ~(PCI_EXP_SLTCTL_PIC | PCI_EXP_SLTCTL_AIC)) | PCI_EXP_SLTCTL_PIC_OFF | PCI_EXP_SLTCTL_AIC_OFF);
    this.setWord(
      ctl,
      this.wordOf(this.wmask, ctl) |
        PCI_EXP_SLTCTL_PIC |
        PCI_EXP_SLTCTL_AIC |
        PCI_EXP_SLTCTL_HPIE |
        PCI_EXP_SLTCTL_CCIE |
        PCI_EXP_SLTCTL_PDCE |
        PCI_EXP_SLTCTL_ABPE |
        PCI_EXP_SLTCTL_EIC,
      this.wmask,
    );
    const sta = pos + R.PCI_EXP_SLTSTA;
    this.setWord(sta, this.wordOf(this.w1cmask, sta) | PCI_EXP_HP_EV_SUPPORTED, this.w1cmask);
  }

  /** pcie_acs_init() for a downstream port */
  private acsInit(offset: number): void {
    this.addExtCapability(PCI_EXT_CAP_ID_ACS, 1, offset, PCI_ACS_SIZEOF);
    this.acsCap = offset;
    this.setWord(offset + PCI_ACS_CAP, PCI_ACS_SV_TB_RR_CR_UF_DT);
    this.setWord(offset + PCI_ACS_CTRL, PCI_ACS_SV_TB_RR_CR_UF_DT, this.wmask);
  }

  private wordOf(arr: Uint8Array, a: number): number {
    return arr[a]! | (arr[a + 1]! << 8);
  }

  /** pci_default_read_config(): reading LNKSTA of a downstream port first syncs it (pcie_sync_bridge_lnk) */
  override configRead(addr: number, len: number): number {
    const lnksta = this.expCap + R.PCI_EXP_LNKSTA;
    if (this.expCap && addr < lnksta + 2 && addr + len > lnksta) this.syncBridgeLnk();
    return super.configRead(addr, len);
  }

  /** pcie_sync_bridge_lnk(): the port's link status follows the device behind it */
  private syncBridgeLnk(): void {
    const pos = this.expCap;
    const target = this.secondaryBus?.devices[0] ?? null;
    const lnkcap = this.getWord(pos + R.PCI_EXP_LNKCAP); // QEMU reads it as a word
    let lnksta: number;
    if (!target || !target.expCap) {
      lnksta = lnkcap;
    } else {
      lnksta = target.configRead(target.expCap + R.PCI_EXP_LNKSTA, 2);
      if ((lnksta & PCI_EXP_LNKSTA_NLW) > (lnkcap & PCI_EXP_LNKCAP_MLW)) {
        lnksta = (lnksta & ~PCI_EXP_LNKSTA_NLW) | (lnkcap & PCI_EXP_LNKCAP_MLW);
      }
      if ((lnksta & PCI_EXP_LNKSTA_CLS) > (lnkcap & PCI_EXP_LNKCAP_SLS)) {
        lnksta = (lnksta & ~PCI_EXP_LNKSTA_CLS) | (lnkcap & PCI_EXP_LNKCAP_SLS);
      }
    }
    if (!(lnksta & PCI_EXP_LNKSTA_NLW)) lnksta |= 0x10; // x1
    if (!(lnksta & PCI_EXP_LNKSTA_CLS)) lnksta |= 0x1; // 2.5 GT/s
    const a = pos + R.PCI_EXP_LNKSTA;
    this.setWord(
      a,
      (this.getWord(a) & ~(PCI_EXP_LNKSTA_CLS | PCI_EXP_LNKSTA_NLW)) | (lnksta & (PCI_EXP_LNKSTA_CLS | PCI_EXP_LNKSTA_NLW)),
    );
  }

  /** rp_write_config(): bridge write, then the slot control/status side effects */
  override configWrite(addr: number, val: number, len: number): void {
    const pos = this.expCap;
    const oldCtl = this.getWord(pos + R.PCI_EXP_SLTCTL);
    const oldSta = this.getWord(pos + R.PCI_EXP_SLTSTA);
    super.configWrite(addr, val, len);
    this.slotWriteConfig(oldCtl, oldSta, addr, val >>> 0, len);
    // pcie_aer_write_config()/pcie_aer_root_write_config(): no error is ever logged, nothing changes
  }

  /** pcie_cap_slot_write_config() */
  private slotWriteConfig(oldCtl: number, oldSta: number, addr: number, val: number, len: number): void {
    const pos = this.expCap;
    const staA = pos + R.PCI_EXP_SLTSTA;
    const ctlA = pos + R.PCI_EXP_SLTCTL;
    let sltsta = this.getWord(staA);
    if (addr < staA + 2 && addr + len > staA) {
      // guests clear status bits during init; keep events that were not set before the write
      if (val & ~oldSta & PCIE_SLOT_EVENTS) {
        sltsta = (sltsta & ~PCIE_SLOT_EVENTS) | (oldSta & PCIE_SLOT_EVENTS);
        this.setWord(staA, sltsta);
      }
    }
    if (!(addr < ctlA + 2 && addr + len > ctlA)) return;
    const ctl = this.getWord(ctlA);
    if (ctl & PCI_EXP_SLTCTL_EIC) {
      this.setWord(ctlA, ctl & ~PCI_EXP_SLTCTL_EIC);
      sltsta ^= PCI_EXP_SLTSTA_EIS;
      this.setWord(staA, sltsta);
    }
    if (
      sltsta & PCI_EXP_SLTSTA_PDS &&
      val & PCI_EXP_SLTCTL_PCC &&
      (val & PCI_EXP_SLTCTL_PIC_OFF) === PCI_EXP_SLTCTL_PIC_OFF &&
      (!(oldCtl & PCI_EXP_SLTCTL_PCC) || (oldCtl & PCI_EXP_SLTCTL_PIC_OFF) !== PCI_EXP_SLTCTL_PIC_OFF)
    ) {
      this.slotDoUnplug();
    }
    // pcie_cap_slot_event(PCI_EXP_HP_EV_CCI): the command completed at once
    this.setWord(staA, this.getWord(staA) | PCI_EXP_SLTSTA_CC);
  }

  /** pcie_cap_slot_do_unplug() */
  private slotDoUnplug(): void {
    const sec = this.secondaryBus;
    if (sec) for (const d of sec.devices) if (d) sec.unplug(d);
    const pos = this.expCap;
    this.setWord(pos + R.PCI_EXP_SLTSTA, this.getWord(pos + R.PCI_EXP_SLTSTA) & ~PCI_EXP_SLTSTA_PDS);
    const lnkcap = this.getLong(pos + R.PCI_EXP_LNKCAP);
    if (this.cfg.lnkstaDllla || lnkcap & PCI_EXP_LNKCAP_DLLLARC) {
      this.setWord(pos + R.PCI_EXP_LNKSTA, this.getWord(pos + R.PCI_EXP_LNKSTA) & ~PCI_EXP_LNKSTA_DLLLA);
    }
    this.setWord(pos + R.PCI_EXP_SLTSTA, this.getWord(pos + R.PCI_EXP_SLTSTA) | PCI_EXP_SLTSTA_PDC);
  }

  /**
   * pcie_cap_slot_plug_cb(), when this port's slot serves its bus (native hot-plug): presence, link
   * active, and for a hot-plugged function 0 the presence-changed and attention-button events.
   */
  slotPlug(deviceDllla: boolean, devfn: number, hotplugged: boolean): void {
    const pos = this.expCap;
    const lnkcap = this.getLong(pos + R.PCI_EXP_LNKCAP);
    const present = () => {
      this.setWord(pos + R.PCI_EXP_SLTSTA, this.getWord(pos + R.PCI_EXP_SLTSTA) | PCI_EXP_SLTSTA_PDS);
      if (deviceDllla || lnkcap & PCI_EXP_LNKCAP_DLLLARC) {
        this.setWord(pos + R.PCI_EXP_LNKSTA, this.getWord(pos + R.PCI_EXP_LNKSTA) | PCI_EXP_LNKSTA_DLLLA);
      }
    };
    if (!hotplugged) {
      present();
      return;
    }
    if (this.secondaryBus?.devices[0] && devfn >= 0) {
      present();
      this.setWord(pos + R.PCI_EXP_SLTSTA, this.getWord(pos + R.PCI_EXP_SLTSTA) | PCI_EXP_SLTSTA_PDC | PCI_EXP_SLTSTA_ABP);
    }
  }

  /** pcie_cap_slot_pre_plug_cb(): Returns QEMU's error text, or null. */
  slotPrePlug(hotplugged: boolean): string | null {
    const sltcap = this.getWord(this.expCap + R.PCI_EXP_SLTCAP);
    if (hotplugged && (sltcap & PCI_EXP_SLTCAP_HPC) === 0) {
      return `Hot-plug failed: unsupported by the port device '${this.id ?? ''}'`;
    }
    if (this.getWord(this.expCap + R.PCI_EXP_SLTSTA) & PCI_EXP_SLTSTA_EIS) {
      return 'slot is electromechanically locked: Device or resource busy';
    }
    return null;
  }

  /** pcie_cap_slot_enable_power(): ACPI hot-plug powers the slot of a root port */
  slotEnablePower(): void {
    const pos = this.expCap;
    if (this.getLong(pos + R.PCI_EXP_SLTCAP) & PCI_EXP_SLTCAP_PCP) {
      this.setWord(pos + R.PCI_EXP_SLTCTL, this.getWord(pos + R.PCI_EXP_SLTCTL) & ~PCI_EXP_SLTCTL_PCC);
    }
  }

  /** rp_reset() */
  override deviceReset(): void {
    const pos = this.expCap;
    this.setWord(pos + R.PCI_EXP_RTCTL, 0); // pcie_cap_root_reset()
    this.pcieCapDeverrReset();
    this.slotReset(pos);
    this.pcieCapArifwdReset();
    if (this.acsCap) this.setWord(this.acsCap + PCI_ACS_CTRL, 0); // pcie_acs_reset()
    this.setLong(this.aerCap + PCI_ERR_ROOT_COMMAND, 0); // pcie_aer_root_reset()
    this.pciBridgeReset();
    this.pciBridgeDisableBaseLimit();
  }

  /** pcie_cap_slot_reset() */
  private slotReset(pos: number): void {
    const ctlA = pos + R.PCI_EXP_SLTCTL;
    let ctl = this.getWord(ctlA);
    ctl &= ~(
      PCI_EXP_SLTCTL_EIC |
      PCI_EXP_SLTCTL_PIC |
      PCI_EXP_SLTCTL_AIC |
      PCI_EXP_SLTCTL_HPIE |
      PCI_EXP_SLTCTL_CCIE |
      PCI_EXP_SLTCTL_PDCE |
      PCI_EXP_SLTCTL_ABPE
    );
    ctl |= PCI_EXP_SLTCTL_AIC_OFF;
    if (this.cfg.powerControllerPresent) {
      const populated = !!this.secondaryBus?.devices[0];
      if (populated) ctl &= ~PCI_EXP_SLTCTL_PCC;
      else ctl |= PCI_EXP_SLTCTL_PCC;
      ctl |= populated ? PCI_EXP_SLTCTL_PIC_ON : PCI_EXP_SLTCTL_PIC_OFF;
    }
    this.setWord(ctlA, ctl);
    const staA = pos + R.PCI_EXP_SLTSTA;
    this.setWord(
      staA,
      this.getWord(staA) & ~(PCI_EXP_SLTSTA_EIS | PCI_EXP_SLTSTA_CC | PCI_EXP_SLTSTA_PDC | PCI_EXP_SLTSTA_ABP),
    );
  }
}

const rp = 'pcie-root-port';
/** x-speed as the PCIE_LINK_SPEED enum */
const speedToEnum: Record<string, number> = { '2_5': 1, '5': 2, '8': 3, '16': 4 };

/** `pcie-root-port`: rp_props[] and gen_rp_props[] */
export const PCIE_ROOT_PORT_TYPE: QdevTypeInfo = {
  name: rp,
  ancestors: [rp, 'pcie-root-port-base', 'pcie-slot', 'pcie-port', 'base-pci-bridge', 'pci-device', 'device'],
  busType: 'PCI',
  kind: 'pci',
  pcieOnly: true,
  props: [
    ...pciProps(rp),
    defineProp(rp, 'port', 'uint8', 0),
    defineProp(rp, 'aer_log_max', 'uint16', 8),
    defineProp(rp, 'chassis', 'uint8', 0),
    defineProp(rp, 'slot', 'uint16', 0),
    defineProp(rp, 'hotplug', 'bool', true),
    defineProp(rp, 'x-native-hotplug', 'bool', true),
    defineProp(rp, 'power_controller_present', 'bool', true),
    defineProp(rp, 'disable-acs', 'bool', false),
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
        port: pr.num('port'),
        aerLogMax: pr.num('aer_log_max'),
        chassis: pr.num('chassis'),
        slot: pr.num('slot'),
        hotplug: pr.bool('hotplug'),
        nativeHotplug: pr.has('x-native-hotplug') ? pr.bool('x-native-hotplug') : ctx.nativeHotplugDefault,
        powerControllerPresent: pr.bool('power_controller_present'),
        disableAcs: pr.bool('disable-acs'),
        reserve: reserveOf(pr),
        speed: speedToEnum[pr.str('x-speed') ?? '16'] ?? 4,
        width: Number(pr.str('x-width') ?? '32'),
        lnkstaDllla: pr.bool('x-pcie-lnksta-dllla'),
      },
      ctx.chassis,
    );
  },
};

/** TYPE_PCIE_ROOT_PORT: the abstract root port */
export const PCIE_ROOT_PORT_BASE_TYPE: QdevTypeInfo = { name: 'pcie-root-port-base', ancestors: ['pcie-root-port-base', 'pcie-slot', 'pcie-port', 'base-pci-bridge', 'pci-device', 'device'], abstract: true, busType: 'PCI', props: [], kind: 'pci' };
