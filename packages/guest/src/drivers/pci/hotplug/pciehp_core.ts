/**
 * @module
 * drivers/pci/hotplug/pciehp_{core,ctrl,hpc,pci}.c of Linux 6.1, register access for register access:
 * the probe (pcie_init, pcie_init_notification, pciehp_check_presence), the hard interrupt (pciehp_isr) and
 * its thread (pciehp_ist), the attention-button state machine with its 5 s delayed work, board_added()
 * with its Command Completed waits, pcie_wait_for_link() (msleep(20), DLLLA polled every 10 ms up to 1 s,
 * msleep(100)), pci_bus_check_dev() (20 ms steps), and remove_board() with its msleep(1000).
 */
import { mask } from '../../../arch/x86/pci/common.js';
import { pciReadConfig, pciWriteConfig, pcieCapabilityClearAndSetWord, pcieCapabilityRead, pcieCapabilityWrite } from '../access.js';
import { pciBusAddDevices } from '../bus.js';
import { pciBusReadDevVendorId, pciHpAddBridge, pciScanSlot } from '../probe.js';
import { pciStopAndRemoveBusDevice } from '../remove.js';
import { pciAssignUnassignedBridgeResources } from '../setup-bus.js';
import type { PciDev } from '../../../include/linux/pci.js';
import type { HotplugContext } from '../../../include/linux/pci_hotplug.js';
import { type IrqReturn, type KGen, WaitQueue, rt } from '../../../include/linux/sched.js';
import { PCI_EXP_LNKCAP, PCI_EXP_LNKCAP_DLLLARC, PCI_EXP_LNKCTL, PCI_EXP_LNKCTL_LD, PCI_EXP_LNKSTA, PCI_EXP_LNKSTA_DLLLA, PCI_EXP_LNKSTA_LT, PCI_EXP_LNKSTA_NLW, PCI_EXP_SLTCAP, PCI_EXP_SLTCAP2, PCI_EXP_SLTCAP2_IBPD, PCI_EXP_SLTCAP_ABP, PCI_EXP_SLTCAP_AIP, PCI_EXP_SLTCAP_EIP, PCI_EXP_SLTCAP_HPC, PCI_EXP_SLTCAP_HPS, PCI_EXP_SLTCAP_MRLSP, PCI_EXP_SLTCAP_NCCS, PCI_EXP_SLTCAP_PCP, PCI_EXP_SLTCAP_PIP, PCI_EXP_SLTCAP_PSN, PCI_EXP_SLTCTL, PCI_EXP_SLTCTL_ABPE, PCI_EXP_SLTCTL_AIC, PCI_EXP_SLTCTL_ATTN_IND_OFF, PCI_EXP_SLTCTL_ATTN_IND_ON, PCI_EXP_SLTCTL_CCIE, PCI_EXP_SLTCTL_DLLSCE, PCI_EXP_SLTCTL_HPIE, PCI_EXP_SLTCTL_IBPD_DISABLE, PCI_EXP_SLTCTL_MRLSCE, PCI_EXP_SLTCTL_PCC, PCI_EXP_SLTCTL_PDCE, PCI_EXP_SLTCTL_PFDE, PCI_EXP_SLTCTL_PIC, PCI_EXP_SLTCTL_PWR_IND_BLINK, PCI_EXP_SLTCTL_PWR_IND_OFF, PCI_EXP_SLTCTL_PWR_IND_ON, PCI_EXP_SLTCTL_PWR_OFF, PCI_EXP_SLTCTL_PWR_ON, PCI_EXP_SLTSTA, PCI_EXP_SLTSTA_ABP, PCI_EXP_SLTSTA_CC, PCI_EXP_SLTSTA_DLLSC, PCI_EXP_SLTSTA_MRLSC, PCI_EXP_SLTSTA_MRLSS, PCI_EXP_SLTSTA_PDC, PCI_EXP_SLTSTA_PDS, PCI_EXP_SLTSTA_PFD } from '../../../include/uapi/linux/pci_regs.js';
import { type KernelState, kernelStateOf } from '../../../init/state.js';
import { KMutex } from '../../../kernel/locking/mutex.js';
import { HZ, msecsToJiffies } from '../../../kernel/time/timer.js';
import { DelayedWork } from '../../../kernel/workqueue.js';

const INDICATOR_NOOP = -1;
/** pciehp.h: DISABLE_SLOT is a synthesized event bit above the Slot Status ones */
const DISABLE_SLOT = 1 << 16;

export type PciehpState = 'OFF_STATE' | 'BLINKINGON_STATE' | 'BLINKINGOFF_STATE' | 'POWERON_STATE' | 'POWEROFF_STATE' | 'ON_STATE';

/** module parameters */
export interface PciehpParams {
  /** pciehp.pciehp_poll_mode */
  pollMode: boolean;
}

/** struct controller of one hot-plug port */
export class PciehpController {
  state: PciehpState = 'OFF_STATE';
  slotCap = 0;
  /** ctrl->slot_ctrl: the last Slot Control value written */
  slotCtrl = 0;
  cmdBusy = false;
  cmdStarted = 0;
  pendingEvents = 0;
  powerFaultDetected = false;
  inbandPresenceDisabled = false;
  notificationEnabled = false;
  requestResult = 0;
  readonly buttonWork: DelayedWork;
  readonly queue = new WaitQueue('ctrl->queue');
  readonly stateLock = new KMutex('state_lock');
  readonly ctrlLock = new KMutex('ctrl_lock');
  readonly irqLine: string;
  readonly irqName: string;

  constructor(
    private readonly rt: HotplugContext,
    readonly port: PciDev,
    private readonly params: PciehpParams,
  ) {
    this.buttonWork = new DelayedWork(`pciehp button_work ${rt.name(port)}`, () => this.queuePushbuttonWork());
    this.irqLine = rt.msiLine(port);
    this.irqName = `pciehp ${rt.name(port)}`;
  }

  private get k() {
    return this.rt.kernel;
  }
  /** the kernel state the PCI core's functions take */
  private get linux(): KernelState {
    return kernelStateOf(this.rt.linux);
  }

  // --- slot capability helpers (pciehp.h) ---
  private get attnButtn(): boolean {
    return (this.slotCap & PCI_EXP_SLTCAP_ABP) !== 0;
  }
  private get powerCtrl(): boolean {
    return (this.slotCap & PCI_EXP_SLTCAP_PCP) !== 0;
  }
  private get mrlSens(): boolean {
    return (this.slotCap & PCI_EXP_SLTCAP_MRLSP) !== 0;
  }
  private get attnLed(): boolean {
    return (this.slotCap & PCI_EXP_SLTCAP_AIP) !== 0;
  }
  private get pwrLed(): boolean {
    return (this.slotCap & PCI_EXP_SLTCAP_PIP) !== 0;
  }
  private get noCmdCmpl(): boolean {
    return (this.slotCap & PCI_EXP_SLTCAP_NCCS) !== 0;
  }
  /** slot_name(): the Physical Slot Number */
  get slotName(): string {
    return String((this.slotCap & PCI_EXP_SLTCAP_PSN) >>> 19);
  }

  private info(msg: string): void {
    this.rt.printk(`pcieport ${this.rt.name(this.port)}: pciehp: ${msg}`);
  }

  private rd(pos: number, len: number): number {
    return pcieCapabilityRead(this.linux, this.port, pos, len);
  }
  private wr(pos: number, len: number, v: number): void {
    pcieCapabilityWrite(this.linux, this.port, pos, len, v);
  }

  // ------------------------------------------------------------------
  // pciehp_core.c pciehp_probe(): at boot, inside pcie_port_device_register()

  *probe(): KGen<boolean> {
    if (!this.port.subordinate) return false;
    yield* this.pcieInit();
    // init_slot(): pci_hp_initialize() registers /sys/bus/pci/slots/<psn> (no register access)
    // pcie_init_notification(): request_threaded_irq(), then pcie_enable_notification()
    this.k.requestThreadedIrq(this.irqLine, this.irqName, () => this.isr(), () => this.ist());
    yield* this.pcieEnableNotification();
    this.notificationEnabled = true;
    // pci_hp_add(): publish the slot
    yield* this.checkPresence();
    return true;
  }

  /** pciehp_hpc.c pcie_init() */
  private *pcieInit(): KGen {
    const port = this.port;
    this.slotCap = this.rd(PCI_EXP_SLTCAP, 4) >>> 0;
    // dbg_ctrl(): the reads happen whatever the log level
    this.rd(PCI_EXP_SLTSTA, 2);
    this.rd(PCI_EXP_SLTCTL, 2);
    this.state = port.subordinate && port.subordinate.devices.length ? 'ON_STATE' : 'OFF_STATE';
    // pcie_capability_read_dword(PCI_EXP_SLTCAP2): 6.1's pcie_capability_reg_implemented() does not list
    // SLTCAP2, so the read is 0 without an access (the real boots show none)
    const slotCap2 = 0;
    if (slotCap2 & PCI_EXP_SLTCAP2_IBPD) {
      yield* this.pcieWriteCmdNowait(PCI_EXP_SLTCTL_IBPD_DISABLE, PCI_EXP_SLTCTL_IBPD_DISABLE);
      this.inbandPresenceDisabled = true;
    }
    const linkCap = this.rd(PCI_EXP_LNKCAP, 4);
    // Clear all remaining event bits in Slot Status register
    this.wr(
      PCI_EXP_SLTSTA,
      2,
      PCI_EXP_SLTSTA_ABP | PCI_EXP_SLTSTA_PFD | PCI_EXP_SLTSTA_MRLSC | PCI_EXP_SLTSTA_CC | PCI_EXP_SLTSTA_DLLSC | PCI_EXP_SLTSTA_PDC,
    );
    const f = (v: number, bit: number) => (v & bit ? '+' : '-');
    const sc = this.slotCap;
    this.info(
      `Slot #${(sc & PCI_EXP_SLTCAP_PSN) >>> 19} AttnBtn${f(sc, PCI_EXP_SLTCAP_ABP)} PwrCtrl${f(sc, PCI_EXP_SLTCAP_PCP)} MRL${f(sc, PCI_EXP_SLTCAP_MRLSP)} AttnInd${f(sc, PCI_EXP_SLTCAP_AIP)} PwrInd${f(sc, PCI_EXP_SLTCAP_PIP)} HotPlug${f(sc, PCI_EXP_SLTCAP_HPC)} Surprise${f(sc, PCI_EXP_SLTCAP_HPS)} Interlock${f(sc, PCI_EXP_SLTCAP_EIP)} NoCompl${f(sc, PCI_EXP_SLTCAP_NCCS)} IbPresDis${f(slotCap2, PCI_EXP_SLTCAP2_IBPD)} LLActRep${f(linkCap, PCI_EXP_LNKCAP_DLLLARC)}`,
    );
    // If empty slot's power status is on, turn power off (the IRQ is not requested yet)
    if (this.powerCtrl) {
      const poweron = this.getPowerStatus();
      if (!(this.cardPresentOrLinkActive() > 0) && poweron) {
        yield* this.pcieDisableNotification();
        yield* this.powerOffSlot();
      }
    }
  }

  /** pciehp_core.c pciehp_check_presence() */
  private *checkPresence(): KGen {
    yield* this.k.mutexLock(this.stateLock);
    const occupied = this.cardPresentOrLinkActive();
    if (
      (occupied > 0 && (this.state === 'OFF_STATE' || this.state === 'BLINKINGON_STATE')) ||
      (!occupied && (this.state === 'ON_STATE' || this.state === 'BLINKINGOFF_STATE'))
    ) {
      this.request(PCI_EXP_SLTSTA_PDC);
    }
    this.k.mutexUnlock(this.stateLock);
  }

  // ------------------------------------------------------------------
  // pciehp_hpc.c: commands

  /** pcie_poll_cmd() */
  private *pciePollCmd(timeoutMs: number): KGen<boolean> {
    let timeout = timeoutMs;
    do {
      const status = this.rd(PCI_EXP_SLTSTA, 2);
      if (status === 0xffff) {
        this.info('pcie_poll_cmd: no response from device');
        return false;
      }
      if (status & PCI_EXP_SLTSTA_CC) {
        this.wr(PCI_EXP_SLTSTA, 2, PCI_EXP_SLTSTA_CC);
        this.cmdBusy = false;
        return true;
      }
      yield* this.k.msleep(10, 'pcie_poll_cmd msleep(10)');
      timeout -= 10;
    } while (timeout >= 0);
    return false;
  }

  /** pcie_wait_cmd(): wait for the previous command's Command Completed (1 s, 2.5 s in poll mode) */
  private *pcieWaitCmd(): KGen {
    if (this.noCmdCmpl) return;
    if (!this.cmdBusy) return;
    const msecs = this.params.pollMode ? 2500 : 1000;
    const cmdTimeout = this.cmdStarted + msecsToJiffies(msecs);
    const now = this.k.jiffies();
    const timeout = cmdTimeout <= now ? 1 : cmdTimeout - now;
    let rc: boolean;
    if (this.slotCtrl & PCI_EXP_SLTCTL_HPIE && this.slotCtrl & PCI_EXP_SLTCTL_CCIE) {
      rc = yield* this.k.waitEventTimeout(this.queue, () => !this.cmdBusy, timeout, 'pcie_wait_cmd: Command Completed');
    } else {
      rc = yield* this.pciePollCmd(Math.round((timeout * 1000) / HZ));
    }
    if (!rc) {
      this.info(`Timeout on hotplug command ${hex(this.slotCtrl, 4, true)} (issued ${Math.round(((this.k.jiffies() - this.cmdStarted) * 1000) / HZ)} msec ago)`);
    }
  }

  /** pcie_do_write_cmd() */
  private *pcieDoWriteCmd(cmd: number, mask: number, wait: boolean): KGen {
    yield* this.k.mutexLock(this.ctrlLock);
    yield* this.pcieWaitCmd();
    const cur = this.rd(PCI_EXP_SLTCTL, 2);
    if (cur === 0xffff) {
      this.info('pcie_do_write_cmd: no response from device');
    } else {
      const slotCtrl = (cur & ~mask) | (cmd & mask);
      this.cmdBusy = true;
      this.slotCtrl = slotCtrl;
      this.wr(PCI_EXP_SLTCTL, 2, slotCtrl);
      this.cmdStarted = this.k.jiffies();
      if (wait) yield* this.pcieWaitCmd();
    }
    this.k.mutexUnlock(this.ctrlLock);
  }

  private *pcieWriteCmd(cmd: number, mask: number): KGen {
    yield* this.pcieDoWriteCmd(cmd, mask, true);
  }
  private *pcieWriteCmdNowait(cmd: number, mask: number): KGen {
    yield* this.pcieDoWriteCmd(cmd, mask, false);
  }

  /** pcie_enable_notification() */
  private *pcieEnableNotification(): KGen {
    let cmd = PCI_EXP_SLTCTL_DLLSCE;
    cmd |= this.attnButtn ? PCI_EXP_SLTCTL_ABPE : PCI_EXP_SLTCTL_PDCE;
    if (!this.params.pollMode) cmd |= PCI_EXP_SLTCTL_HPIE | PCI_EXP_SLTCTL_CCIE;
    const mask = PCI_EXP_SLTCTL_PDCE | PCI_EXP_SLTCTL_ABPE | PCI_EXP_SLTCTL_PFDE | PCI_EXP_SLTCTL_HPIE | PCI_EXP_SLTCTL_CCIE | PCI_EXP_SLTCTL_DLLSCE;
    yield* this.pcieWriteCmdNowait(cmd, mask);
  }

  /** pcie_disable_notification() */
  private *pcieDisableNotification(): KGen {
    const mask =
      PCI_EXP_SLTCTL_PDCE | PCI_EXP_SLTCTL_ABPE | PCI_EXP_SLTCTL_MRLSCE | PCI_EXP_SLTCTL_PFDE | PCI_EXP_SLTCTL_HPIE | PCI_EXP_SLTCTL_CCIE | PCI_EXP_SLTCTL_DLLSCE;
    yield* this.pcieWriteCmd(0, mask);
  }

  /** pciehp_set_indicators() */
  private *setIndicators(pwr: number, attn: number): KGen {
    let cmd = 0;
    let mask = 0;
    if (this.pwrLed && pwr !== INDICATOR_NOOP) {
      cmd |= pwr & PCI_EXP_SLTCTL_PIC;
      mask |= PCI_EXP_SLTCTL_PIC;
    }
    if (this.attnLed && attn !== INDICATOR_NOOP) {
      cmd |= attn & PCI_EXP_SLTCTL_AIC;
      mask |= PCI_EXP_SLTCTL_AIC;
    }
    if (cmd) yield* this.pcieWriteCmdNowait(cmd, mask);
  }

  /** pciehp_power_on_slot() */
  private *powerOnSlot(): KGen {
    const status = this.rd(PCI_EXP_SLTSTA, 2);
    if (status & PCI_EXP_SLTSTA_PFD) this.wr(PCI_EXP_SLTSTA, 2, PCI_EXP_SLTSTA_PFD);
    this.powerFaultDetected = false;
    yield* this.pcieWriteCmd(PCI_EXP_SLTCTL_PWR_ON, PCI_EXP_SLTCTL_PCC);
    // pciehp_link_enable(): clear Link Disable
    pcieCapabilityClearAndSetWord(this.linux, this.port, PCI_EXP_LNKCTL, PCI_EXP_LNKCTL_LD, 0);
  }

  /** pciehp_power_off_slot() */
  private *powerOffSlot(): KGen {
    yield* this.pcieWriteCmd(PCI_EXP_SLTCTL_PWR_OFF, PCI_EXP_SLTCTL_PCC);
  }

  /** pciehp_get_power_status(): true = on */
  private getPowerStatus(): boolean {
    return (this.rd(PCI_EXP_SLTCTL, 2) & PCI_EXP_SLTCTL_PCC) === PCI_EXP_SLTCTL_PWR_ON;
  }

  /** pciehp_card_present() */
  private cardPresent(): number {
    const s = this.rd(PCI_EXP_SLTSTA, 2);
    if (s === 0xffff) return -19;
    return s & PCI_EXP_SLTSTA_PDS ? 1 : 0;
  }

  /** pciehp_check_link_active() */
  checkLinkActive(): number {
    const l = this.rd(PCI_EXP_LNKSTA, 2);
    if (l === 0xffff) return -19;
    return l & PCI_EXP_LNKSTA_DLLLA ? 1 : 0;
  }

  /** pciehp_card_present_or_link_active() */
  private cardPresentOrLinkActive(): number {
    const r = this.cardPresent();
    if (r) return r;
    return this.checkLinkActive();
  }

  // ------------------------------------------------------------------
  // interrupts

  /** pciehp_request(): queue an event for the IRQ thread and wake it */
  request(action: number): void {
    this.pendingEvents |= action;
    if (!this.params.pollMode) this.k.irqWakeThread(this.irqLine, this.irqName);
  }

  /** pciehp_isr() (MSI-X: the status is re-read until no event bit is left) */
  isr(): IrqReturn {
    if (!(this.slotCtrl & PCI_EXP_SLTCTL_HPIE) && !this.params.pollMode) return 'NONE';
    let events = 0;
    for (;;) {
      let status = this.rd(PCI_EXP_SLTSTA, 2);
      if (status === 0xffff) {
        this.info('pciehp_isr: no response from device');
        return 'NONE';
      }
      status &= PCI_EXP_SLTSTA_ABP | PCI_EXP_SLTSTA_PFD | PCI_EXP_SLTSTA_PDC | PCI_EXP_SLTSTA_CC | PCI_EXP_SLTSTA_DLLSC;
      if (this.powerFaultDetected) status &= ~PCI_EXP_SLTSTA_PFD;
      else if (status & PCI_EXP_SLTSTA_PFD) this.powerFaultDetected = true;
      events |= status;
      if (!events) return 'NONE';
      if (status) {
        this.wr(PCI_EXP_SLTSTA, 2, status);
        if (this.rt.msiEnabled(this.port) && !this.params.pollMode) continue;
      }
      break;
    }
    if (events & PCI_EXP_SLTSTA_CC) {
      this.cmdBusy = false;
      this.k.wakeUp(this.queue);
      if (events === PCI_EXP_SLTSTA_CC) return 'HANDLED';
      events &= ~PCI_EXP_SLTSTA_CC;
    }
    this.pendingEvents |= events;
    return 'WAKE_THREAD';
  }

  /** pciehp_ist() */
  *ist(): KGen {
    const events = this.pendingEvents;
    this.pendingEvents = 0;
    if (!events) return;
    if (events & PCI_EXP_SLTSTA_ABP) {
      this.info(`Slot(${this.slotName}): Attention button pressed`);
      yield* this.handleButtonPress();
    }
    if (events & PCI_EXP_SLTSTA_PFD) {
      this.info(`Slot(${this.slotName}): Power fault`);
      yield* this.setIndicators(PCI_EXP_SLTCTL_PWR_IND_OFF, PCI_EXP_SLTCTL_ATTN_IND_ON);
    }
    if (events & DISABLE_SLOT) yield* this.handleDisableRequest();
    else if (events & (PCI_EXP_SLTSTA_PDC | PCI_EXP_SLTSTA_DLLSC)) yield* this.handlePresenceOrLinkChange(events);
  }

  // ------------------------------------------------------------------
  // pciehp_ctrl.c

  /** pciehp_queue_pushbutton_work(): the 5 s after a button press are over */
  private *queuePushbuttonWork(): KGen {
    yield* this.k.mutexLock(this.stateLock);
    if (this.state === 'BLINKINGOFF_STATE') this.request(DISABLE_SLOT);
    else if (this.state === 'BLINKINGON_STATE') this.request(PCI_EXP_SLTSTA_PDC);
    this.k.mutexUnlock(this.stateLock);
  }

  /** pciehp_handle_button_press() */
  private *handleButtonPress(): KGen {
    yield* this.k.mutexLock(this.stateLock);
    switch (this.state) {
      case 'OFF_STATE':
      case 'ON_STATE':
        if (this.state === 'ON_STATE') {
          this.state = 'BLINKINGOFF_STATE';
          this.info(`Slot(${this.slotName}): Powering off due to button press`);
        } else {
          this.state = 'BLINKINGON_STATE';
          this.info(`Slot(${this.slotName}) Powering on due to button press`);
        }
        yield* this.setIndicators(PCI_EXP_SLTCTL_PWR_IND_BLINK, PCI_EXP_SLTCTL_ATTN_IND_OFF);
        this.k.queueDelayedWork(this.buttonWork, 5 * HZ);
        break;
      case 'BLINKINGOFF_STATE':
      case 'BLINKINGON_STATE':
        this.info(`Slot(${this.slotName}): Button cancel`);
        this.k.cancelDelayedWork(this.buttonWork);
        if (this.state === 'BLINKINGOFF_STATE') {
          this.state = 'ON_STATE';
          yield* this.setIndicators(PCI_EXP_SLTCTL_PWR_IND_ON, PCI_EXP_SLTCTL_ATTN_IND_OFF);
        } else {
          this.state = 'OFF_STATE';
          yield* this.setIndicators(PCI_EXP_SLTCTL_PWR_IND_OFF, PCI_EXP_SLTCTL_ATTN_IND_OFF);
        }
        this.info(`Slot(${this.slotName}): Action canceled due to button press`);
        break;
      default:
        this.info(`Slot(${this.slotName}): Ignoring invalid state ${this.state}`);
    }
    this.k.mutexUnlock(this.stateLock);
  }

  /** pciehp_handle_disable_request() */
  private *handleDisableRequest(): KGen {
    yield* this.k.mutexLock(this.stateLock);
    if (this.state === 'BLINKINGON_STATE' || this.state === 'BLINKINGOFF_STATE') this.k.cancelDelayedWork(this.buttonWork);
    this.state = 'POWEROFF_STATE';
    this.k.mutexUnlock(this.stateLock);
    this.requestResult = yield* this.disableSlot(true);
  }

  /** pciehp_handle_presence_or_link_change() */
  private *handlePresenceOrLinkChange(events: number): KGen {
    yield* this.k.mutexLock(this.stateLock);
    if (this.state === 'BLINKINGOFF_STATE' || this.state === 'ON_STATE') {
      if (this.state === 'BLINKINGOFF_STATE') this.k.cancelDelayedWork(this.buttonWork);
      this.state = 'POWEROFF_STATE';
      this.k.mutexUnlock(this.stateLock);
      if (events & PCI_EXP_SLTSTA_DLLSC) this.info(`Slot(${this.slotName}): Link Down`);
      if (events & PCI_EXP_SLTSTA_PDC) this.info(`Slot(${this.slotName}): Card not present`);
      yield* this.disableSlot(false);
    } else {
      this.k.mutexUnlock(this.stateLock);
    }
    yield* this.k.mutexLock(this.stateLock);
    const present = this.cardPresent();
    const linkActive = this.checkLinkActive();
    if (present <= 0 && linkActive <= 0) {
      if (this.state === 'BLINKINGON_STATE') {
        this.state = 'OFF_STATE';
        this.k.cancelDelayedWork(this.buttonWork);
        yield* this.setIndicators(PCI_EXP_SLTCTL_PWR_IND_OFF, INDICATOR_NOOP);
        this.info(`Slot(${this.slotName}): Card not present`);
      }
      this.k.mutexUnlock(this.stateLock);
      return;
    }
    if (this.state === 'BLINKINGON_STATE' || this.state === 'OFF_STATE') {
      if (this.state === 'BLINKINGON_STATE') this.k.cancelDelayedWork(this.buttonWork);
      this.state = 'POWERON_STATE';
      this.k.mutexUnlock(this.stateLock);
      if (present) this.info(`Slot(${this.slotName}): Card present`);
      if (linkActive) this.info(`Slot(${this.slotName}): Link Up`);
      this.requestResult = yield* this.enableSlot();
    } else {
      this.k.mutexUnlock(this.stateLock);
    }
  }

  /** pciehp_enable_slot() + __pciehp_enable_slot() */
  private *enableSlot(): KGen<number> {
    let ret = 0;
    let skip = false;
    if (this.mrlSens) {
      if (this.rd(PCI_EXP_SLTSTA, 2) & PCI_EXP_SLTSTA_MRLSS) {
        this.info(`Slot(${this.slotName}): Latch open`);
        ret = -19;
        skip = true;
      }
    }
    if (!skip && this.powerCtrl && this.getPowerStatus()) {
      this.info(`Slot(${this.slotName}): Already enabled`);
      skip = true;
    }
    if (!skip) ret = yield* this.boardAdded();
    if (ret && this.attnButtn) yield* this.setIndicators(PCI_EXP_SLTCTL_PWR_IND_OFF, INDICATOR_NOOP);
    yield* this.k.mutexLock(this.stateLock);
    this.state = ret ? 'OFF_STATE' : 'ON_STATE';
    this.k.mutexUnlock(this.stateLock);
    return ret;
  }

  /** pciehp_disable_slot() + __pciehp_disable_slot() */
  private *disableSlot(safeRemoval: boolean): KGen<number> {
    let ret = 0;
    if (this.powerCtrl && !this.getPowerStatus()) {
      this.info(`Slot(${this.slotName}): Already disabled`);
      ret = -22;
    } else {
      yield* this.removeBoard(safeRemoval);
    }
    yield* this.k.mutexLock(this.stateLock);
    this.state = 'OFF_STATE';
    this.k.mutexUnlock(this.stateLock);
    return ret;
  }

  /** board_added() */
  private *boardAdded(): KGen<number> {
    if (this.powerCtrl) yield* this.powerOnSlot();
    yield* this.setIndicators(PCI_EXP_SLTCTL_PWR_IND_BLINK, INDICATOR_NOOP);
    let rc = yield* this.checkLinkStatus();
    if (rc === 0) {
      if (this.powerFaultDetected || this.rd(PCI_EXP_SLTSTA, 2) & PCI_EXP_SLTSTA_PFD) {
        this.info(`Slot(${this.slotName}): Power fault`);
        rc = -5;
      }
    }
    if (rc === 0) {
      rc = this.configureDevice();
      if (rc && rc !== -17) {
        this.info(`Cannot add device at 0000:${hex(this.port.subordinate?.number ?? 0, 2)}:00`);
      } else {
        rc = 0;
      }
    }
    if (rc === 0) {
      yield* this.setIndicators(PCI_EXP_SLTCTL_PWR_IND_ON, PCI_EXP_SLTCTL_ATTN_IND_OFF);
      return 0;
    }
    yield* this.setSlotOff();
    return rc;
  }

  /** set_slot_off() */
  private *setSlotOff(): KGen {
    if (this.powerCtrl) {
      yield* this.powerOffSlot();
      yield* this.k.msleep(1000, 'set_slot_off msleep(1000) after power off');
    }
    yield* this.setIndicators(PCI_EXP_SLTCTL_PWR_IND_OFF, PCI_EXP_SLTCTL_ATTN_IND_ON);
  }

  /** remove_board() */
  private *removeBoard(safeRemoval: boolean): KGen {
    this.unconfigureDevice(safeRemoval);
    if (this.powerCtrl) {
      yield* this.powerOffSlot();
      yield* this.k.msleep(1000, 'remove_board msleep(1000) after power off');
      this.pendingEvents &= ~(PCI_EXP_SLTSTA_DLLSC | PCI_EXP_SLTSTA_PDC);
    }
    yield* this.setIndicators(PCI_EXP_SLTCTL_PWR_IND_OFF, INDICATOR_NOOP);
  }

  /** pciehp_check_link_status() */
  private *checkLinkStatus(): KGen<number> {
    if (!(yield* this.pcieWaitForLink())) {
      this.info(`Slot(${this.slotName}): No link`);
      return -1;
    }
    if (this.inbandPresenceDisabled) yield* this.pcieWaitForPresence();
    const found = yield* this.pciBusCheckDev();
    if (found) this.pendingEvents &= ~(PCI_EXP_SLTSTA_DLLSC | PCI_EXP_SLTSTA_PDC);
    const lnk = this.rd(PCI_EXP_LNKSTA, 2);
    if (lnk & PCI_EXP_LNKSTA_LT || !(lnk & PCI_EXP_LNKSTA_NLW)) {
      this.info(`Slot(${this.slotName}): Cannot train link: status ${hex(lnk, 4, true)}`);
      return -1;
    }
    // pcie_update_link_speed(): bus->cur_bus_speed from lnk_status, no access
    if (!found) {
      this.info(`Slot(${this.slotName}): No device found`);
      return -1;
    }
    return 0;
  }

  /** drivers/pci/pci.c pcie_wait_for_link() = pcie_wait_for_link_delay(pdev, true, 100) */
  private *pcieWaitForLink(): KGen<boolean> {
    const delay = 100;
    let timeout = 1000;
    if (!this.port.linkActiveReporting) {
      yield* this.k.msleep(timeout + delay, 'pcie_wait_for_link: no DLLLARC, msleep(1100)');
      return true;
    }
    yield* this.k.msleep(20, 'pcie_wait_for_link: msleep(20) (LTSSM Detect)');
    let ret: boolean;
    for (;;) {
      ret = (this.rd(PCI_EXP_LNKSTA, 2) & PCI_EXP_LNKSTA_DLLLA) !== 0;
      if (ret) break;
      if (timeout <= 0) break;
      yield* this.k.msleep(10, 'pcie_wait_for_link: DLLLA poll msleep(10)');
      timeout -= 10;
    }
    if (ret) yield* this.k.msleep(delay, 'pcie_wait_for_link: msleep(100) after link up');
    return ret;
  }

  /** pcie_wait_for_presence() */
  private *pcieWaitForPresence(): KGen {
    let timeout = 1250;
    do {
      if (this.rd(PCI_EXP_SLTSTA, 2) & PCI_EXP_SLTSTA_PDS) return;
      yield* this.k.msleep(10, 'pcie_wait_for_presence msleep(10)');
      timeout -= 10;
    } while (timeout > 0);
  }

  /** pci_bus_check_dev(): the vendor ID of 00.0, every 20 ms for up to 1 s */
  private *pciBusCheckDev(): KGen<boolean> {
    const bus = this.port.subordinate!;
    let delay = 1000;
    const step = 20;
    do {
      if (pciBusReadDevVendorId(this.linux, bus, 0) !== null) return true;
      yield* this.k.msleep(step, 'pci_bus_check_dev msleep(20)');
      delay -= step;
    } while (delay > 0);
    return false;
  }

  /** pciehp_pci.c pciehp_configure_device() */
  private configureDevice(): number {
    const parent = this.port.subordinate!;
    if (parent.devices.some((d) => d.devfn === 0)) return -17; // "already exists ... skipping hot-add"
    const num = pciScanSlot(this.linux, parent, 0);
    if (num === 0) {
      this.info('No new device found');
      return -19;
    }
    for (const d of parent.devices) if (d.hdrType === 1 || d.hdrType === 2) pciHpAddBridge(this.linux, d);
    pciAssignUnassignedBridgeResources(this.linux, this.port);
    // pcie_bus_configure_settings(): nothing with CONFIG_PCIE_BUS_DEFAULT
    pciBusAddDevices(this.linux, parent);
    return 0;
  }

  /** pciehp_unconfigure_device() */
  private unconfigureDevice(presence: boolean): void {
    const parent = this.port.subordinate!;
    for (const dev of [...parent.devices].reverse()) {
      pciStopAndRemoveBusDevice(this.linux, dev);
      if (presence) {
        let cmd = pciReadConfig(this.linux, dev, 0x04, 2);
        cmd &= ~(0x4 | 0x100);
        cmd |= 0x400;
        pciWriteConfig(this.linux, dev, 0x04, 2, cmd);
      }
    }
  }
}

function hex(v: number, w: number, prefix = false): string {
  return (prefix ? '0x' : '') + v.toString(16).padStart(w, '0');
}
