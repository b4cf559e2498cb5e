/**
 * @module
 * drivers/pci/hotplug/shpchp_{core,ctrl,hpc,pci}.c of Linux 6.1 (built into Debian's generic kernel, not
 * into the cloud one): the probe (shpc_init through the SHPC capability's DWORD_SELECT window, then the
 * register file in BAR 0 over MMIO, MSI, init_slots), the interrupt handler (shpc_isr), the per-slot
 * workqueue with the attention-button state machine and its 5 s delayed work, board_added() with its
 * msleep(1000), and the removal path.
 */
import { pciHostBridgeNative } from '../../acpi/pci_root.js';
import { pciReadConfig, pciWriteConfig } from '../access.js';
import { pciBusAddDevices } from '../bus.js';
import { pciEnableDevice, pciFindCapability, pciSetMaster } from '../pci.js';
import { pciHpAddBridge, pciScanSlot } from '../probe.js';
import { pciStopAndRemoveBusDevice } from '../remove.js';
import { pciAssignUnassignedBridgeResources } from '../setup-bus.js';
import type { BarResource, PciDev } from '../../../include/linux/pci.js';
import type { HotplugContext } from '../../../include/linux/pci_hotplug.js';
import { type IrqReturn, type KGen, WaitQueue, rt } from '../../../include/linux/sched.js';
import { PCI_CAP_ID_MSI, PCI_CAP_ID_SHPC } from '../../../include/uapi/linux/pci_regs.js';
import { type KernelState, kernelStateOf } from '../../../init/state.js';
import { KMutex } from '../../../kernel/locking/mutex.js';
import { HZ, msecsToJiffies } from '../../../kernel/time/timer.js';
import { DelayedWork } from '../../../kernel/workqueue.js';

// shpchp_hpc.c: struct ctrl_reg offsets
const BASE_OFFSET = 0x00;
const SLOT_AVAIL1 = 0x04;
const SLOT_AVAIL2 = 0x08;
const SLOT_CONFIG = 0x0c;
const SEC_BUS_CONFIG = 0x10;
const PROG_INTERFACE = 0x13;
const CMD = 0x14;
const CMD_STATUS = 0x16;
const INTR_LOC = 0x18;
const SERR_INTR_ENABLE = 0x20;
const SLOT1 = 0x24;
const SLOT_REG = (i: number) => SLOT1 + 4 * i;

const SLOT_NUM = 0x0000001f;
const FIRST_DEV_NUM = 0x00001f00;
const PSN = 0x07ff0000;
const UPDOWN = 0x20000000;
const CMD_INTR_PENDING = 1 << 0;
const SLOT_INTR_PENDING = (i: number) => 1 << (i + 1);
const GLOBAL_INTR_MASK = 1 << 0;
const GLOBAL_SERR_MASK = 1 << 1;
const COMMAND_INTR_MASK = 1 << 2;
const ARBITER_SERR_MASK = 1 << 3;
const SERR_INTR_RSVDZ_MASK = 0xfffc0000;
const SLOT_STATE_MASK = 3;
const SLOT_STATE_PWRONLY = 1;
const SLOT_STATE_ENABLED = 2;
const ATN_LED_STATE_MASK = 3 << 4;
const POWER_FAULT = 1 << 6;
const MRL_SENSOR = 1 << 8;
const MHZ66_CAP = 1 << 9;
const PRSNT_SHIFT = 10;
const PRSNT_MASK = 3 << 10;
const PCIX_CAP_SHIFT = 12;
const PCIX_CAP_MASK_PI1 = 3 << 12;
const PCIX_CAP_MASK_PI2 = 7 << 12;
const PRSNT_CHANGE_DETECTED = 1 << 16;
const ISO_PFAULT_DETECTED = 1 << 17;
const BUTTON_PRESS_DETECTED = 1 << 18;
const MRL_CHANGE_DETECTED = 1 << 19;
const CON_PFAULT_DETECTED = 1 << 20;
const PRSNT_CHANGE_INTR_MASK = 1 << 24;
const ISO_PFAULT_INTR_MASK = 1 << 25;
const BUTTON_PRESS_INTR_MASK = 1 << 26;
const MRL_CHANGE_INTR_MASK = 1 << 27;
const CON_PFAULT_INTR_MASK = 1 << 28;
const MRL_CHANGE_SERR_MASK = 1 << 29;
const CON_PFAULT_SERR_MASK = 1 << 30;
const SLOT_REG_RSVDZ_MASK = (1 << 15) | (7 << 21);

const SET_SLOT_PWR = 0x01;
const SET_SLOT_ENABLE = 0x02;
const SET_SLOT_DISABLE = 0x03;
const SET_PWR_ON = 0x04;
const SET_PWR_BLINK = 0x08;
const SET_PWR_OFF = 0x0c;
const SET_ATTN_ON = 0x10;
const SET_ATTN_OFF = 0x30;

const DWORD_SELECT = 0x2;
const DWORD_DATA = 0x4;

/** enum pci_bus_speed values shpchp compares */
const PCI_SPEED_33MHz = 0x00;
const PCI_SPEED_66MHz = 0x01;

export type ShpcSlotState = 'STATIC_STATE' | 'BLINKINGON_STATE' | 'BLINKINGOFF_STATE' | 'POWERON_STATE' | 'POWEROFF_STATE';

/** struct slot */
export class ShpcSlot {
  state: ShpcSlotState = 'STATIC_STATE';
  presenceSave = 0;
  pwrSave = 0;
  isABoard = 0;
  status = 0;
  readonly work: DelayedWork;
  readonly lock: KMutex;
  constructor(
    readonly ctrl: ShpcController,
    readonly hpSlot: number,
    /** PCI device number on the secondary bus */
    readonly device: number,
    /** the physical slot number (its name) */
    readonly number: number,
  ) {
    this.work = new DelayedWork(`shpchp-${number} pushbutton`, () => ctrl.queuePushbuttonWork(this));
    this.lock = new KMutex(`slot ${number}`);
  }
}

/** struct controller of one SHPC */
export class ShpcController {
  mmioBase = 0;
  numSlots = 0;
  slotDeviceOffset = 0;
  firstSlot = 0;
  slotNumInc = 1;
  capOffset = 0;
  msi = false;
  readonly slots: ShpcSlot[] = [];
  readonly queue = new WaitQueue('shpc ctrl->queue');
  readonly cmdLock = new KMutex('cmd_lock');
  readonly critSect = new KMutex('crit_sect');
  readonly irqLine: string;
  readonly irqName: string;
  /** bus speeds shpc_get_*_bus_speed() found */
  maxBusSpeed = PCI_SPEED_33MHz;
  curBusSpeed = PCI_SPEED_33MHz;
  managed = false;

  constructor(
    private readonly rt: HotplugContext,
    readonly bridge: PciDev,
  ) {
    this.irqLine = rt.msiLine(bridge);
    this.irqName = `shpchp ${rt.name(bridge)}`;
  }

  private get k() {
    return this.rt.kernel;
  }
  /** the kernel state the PCI core's functions take */
  private get linux(): KernelState {
    return kernelStateOf(this.rt.linux);
  }

  private info(msg: string): void {
    this.rt.printk(`shpchp ${this.rt.name(this.bridge)}: ${msg}`);
  }

  // MMIO to the register file (BAR 0 + base offset)
  private readb(reg: number): number {
    return this.k.cpu.readb(this.mmioBase + reg);
  }
  private readw(reg: number): number {
    return this.k.cpu.readw(this.mmioBase + reg);
  }
  private readl(reg: number): number {
    return this.k.cpu.readl(this.mmioBase + reg) >>> 0;
  }
  private writew(reg: number, v: number): void {
    this.k.cpu.writew(this.mmioBase + reg, v & 0xffff);
  }
  private writel(reg: number, v: number): void {
    this.k.cpu.writel(this.mmioBase + reg, v >>> 0);
  }

  /** shpc_indirect_read(): DWORD_SELECT then DWORD_DATA in the SHPC capability */
  private indirectRead(index: number): number {
    pciWriteConfig(this.linux, this.bridge, this.capOffset + DWORD_SELECT, 1, index);
    return pciReadConfig(this.linux, this.bridge, this.capOffset + DWORD_DATA, 4);
  }

  // ------------------------------------------------------------------
  // shpchp_core.c shpc_probe() -> shpc_init() + init_slots()

  /**
   * shpc_probe(). `registeredSlots` are the (bus, device) slots another hot-plug driver (acpiphp)
   * registered already: pci_hp_register() fails with -EBUSY on them.
   */
  *probe(acpiphpOwns: (bus: number, device: number) => boolean): KGen<boolean> {
    if (!pciFindCapability(this.linux, this.bridge, PCI_CAP_ID_SHPC)) return false; // shpc_capable()
    // acpi_get_hp_hw_control_from_firmware(): _OSC decides
    if (!pciHostBridgeNative(this.linux).nativeShpc) return false;
    if (!(yield* this.shpcInit())) return false;
    // init_slots()
    for (let i = 0; i < this.numSlots; i++) {
      const slot = new ShpcSlot(this, i, this.slotDeviceOffset + i, this.firstSlot + this.slotNumInc * i);
      if (acpiphpOwns(this.bridge.subordinate?.number ?? -1, slot.device)) {
        this.info('pci_hp_register failed with error -16');
        this.info('Slot initialization failed');
        this.releaseCtlr();
        return false;
      }
      this.slots.push(slot);
      // get_power_status, get_attention_status, get_latch_status, get_adapter_status
      slot.pwrSave = this.getPowerStatus(slot);
      this.readl(SLOT_REG(slot.hpSlot));
      this.getLatchStatus(slot);
      slot.presenceSave = this.getAdapterStatus(slot);
    }
    this.managed = true;
    return true;
  }

  /** shpchp_hpc.c shpc_init() */
  // eslint-disable-next-line require-yield
  private *shpcInit(): KGen<boolean> {
    const pdev = this.bridge;
    this.capOffset = pciFindCapability(this.linux, pdev, PCI_CAP_ID_SHPC);
    if (!this.capOffset) return false;
    const baseOffset = this.indirectRead(0);
    const tempdword = this.indirectRead(3);
    const numSlots = tempdword & SLOT_NUM;
    for (let i = 0; i < 9 + numSlots; i++) this.indirectRead(i);
    const bar: BarResource | undefined = pdev.bars.find((b) => b.index === 0);
    this.mmioBase = (bar?.start ?? 0) + baseOffset;
    this.info(`HPC vendor_id ${pdev.vendor.toString(16)} device_id ${pdev.device.toString(16)} ss_vid 0 ss_did 0`);
    pciEnableDevice(this.linux, pdev);
    // request_mem_region() + ioremap(): no access
    const slotConfig = this.readl(SLOT_CONFIG);
    this.slotDeviceOffset = (slotConfig & FIRST_DEV_NUM) >> 8;
    this.numSlots = slotConfig & SLOT_NUM;
    this.firstSlot = (slotConfig & PSN) >>> 16;
    this.slotNumInc = (slotConfig & UPDOWN) >>> 29 ? 1 : -1;
    // mask the global and command interrupts
    let t = this.readl(SERR_INTR_ENABLE);
    t |= GLOBAL_INTR_MASK | GLOBAL_SERR_MASK | COMMAND_INTR_MASK | ARBITER_SERR_MASK;
    t &= ~SERR_INTR_RSVDZ_MASK;
    this.writel(SERR_INTR_ENABLE, t);
    this.readl(SERR_INTR_ENABLE);
    // mask every slot's events and clear what is latched
    for (let s = 0; s < this.numSlots; s++) {
      let r = this.readl(SLOT_REG(s));
      r |= PRSNT_CHANGE_INTR_MASK | ISO_PFAULT_INTR_MASK | BUTTON_PRESS_INTR_MASK | MRL_CHANGE_INTR_MASK | CON_PFAULT_INTR_MASK | MRL_CHANGE_SERR_MASK | CON_PFAULT_SERR_MASK;
      r &= ~SLOT_REG_RSVDZ_MASK;
      this.writel(SLOT_REG(s), r);
    }
    // pci_enable_msi() + pci_set_master(), then request_irq(shpc_isr)
    this.msi = this.pciEnableMsi();
    if (this.msi) this.pciSetMaster();
    else this.info("Can't get msi for the hotplug controller");
    this.k.requestThreadedIrq(this.irqLine, this.irqName, () => this.isr());
    this.getMaxBusSpeed();
    this.getCurBusSpeed();
    // unmask every slot's events
    for (let s = 0; s < this.numSlots; s++) {
      let r = this.readl(SLOT_REG(s));
      r &= ~(PRSNT_CHANGE_INTR_MASK | ISO_PFAULT_INTR_MASK | BUTTON_PRESS_INTR_MASK | MRL_CHANGE_INTR_MASK | CON_PFAULT_INTR_MASK | SLOT_REG_RSVDZ_MASK);
      this.writel(SLOT_REG(s), r);
    }
    // unmask the global and command interrupts
    t = this.readl(SERR_INTR_ENABLE);
    t &= ~(GLOBAL_INTR_MASK | COMMAND_INTR_MASK | SERR_INTR_RSVDZ_MASK);
    this.writel(SERR_INTR_ENABLE, t);
    this.readl(SERR_INTR_ENABLE);
    return true;
  }

  /** hpc_release_ctlr(): mask everything again, free the IRQ, disable MSI */
  private releaseCtlr(): void {
    for (let i = 0; i < this.numSlots; i++) {
      let r = this.readl(SLOT_REG(i));
      r |= PRSNT_CHANGE_INTR_MASK | ISO_PFAULT_INTR_MASK | BUTTON_PRESS_INTR_MASK | MRL_CHANGE_INTR_MASK | CON_PFAULT_INTR_MASK | MRL_CHANGE_SERR_MASK | CON_PFAULT_SERR_MASK;
      r &= ~SLOT_REG_RSVDZ_MASK;
      this.writel(SLOT_REG(i), r);
    }
    let s = this.readl(SERR_INTR_ENABLE);
    s |= GLOBAL_INTR_MASK | GLOBAL_SERR_MASK | COMMAND_INTR_MASK | ARBITER_SERR_MASK;
    s &= ~SERR_INTR_RSVDZ_MASK;
    this.writel(SERR_INTR_ENABLE, s);
    this.k.freeIrq(this.irqLine, this.irqName);
    if (this.msi) {
      // pci_disable_msi(): MSI enable off, INTx back on
      const msi = pciFindCapability(this.linux, this.bridge, PCI_CAP_ID_MSI);
      const c = pciReadConfig(this.linux, this.bridge, msi + 2, 2);
      pciWriteConfig(this.linux, this.bridge, msi + 2, 2, c & ~1);
      const cmd = pciReadConfig(this.linux, this.bridge, 0x04, 2);
      if (cmd & 0x400) pciWriteConfig(this.linux, this.bridge, 0x04, 2, cmd & ~0x400);
    }
  }

  /** pci_enable_msi() -> msi_capability_init(): one vector, 64-bit address, per-vector masking as QEMU's bridge offers */
  private pciEnableMsi(): boolean {
    const pdev = this.bridge;
    const pos = pciFindCapability(this.linux, pdev, PCI_CAP_ID_MSI);
    if (!pos) return false;
    const flags = pciReadConfig(this.linux, pdev, pos + 2, 2); // pci_msi_vec_count()
    // pci_msi_set_enable(dev, 0)
    let c = pciReadConfig(this.linux, pdev, pos + 2, 2);
    pciWriteConfig(this.linux, pdev, pos + 2, 2, c & ~1);
    // msi_setup_msi_desc(): the flags again
    pciReadConfig(this.linux, pdev, pos + 2, 2);
    const is64 = (flags & 0x80) !== 0;
    const maskable = (flags & 0x100) !== 0;
    if (maskable) {
      // pci_msi_mask(): the mask bits register
      const maskPos = pos + (is64 ? 0x10 : 0x0c);
      pciReadConfig(this.linux, pdev, maskPos, 4);
      pciWriteConfig(this.linux, pdev, maskPos, 4, 1);
    }
    // __pci_write_msi_msg()
    c = pciReadConfig(this.linux, pdev, pos + 2, 2);
    pciWriteConfig(this.linux, pdev, pos + 2, 2, c & ~0x70);
    pciWriteConfig(this.linux, pdev, pos + 4, 4, 0xfee00000);
    if (is64) {
      pciWriteConfig(this.linux, pdev, pos + 8, 4, 0);
      pciWriteConfig(this.linux, pdev, pos + 0x0c, 2, 0x4021);
    } else {
      pciWriteConfig(this.linux, pdev, pos + 8, 2, 0x4021);
    }
    // pci_intx_for_msi(dev, 0)
    const cmd = pciReadConfig(this.linux, pdev, 0x04, 2);
    if (!(cmd & 0x400)) pciWriteConfig(this.linux, pdev, 0x04, 2, cmd | 0x400);
    // pci_msi_set_enable(dev, 1)
    c = pciReadConfig(this.linux, pdev, pos + 2, 2);
    pciWriteConfig(this.linux, pdev, pos + 2, 2, c | 1);
    if (maskable) {
      // pci_msi_unmask() when the vector is activated
      const maskPos = pos + (is64 ? 0x10 : 0x0c);
      pciWriteConfig(this.linux, pdev, maskPos, 4, 0);
    }
    return true;
  }

  /** pci_set_master() -> pcibios_set_master(): a conventional bridge's latency timer is raised to 64 */
  private pciSetMaster(): void {
    const cmd = pciReadConfig(this.linux, this.bridge, 0x04, 2);
    if (!(cmd & 0x4)) pciWriteConfig(this.linux, this.bridge, 0x04, 2, cmd | 0x4);
    const lat = pciReadConfig(this.linux, this.bridge, 0x0d, 1);
    if (lat < 16) pciWriteConfig(this.linux, this.bridge, 0x0d, 1, 64);
  }

  /** shpc_get_max_bus_speed() */
  private getMaxBusSpeed(): void {
    const pi = this.readb(PROG_INTERFACE);
    const a1 = this.readl(SLOT_AVAIL1);
    const a2 = this.readl(SLOT_AVAIL2);
    void pi;
    if (a2 & 0x1f) this.maxBusSpeed = PCI_SPEED_66MHz;
    else if (a1 & 0x1f) this.maxBusSpeed = PCI_SPEED_33MHz;
  }

  /** shpc_get_cur_bus_speed() */
  private getCurBusSpeed(): void {
    const sec = this.readw(SEC_BUS_CONFIG);
    const pi = this.readb(PROG_INTERFACE);
    const mode = pi === 2 ? sec & 0xf : sec & 0x7;
    this.curBusSpeed = mode === 1 ? PCI_SPEED_66MHz : PCI_SPEED_33MHz;
  }

  // ------------------------------------------------------------------
  // hpc ops

  private getPowerStatus(slot: ShpcSlot): number {
    const st = this.readl(SLOT_REG(slot.hpSlot)) & SLOT_STATE_MASK;
    return st === SLOT_STATE_PWRONLY || st === SLOT_STATE_ENABLED ? 1 : 0;
  }
  private getLatchStatus(slot: ShpcSlot): number {
    return this.readl(SLOT_REG(slot.hpSlot)) & MRL_SENSOR ? 1 : 0;
  }
  private getAdapterStatus(slot: ShpcSlot): number {
    const st = (this.readl(SLOT_REG(slot.hpSlot)) & PRSNT_MASK) >> PRSNT_SHIFT;
    return st !== 0x3 ? 1 : 0;
  }
  private queryPowerFault(slot: ShpcSlot): boolean {
    return !(this.readl(SLOT_REG(slot.hpSlot)) & POWER_FAULT);
  }

  /** hpc_get_adapter_speed() */
  private getAdapterSpeed(slot: ShpcSlot): number {
    const r = this.readl(SLOT_REG(slot.hpSlot));
    const m66 = (r & MHZ66_CAP) !== 0;
    const pi = this.readb(PROG_INTERFACE);
    const pcix = pi === 1 ? (r & PCIX_CAP_MASK_PI1) >> PCIX_CAP_SHIFT : (r & PCIX_CAP_MASK_PI2) >> PCIX_CAP_SHIFT;
    if (pcix === 0) return m66 ? PCI_SPEED_66MHz : PCI_SPEED_33MHz;
    return 0x10 + pcix;
  }

  /** is_ctrl_busy() */
  private isCtrlBusy(): boolean {
    return (this.readw(CMD_STATUS) & 1) !== 0;
  }

  /** shpc_poll_ctrl_busy(): every 100 ms for 1 s */
  private *pollCtrlBusy(): KGen<boolean> {
    if (!this.isCtrlBusy()) return true;
    for (let i = 0; i < 10; i++) {
      yield* this.k.msleep(100, 'shpc_poll_ctrl_busy msleep(100)');
      if (!this.isCtrlBusy()) return true;
    }
    return false;
  }

  /** shpc_write_cmd(): wait not-busy, write CMD, wait for completion (1 s), check the status */
  private *writeCmd(slot: ShpcSlot, tSlot: number, cmd: number): KGen<number> {
    yield* this.k.mutexLock(this.cmdLock);
    let retval = 0;
    if (!(yield* this.pollCtrlBusy())) {
      this.info('Controller is still busy after 1 sec');
      retval = -16;
    } else {
      this.writew(CMD, ((tSlot + 1) << 8) | (cmd & 0xff));
      // shpc_wait_cmd(): wait_event_interruptible_timeout(queue, !is_ctrl_busy(ctrl), 1 s)
      const rc = yield* this.k.waitEventTimeout(this.queue, () => !this.isCtrlBusy(), msecsToJiffies(1000), 'shpc_wait_cmd');
      if (!rc && this.isCtrlBusy()) {
        this.info('Command not completed in 1000 msec');
        retval = -5;
      } else {
        const st = this.readw(CMD_STATUS) & 0xf;
        if (st >> 1) {
          this.info(`Failed to issued command 0x${cmd.toString(16)} (error code = ${st >> 1})`);
          retval = -5;
        }
      }
    }
    void slot;
    this.k.mutexUnlock(this.cmdLock);
    return retval;
  }

  private *powerOnSlot(slot: ShpcSlot): KGen<number> {
    return yield* this.writeCmd(slot, slot.hpSlot, SET_SLOT_PWR);
  }
  private *slotEnable(slot: ShpcSlot): KGen<number> {
    return yield* this.writeCmd(slot, slot.hpSlot, SET_SLOT_ENABLE | SET_PWR_BLINK | SET_ATTN_OFF);
  }
  private *slotDisable(slot: ShpcSlot): KGen<number> {
    return yield* this.writeCmd(slot, slot.hpSlot, SET_SLOT_DISABLE | SET_PWR_OFF | SET_ATTN_ON);
  }
  private *setAttentionStatus(slot: ShpcSlot, value: number): KGen<number> {
    return yield* this.writeCmd(slot, slot.hpSlot, value === 0 ? SET_ATTN_OFF : SET_ATTN_ON);
  }
  private *greenLedOn(slot: ShpcSlot): KGen {
    yield* this.writeCmd(slot, slot.hpSlot, SET_PWR_ON);
  }
  private *greenLedOff(slot: ShpcSlot): KGen {
    yield* this.writeCmd(slot, slot.hpSlot, SET_PWR_OFF);
  }
  private *greenLedBlink(slot: ShpcSlot): KGen {
    yield* this.writeCmd(slot, slot.hpSlot, SET_PWR_BLINK);
  }

  // ------------------------------------------------------------------
  // shpc_isr(): hard-irq context; events go to the slot's workqueue

  isr(): IrqReturn {
    const intrLoc = this.readl(INTR_LOC);
    if (!intrLoc) return 'NONE';
    // mask the global interrupt while handling
    let serr = this.readl(SERR_INTR_ENABLE);
    serr |= GLOBAL_INTR_MASK;
    serr &= ~SERR_INTR_RSVDZ_MASK;
    this.writel(SERR_INTR_ENABLE, serr);
    this.readl(INTR_LOC);
    if (intrLoc & CMD_INTR_PENDING) {
      // RO only - clear by writing 1 to the Command Completion Detect bit
      serr = this.readl(SERR_INTR_ENABLE);
      serr &= ~SERR_INTR_RSVDZ_MASK;
      this.writel(SERR_INTR_ENABLE, serr);
      this.k.wakeUp(this.queue);
    }
    if (intrLoc & ~CMD_INTR_PENDING) {
      for (let hp = 0; hp < this.numSlots; hp++) {
        if (!(intrLoc & SLOT_INTR_PENDING(hp))) continue;
        let r = this.readl(SLOT_REG(hp));
        const slot = this.slots[hp];
        if (slot) {
          if (r & MRL_CHANGE_DETECTED) this.handleSwitchChange(slot);
          if (r & BUTTON_PRESS_DETECTED) this.handleAttentionButton(slot);
          if (r & PRSNT_CHANGE_DETECTED) this.handlePresenceChange(slot);
          if (r & (ISO_PFAULT_DETECTED | CON_PFAULT_DETECTED)) this.handlePowerFault(slot);
        }
        r &= ~SLOT_REG_RSVDZ_MASK;
        this.writel(SLOT_REG(hp), r);
      }
    }
    // unmask the global interrupt
    serr = this.readl(SERR_INTR_ENABLE);
    serr &= ~(GLOBAL_INTR_MASK | SERR_INTR_RSVDZ_MASK);
    this.writel(SERR_INTR_ENABLE, serr);
    return 'HANDLED';
  }

  private queueInterruptEvent(slot: ShpcSlot, type: 'BUTTON_PRESS' | 'POWER_FAULT' | 'OTHER'): void {
    this.k.queueWork(`shpchp-${slot.number} event`, () => this.interruptEventHandler(slot, type));
  }

  private handleAttentionButton(slot: ShpcSlot): void {
    slot.presenceSave = this.getAdapterStatus(slot);
    this.info(`Button pressed on Slot(${slot.number})`);
    this.queueInterruptEvent(slot, 'BUTTON_PRESS');
  }

  private handleSwitchChange(slot: ShpcSlot): void {
    slot.presenceSave = this.getAdapterStatus(slot);
    const open = this.getLatchStatus(slot);
    let type: 'POWER_FAULT' | 'OTHER' = 'OTHER';
    if (open) {
      this.info(`Latch open on Slot(${slot.number})`);
      if (slot.pwrSave && slot.presenceSave) {
        type = 'POWER_FAULT';
        this.info('Surprise Removal of card');
      }
    } else {
      this.info(`Latch close on Slot(${slot.number})`);
    }
    this.queueInterruptEvent(slot, type);
  }

  private handlePresenceChange(slot: ShpcSlot): void {
    slot.presenceSave = this.getAdapterStatus(slot);
    this.info(slot.presenceSave ? `Card present on Slot(${slot.number})` : `Card not present on Slot(${slot.number})`);
    this.queueInterruptEvent(slot, 'OTHER');
  }

  private handlePowerFault(slot: ShpcSlot): void {
    if (!this.queryPowerFault(slot)) {
      this.info(`Power fault cleared on Slot(${slot.number})`);
      slot.status = 0;
      this.queueInterruptEvent(slot, 'OTHER');
    } else {
      this.info(`Power fault on Slot(${slot.number})`);
      slot.status = 0xff;
      this.queueInterruptEvent(slot, 'POWER_FAULT');
    }
  }

  // ------------------------------------------------------------------
  // shpchp_ctrl.c

  /** interrupt_event_handler() */
  private *interruptEventHandler(slot: ShpcSlot, type: 'BUTTON_PRESS' | 'POWER_FAULT' | 'OTHER'): KGen {
    yield* this.k.mutexLock(slot.lock);
    if (type === 'BUTTON_PRESS') yield* this.handleButtonPressEvent(slot);
    else if (type === 'POWER_FAULT') {
      yield* this.setAttentionStatus(slot, 1);
      yield* this.greenLedOff(slot);
    } else this.updateSlotInfo(slot);
    this.k.mutexUnlock(slot.lock);
  }

  /** update_slot_info() */
  private updateSlotInfo(slot: ShpcSlot): void {
    slot.pwrSave = this.getPowerStatus(slot);
    this.readl(SLOT_REG(slot.hpSlot)); // get_attention_status
    this.getLatchStatus(slot);
    slot.presenceSave = this.getAdapterStatus(slot);
  }

  /** handle_button_press_event() (slot->lock held) */
  private *handleButtonPressEvent(slot: ShpcSlot): KGen {
    switch (slot.state) {
      case 'STATIC_STATE': {
        const on = this.getPowerStatus(slot);
        if (on) {
          slot.state = 'BLINKINGOFF_STATE';
          this.info(`PCI slot #${slot.number} - powering off due to button press`);
        } else {
          slot.state = 'BLINKINGON_STATE';
          this.info(`PCI slot #${slot.number} - powering on due to button press`);
        }
        yield* this.greenLedBlink(slot);
        yield* this.setAttentionStatus(slot, 0);
        this.k.queueDelayedWork(slot.work, 5 * HZ);
        break;
      }
      case 'BLINKINGOFF_STATE':
      case 'BLINKINGON_STATE':
        this.info(`Button cancel on Slot(${slot.number})`);
        this.k.cancelDelayedWork(slot.work);
        if (slot.state === 'BLINKINGOFF_STATE') yield* this.greenLedOn(slot);
        else yield* this.greenLedOff(slot);
        yield* this.setAttentionStatus(slot, 0);
        this.info(`PCI slot #${slot.number} - action canceled due to button press`);
        slot.state = 'STATIC_STATE';
        break;
      case 'POWEROFF_STATE':
      case 'POWERON_STATE':
        this.info(`Button ignore on Slot(${slot.number})`);
        this.updateSlotInfo(slot);
        break;
    }
  }

  /** shpchp_queue_pushbutton_work(): the 5 s are over */
  *queuePushbuttonWork(slot: ShpcSlot): KGen {
    yield* this.k.mutexLock(slot.lock);
    let go = true;
    if (slot.state === 'BLINKINGOFF_STATE') slot.state = 'POWEROFF_STATE';
    else if (slot.state === 'BLINKINGON_STATE') slot.state = 'POWERON_STATE';
    else go = false;
    if (go) this.k.queueWork(`shpchp-${slot.number} pushbutton_thread`, () => this.pushbuttonThread(slot));
    this.k.mutexUnlock(slot.lock);
  }

  /** shpchp_pushbutton_thread() */
  private *pushbuttonThread(slot: ShpcSlot): KGen {
    yield* this.k.mutexLock(slot.lock);
    if (slot.state === 'POWEROFF_STATE') {
      this.k.mutexUnlock(slot.lock);
      yield* this.disableSlot(slot);
      yield* this.k.mutexLock(slot.lock);
      slot.state = 'STATIC_STATE';
    } else if (slot.state === 'POWERON_STATE') {
      this.k.mutexUnlock(slot.lock);
      if (yield* this.enableSlot(slot)) yield* this.greenLedOff(slot);
      yield* this.k.mutexLock(slot.lock);
      slot.state = 'STATIC_STATE';
    }
    this.k.mutexUnlock(slot.lock);
  }

  /** shpchp_enable_slot() */
  private *enableSlot(slot: ShpcSlot): KGen<number> {
    yield* this.k.mutexLock(this.critSect);
    let retval = -19;
    if (!this.getAdapterStatus(slot)) this.info(`No adapter on slot(${slot.number})`);
    else if (this.getLatchStatus(slot)) this.info(`Latch open on slot(${slot.number})`);
    else if (this.getPowerStatus(slot)) this.info(`Already enabled on slot(${slot.number})`);
    else {
      slot.isABoard = 1;
      slot.presenceSave = this.getAdapterStatus(slot);
      slot.pwrSave = this.getPowerStatus(slot);
      this.getLatchStatus(slot);
      retval = yield* this.boardAdded(slot);
      if (retval) {
        slot.presenceSave = this.getAdapterStatus(slot);
        this.getLatchStatus(slot);
      }
      this.updateSlotInfo(slot);
    }
    this.k.mutexUnlock(this.critSect);
    return retval;
  }

  /** shpchp_disable_slot() */
  private *disableSlot(slot: ShpcSlot): KGen<number> {
    yield* this.k.mutexLock(this.critSect);
    let retval = -19;
    if (!this.getAdapterStatus(slot)) this.info(`No adapter on slot(${slot.number})`);
    else if (this.getLatchStatus(slot)) this.info(`Latch open on slot(${slot.number})`);
    else if (!this.getPowerStatus(slot)) this.info(`Already disabled on slot(${slot.number})`);
    else {
      retval = yield* this.removeBoard(slot);
      this.updateSlotInfo(slot);
    }
    this.k.mutexUnlock(this.critSect);
    return retval;
  }

  /** board_added() */
  private *boardAdded(slot: ShpcSlot): KGen<number> {
    const parent = this.bridge.subordinate!;
    if (yield* this.powerOnSlot(slot)) {
      this.info('Failed to power on slot');
      return -1;
    }
    const asp = this.getAdapterSpeed(slot);
    const bsp = this.curBusSpeed;
    const msp = this.maxBusSpeed;
    const notEmpty = parent.devices.length > 0;
    // fix_bus_speed()
    if (notEmpty) {
      if (asp < bsp) {
        this.info(`Speed of bus ${bsp.toString(16)} and adapter ${asp.toString(16)} mismatch`);
        return -1;
      }
    } else if (asp < msp ? bsp !== asp : bsp !== msp) {
      throw new Error('shpchp: a bus speed change (set_bus_speed_mode) is not modelled');
    }
    if (yield* this.slotEnable(slot)) {
      this.info('Issue of Slot Enable command failed');
      return -1;
    }
    // "Wait for ~1 second"
    yield* this.k.msleep(1000, 'shpchp board_added msleep(1000)');
    if (slot.status === 0xff) {
      slot.status = 0;
      yield* this.slotDisable(slot);
      return -1;
    }
    if (this.configureDevice(slot)) {
      this.info(`Cannot add device at 0000:${hex2(parent.number)}:${hex2(slot.device)}`);
      yield* this.slotDisable(slot);
      return -1;
    }
    slot.status = 0;
    slot.isABoard = 1;
    slot.pwrSave = 1;
    yield* this.greenLedOn(slot);
    return 0;
  }

  /** remove_board() */
  private *removeBoard(slot: ShpcSlot): KGen<number> {
    this.unconfigureDevice(slot);
    if (slot.isABoard) slot.status = 0x01;
    if (yield* this.slotDisable(slot)) {
      this.info('remove_board: Issue of Slot Disable command failed');
      return -1;
    }
    if (yield* this.setAttentionStatus(slot, 0)) {
      this.info('Issue of Set Attention command failed');
      return -1;
    }
    slot.pwrSave = 0;
    slot.isABoard = 0;
    return 0;
  }

  /** shpchp_pci.c shpchp_configure_device() */
  private configureDevice(slot: ShpcSlot): number {
    const parent = this.bridge.subordinate!;
    const devfn = slot.device << 3;
    const existing = parent.devices.find((d) => d.devfn === devfn);
    if (existing) {
      this.info(`Device ${this.rt.name(existing)} already exists at 0000:${hex2(parent.number)}:${hex2(slot.device)}, cannot hot-add`);
      return -22;
    }
    const num = pciScanSlot(this.linux, parent, devfn);
    if (num === 0) {
      this.info('No new device found');
      return -19;
    }
    for (const d of parent.devices) if ((d.hdrType === 1 || d.hdrType === 2) && d.devfn >> 3 === slot.device) pciHpAddBridge(this.linux, d);
    pciAssignUnassignedBridgeResources(this.linux, this.bridge);
    pciBusAddDevices(this.linux, parent);
    return 0;
  }

  /** shpchp_unconfigure_device() */
  private unconfigureDevice(slot: ShpcSlot): void {
    const parent = this.bridge.subordinate!;
    for (const d of [...parent.devices]) if (d.devfn >> 3 === slot.device) pciStopAndRemoveBusDevice(this.linux, d);
  }
}

const hex2 = (n: number) => n.toString(16).padStart(2, '0');
