/**
 * @module
 * TYPE_PCIE_SLOT (hw/pci/pcie_port.c): the downstream port with a hot-plug slot that root ports
 * (pcie-root-port, ioh3420) and switch downstream ports (xio3130-downstream) are, with the slot register model
 * of hw/pci/pcie.c (pcie_cap_slot_*, pcie_cap_fill_slot_lnk, pcie_sync_bridge_lnk), and pcie_port_init_reg().
 */
import * as R from './regs.js';
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
} from './regs.js';
import { PciBridgeBase } from '../pci-bridge/pci-bridge.js';
import { checkUintProp } from '../core/qdev-properties.js';
import { QemuError } from '../../errors.js';
import type { PcieChassisRegistry } from './pcie-port.js';

const PCIE_SLOT_EVENTS = PCI_EXP_SLTSTA_ABP | PCI_EXP_SLTSTA_PFD | PCI_EXP_SLTSTA_MRLSC | PCI_EXP_SLTSTA_PDC | PCI_EXP_SLTSTA_CC;
const PCI_EXP_LNKCTL2_TLS = 0x000f;

/** PCIEPort's and PCIESlot's properties (pcie_port_props[], pcie_slot_props[], the PCP compat bit). */
export interface PcieSlotConfig {
  port: number;
  aerLogMax: number;
  chassis: number;
  slot: number;
  hotplug: boolean;
  nativeHotplug: boolean;
  powerControllerPresent: boolean;
  /** PCIESlot::speed, QEMU_PCI_EXP_LNK_*: 0 unset (a switch port), 1 = 2.5 GT/s … 4 = 16 GT/s */
  speed: number;
  /** PCIESlot::width in lanes, 0 unset */
  width: number;
  /** the x-pcie-lnksta-dllla property of the port itself */
  lnkstaDllla: boolean;
}

const PCIE_AER_LOG_MAX_LIMIT = 128;

/** pcie_aer_init()'s check of the aer_log_max property */
export function checkAerLogMax(logMax: number): void {
  if (logMax > PCIE_AER_LOG_MAX_LIMIT) {
    throw new QemuError('BAD_PROPERTY_VALUE', `Invalid aer_log_max ${logMax}. The max number of aer log is ${PCIE_AER_LOG_MAX_LIMIT}`);
  }
}

/** pcie_port_init_reg(): a PCIe port's status registers and the bridge-control bits PCIe does not have */
export function pciePortInitReg(d: PciBridgeBase): void {
  d.setWord(R.PCI_STATUS, 0);
  d.setWord(R.PCI_SEC_STATUS, 0);
  const bcWmask = d.wmask[R.PCI_BRIDGE_CONTROL]! | (d.wmask[R.PCI_BRIDGE_CONTROL + 1]! << 8);
  d.setWord(
    R.PCI_BRIDGE_CONTROL,
    bcWmask &
      ~(R.PCI_BRIDGE_CTL_MASTER_ABORT |
        R.PCI_BRIDGE_CTL_FAST_BACK |
        R.PCI_BRIDGE_CTL_DISCARD_TIMER |
        R.PCI_BRIDGE_CTL_SEC_DISCARD_TIMER |
        R.PCI_BRIDGE_CTL_DISCARD_TIMER_STATUS |
        R.PCI_BRIDGE_CTL_DISCARD_TIMER_SERR),
    d.wmask,
  );
}

/** TYPE_PCIE_SLOT: a downstream port with a hot-plug slot, as root ports and switch downstream ports are. */
export abstract class PcieSlot extends PciBridgeBase {
  override readonly secondaryExpress: boolean = true;

  constructor(
    opts: ConstructorParameters<typeof PciBridgeBase>[0],
    readonly cfg: PcieSlotConfig,
    protected readonly chassisRegistry: PcieChassisRegistry,
  ) {
    super(opts);
    // the PCIEPort / PCIESlot property widths (port and chassis uint8, slot uint16)
    checkUintProp('port', 'uint8', cfg.port);
    checkUintProp('chassis', 'uint8', cfg.chassis);
    checkUintProp('slot', 'uint16', cfg.slot);
  }

  /** pcie_chassis_add_slot() with realize's error text */
  protected chassisAddSlot(): void {
    if (this.chassisRegistry.add(this.cfg.chassis, this.cfg.slot) < 0) {
      throw new QemuError('DUPLICATE_CHASSIS_SLOT', "Can't add chassis slot, error -16");
    }
  }

  /** pcie_chassis_del_slot() */
  chassisDelSlot(): void {
    this.chassisRegistry.del(this.cfg.chassis, this.cfg.slot);
  }

  /** pcie_cap_fill_slot_lnk() for the x-speed/x-width link */
  protected fillSlotLnk(pos: number): void {
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
  protected slotInit(pos: number): void {
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

  protected wordOf(arr: Uint8Array, a: number): number {
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

  /** pcie_cap_slot_write_config() */
  protected slotWriteConfig(oldCtl: number, oldSta: number, addr: number, val: number, len: number): void {
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
  protected slotDoUnplug(): void {
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

  /** pcie_cap_slot_reset() */
  protected slotReset(pos: number): void {
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

