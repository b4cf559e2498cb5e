/**
 * @module
 * The Standard Hot-Plug Controller of `pci-bridge` and `pcie-pci-bridge` (hw/pci/shpc.c): 31 slots
 * (devices 1-31 of the secondary bus), a register file reached through the bridge's 256-byte BAR 0 and
 * through the SHPC capability's DWORD_SELECT/DWORD_DATA window in config space.
 */
import type { PciDevice } from './device.js';
import type { PciBus } from './bus.js';
import * as R from './regs.js';

// SHPC working register set
const SHPC_BASE_OFFSET = 0x00;
const SHPC_SLOTS_33 = 0x04;
const SHPC_SLOTS_66 = 0x08;
const SHPC_NSLOTS = 0x0c;
const SHPC_FIRST_DEV = 0x0d;
const SHPC_PHYS_SLOT = 0x0e;
const SHPC_PHYS_NUM_UP = 0x2000;
const SHPC_PHYS_MRL = 0x4000;
const SHPC_PHYS_BUTTON = 0x8000;
const SHPC_SEC_BUS = 0x10;
const SHPC_SEC_BUS_33 = 0x0;
const SHPC_SEC_BUS_MASK = 0x7;
const SHPC_PROG_IFC = 0x13;
const SHPC_PROG_IFC_1_0 = 0x1;
const SHPC_CMD_CODE = 0x14;
const SHPC_CMD_TRGT = 0x15;
const SHPC_CMD_TRGT_MIN = 0x1;
const SHPC_CMD_TRGT_MAX = 0x1f;
const SHPC_CMD_STATUS = 0x16;
const SHPC_CMD_STATUS_BUSY = 0x1;
const SHPC_CMD_STATUS_MRL_OPEN = 0x2;
const SHPC_CMD_STATUS_INVALID_CMD = 0x4;
const SHPC_CMD_STATUS_INVALID_MODE = 0x8;
const SHPC_INT_LOCATOR = 0x18;
const SHPC_INT_COMMAND = 0x1;
const SHPC_SERR_INT = 0x20;
const SHPC_INT_DIS = 0x1;
const SHPC_SERR_DIS = 0x2;
const SHPC_CMD_INT_DIS = 0x4;
const SHPC_ARB_SERR_DIS = 0x8;
const SHPC_CMD_DETECTED = 0x10000;
const SHPC_ARB_DETECTED = 0x20000;
const SHPC_SLOT_REG = (s: number) => 0x24 + s * 4;
const SHPC_SLOT_EVENT_LATCH = (s: number) => 0x2 + SHPC_SLOT_REG(s);
const SHPC_SLOT_EVENT_SERR_INT_DIS = (s: number) => 0x3 + SHPC_SLOT_REG(s);
const SHPC_SLOT_STATE_MASK = 0x03;
const SHPC_STATE_NO = 0x0;
const SHPC_STATE_PWRONLY = 0x1;
const SHPC_STATE_ENABLED = 0x2;
const SHPC_STATE_DISABLED = 0x3;
const SHPC_SLOT_PWR_LED_MASK = 0xc;
const SHPC_SLOT_ATTN_LED_MASK = 0x30;
const SHPC_LED_NO = 0x0;
const SHPC_LED_ON = 0x1;
const SHPC_LED_OFF = 0x3;
const SHPC_SLOT_STATUS_MRL_OPEN = 0x100;
const SHPC_SLOT_STATUS_66 = 0x200;
const SHPC_SLOT_STATUS_PRSNT_MASK = 0xc00;
const SHPC_SLOT_STATUS_PRSNT_EMPTY = 0x3;
const SHPC_SLOT_STATUS_PRSNT_7_5W = 0x0;
const SHPC_SLOT_EVENT_PRESENCE = 0x01;
const SHPC_SLOT_EVENT_ISOLATED_FAULT = 0x02;
const SHPC_SLOT_EVENT_BUTTON = 0x04;
const SHPC_SLOT_EVENT_MRL = 0x08;
const SHPC_SLOT_EVENT_CONNECTED_FAULT = 0x10;
const SHPC_SLOT_EVENT_MRL_SERR_DIS = 0x20;
const SHPC_SLOT_EVENT_CONNECTED_FAULT_SERR_DIS = 0x40;
/** every event and SERR mask bit of a slot: shpc_reset() sets them all, shpc_init() makes them writable */
const SLOT_EVENT_SERR_INT_DIS_ALL =
  SHPC_SLOT_EVENT_PRESENCE |
  SHPC_SLOT_EVENT_ISOLATED_FAULT |
  SHPC_SLOT_EVENT_BUTTON |
  SHPC_SLOT_EVENT_MRL |
  SHPC_SLOT_EVENT_CONNECTED_FAULT |
  SHPC_SLOT_EVENT_MRL_SERR_DIS |
  SHPC_SLOT_EVENT_CONNECTED_FAULT_SERR_DIS;
export const SHPC_MAX_SLOTS = 31;
const SHPC_CAP_LENGTH = 0x08;
const SHPC_CAP_DWORD_SELECT = 0x2;
const SHPC_CAP_CXP = 0x3;
const SHPC_CAP_DWORD_DATA = 0x4;

const ctz = (m: number) => 31 - Math.clz32(m & -m);

/** shpc_bar_size(): SHPC_SLOT_REG(SHPC_MAX_SLOTS) rounded up to a power of two */
export const SHPC_BAR_SIZE = 0x100;

/** One bridge's SHPC (`SHPCDevice`). */
export class Shpc {
  readonly nslots = SHPC_MAX_SLOTS;
  /** SHPC_SIZEOF(d) = SHPC_SLOT_REG(nslots) */
  readonly size = SHPC_SLOT_REG(SHPC_MAX_SLOTS);
  readonly config = new Uint8Array(SHPC_SLOT_REG(SHPC_MAX_SLOTS));
  readonly wmask = new Uint8Array(SHPC_SLOT_REG(SHPC_MAX_SLOTS));
  readonly w1cmask = new Uint8Array(SHPC_SLOT_REG(SHPC_MAX_SLOTS));
  /** offset of the SHPC capability in the bridge's config space */
  cap = 0;
  msiRequested = 0;

  constructor(
    private readonly dev: PciDevice,
    private readonly secBus: () => PciBus | null,
  ) {}

  private getWord(a: number): number {
    return this.config[a]! | (this.config[a + 1]! << 8);
  }
  private setWord(a: number, v: number, arr = this.config): void {
    arr[a] = v & 0xff;
    arr[a + 1] = (v >>> 8) & 0xff;
  }
  private getLong(a: number): number {
    return (this.getWord(a) | (this.getWord(a + 2) << 16)) >>> 0;
  }
  private setLong(a: number, v: number, arr = this.config): void {
    this.setWord(a, v & 0xffff, arr);
    this.setWord(a + 2, (v >>> 16) & 0xffff, arr);
  }

  /** shpc_get_status() */
  private getStatus(slot: number, msk: number): number {
    return (this.getWord(SHPC_SLOT_REG(slot)) & msk) >> ctz(msk);
  }

  /** shpc_set_status() */
  private setStatus(slot: number, value: number, msk: number): void {
    const a = SHPC_SLOT_REG(slot);
    this.setWord(a, (this.getWord(a) & ~msk) | ((value << ctz(msk)) & 0xffff));
  }

  /** shpc_init(): the capability (first free config space), the register file, its masks */
  init(): void {
    // shpc_cap_add_config()
    const off = this.dev.addCapability(R.PCI_CAP_ID_SHPC, 0, SHPC_CAP_LENGTH);
    this.dev.config[off + SHPC_CAP_DWORD_SELECT] = 0;
    this.dev.config[off + SHPC_CAP_CXP] = 0;
    this.dev.setLong(off + SHPC_CAP_DWORD_DATA, 0);
    this.cap = off;
    this.dev.wmask[off + SHPC_CAP_DWORD_SELECT] = 0xff;
    this.dev.setLong(off + SHPC_CAP_DWORD_DATA, 0xffffffff, this.dev.wmask);

    this.reset();
    this.setLong(SHPC_BASE_OFFSET, 0);
    this.wmask[SHPC_CMD_CODE] = 0xff;
    this.wmask[SHPC_CMD_TRGT] = SHPC_CMD_TRGT_MAX;
    this.setLong(SHPC_SERR_INT, SHPC_INT_DIS | SHPC_SERR_DIS | SHPC_CMD_INT_DIS | SHPC_ARB_SERR_DIS, this.wmask);
    this.setLong(SHPC_SERR_INT, SHPC_CMD_DETECTED | SHPC_ARB_DETECTED, this.w1cmask);
    for (let i = 0; i < this.nslots; i++) {
      this.wmask[SHPC_SLOT_EVENT_SERR_INT_DIS(i)] = SLOT_EVENT_SERR_INT_DIS_ALL;
      this.w1cmask[SHPC_SLOT_EVENT_LATCH(i)] =
        SHPC_SLOT_EVENT_PRESENCE |
        SHPC_SLOT_EVENT_ISOLATED_FAULT |
        SHPC_SLOT_EVENT_BUTTON |
        SHPC_SLOT_EVENT_MRL |
        SHPC_SLOT_EVENT_CONNECTED_FAULT;
    }
    this.capUpdateDword();
  }

  /** shpc_reset(): every slot enabled and powered if a device sits at function 0, else disabled and empty */
  reset(): void {
    const bus = this.secBus();
    this.config.fill(0);
    this.config[SHPC_NSLOTS] = this.nslots;
    this.setLong(SHPC_SLOTS_33, this.nslots);
    this.setLong(SHPC_SLOTS_66, 0);
    this.config[SHPC_FIRST_DEV] = 1; // SHPC_IDX_TO_PCI(0)
    this.setWord(SHPC_PHYS_SLOT, 1 | SHPC_PHYS_NUM_UP | SHPC_PHYS_MRL | SHPC_PHYS_BUTTON);
    this.setLong(SHPC_SERR_INT, SHPC_INT_DIS | SHPC_SERR_DIS | SHPC_CMD_INT_DIS | SHPC_ARB_SERR_DIS);
    this.config[SHPC_PROG_IFC] = SHPC_PROG_IFC_1_0;
    this.setWord(SHPC_SEC_BUS, SHPC_SEC_BUS_33);
    for (let i = 0; i < this.nslots; i++) {
      this.config[SHPC_SLOT_EVENT_SERR_INT_DIS(i)] = SLOT_EVENT_SERR_INT_DIS_ALL;
      if (bus?.devices[R.PCI_DEVFN(i + 1, 0)]) {
        this.setStatus(i, SHPC_STATE_ENABLED, SHPC_SLOT_STATE_MASK);
        this.setStatus(i, 0, SHPC_SLOT_STATUS_MRL_OPEN);
        this.setStatus(i, SHPC_SLOT_STATUS_PRSNT_7_5W, SHPC_SLOT_STATUS_PRSNT_MASK);
        this.setStatus(i, SHPC_LED_ON, SHPC_SLOT_PWR_LED_MASK);
      } else {
        this.setStatus(i, SHPC_STATE_DISABLED, SHPC_SLOT_STATE_MASK);
        this.setStatus(i, 1, SHPC_SLOT_STATUS_MRL_OPEN);
        this.setStatus(i, SHPC_SLOT_STATUS_PRSNT_EMPTY, SHPC_SLOT_STATUS_PRSNT_MASK);
        this.setStatus(i, SHPC_LED_OFF, SHPC_SLOT_PWR_LED_MASK);
      }
      this.setStatus(i, 0, SHPC_SLOT_STATUS_66);
    }
    this.setSecBusSpeed(SHPC_SEC_BUS_33);
    this.msiRequested = 0;
    this.interruptUpdate();
  }

  /** shpc_set_sec_bus_speed() */
  private setSecBusSpeed(speed: number): void {
    if (speed === SHPC_SEC_BUS_33) {
      this.config[SHPC_SEC_BUS]! &= ~SHPC_SEC_BUS_MASK;
      this.config[SHPC_SEC_BUS]! |= speed;
    } else {
      this.setWord(SHPC_CMD_STATUS, this.getWord(SHPC_CMD_STATUS) | SHPC_CMD_STATUS_INVALID_MODE);
    }
  }

  /** shpc_interrupt_update(): the interrupt locator register (the interrupt itself is not modelled) */
  private interruptUpdate(): void {
    let locator = 0;
    for (let slot = 0; slot < this.nslots; slot++) {
      const event = this.config[SHPC_SLOT_EVENT_LATCH(slot)]!;
      const disable = this.config[SHPC_SLOT_EVENT_SERR_INT_DIS(slot)]!;
      if (event & ~disable) locator |= 1 << (slot + 1);
    }
    const serrInt = this.getLong(SHPC_SERR_INT);
    if (serrInt & SHPC_CMD_DETECTED && !(serrInt & SHPC_CMD_INT_DIS)) locator |= SHPC_INT_COMMAND;
    this.setLong(SHPC_INT_LOCATOR, locator >>> 0);
    this.msiRequested = !(serrInt & SHPC_INT_DIS) && locator ? 1 : 0;
  }

  private invalidCommand(): void {
    this.setWord(SHPC_CMD_STATUS, this.getWord(SHPC_CMD_STATUS) | SHPC_CMD_STATUS_INVALID_CMD);
  }

  /** shpc_free_devices_in_slot() */
  private freeDevicesInSlot(slot: number): void {
    const bus = this.secBus();
    if (!bus) return;
    for (let fn = 0; fn < 8; fn++) {
      const d = bus.devices[R.PCI_DEVFN(slot + 1, fn)];
      if (d) bus.unplug(d);
    }
  }

  /** shpc_slot_command() */
  private slotCommand(target: number, state: number, power: number, attn: number): void {
    const slot = target - 1;
    if (target < SHPC_CMD_TRGT_MIN || slot >= this.nslots) {
      this.invalidCommand();
      return;
    }
    const current = this.getStatus(slot, SHPC_SLOT_STATE_MASK);
    if (current === SHPC_STATE_ENABLED && state === SHPC_STATE_PWRONLY) {
      this.invalidCommand();
      return;
    }
    if (power !== SHPC_LED_NO) this.setStatus(slot, power, SHPC_SLOT_PWR_LED_MASK);
    if (attn !== SHPC_LED_NO) this.setStatus(slot, attn, SHPC_SLOT_ATTN_LED_MASK);
    if (
      (current === SHPC_STATE_DISABLED && state === SHPC_STATE_PWRONLY) ||
      (current === SHPC_STATE_DISABLED && state === SHPC_STATE_ENABLED)
    ) {
      this.setStatus(slot, state, SHPC_SLOT_STATE_MASK);
    } else if ((current === SHPC_STATE_ENABLED || current === SHPC_STATE_PWRONLY) && state === SHPC_STATE_DISABLED) {
      this.setStatus(slot, state, SHPC_SLOT_STATE_MASK);
      if (this.getStatus(slot, SHPC_SLOT_PWR_LED_MASK) === SHPC_LED_OFF) {
        this.freeDevicesInSlot(slot);
        this.setStatus(slot, 1, SHPC_SLOT_STATUS_MRL_OPEN);
        this.setStatus(slot, SHPC_SLOT_STATUS_PRSNT_EMPTY, SHPC_SLOT_STATUS_PRSNT_MASK);
        this.config[SHPC_SLOT_EVENT_LATCH(slot)]! |= SHPC_SLOT_EVENT_MRL | SHPC_SLOT_EVENT_PRESENCE;
      }
    }
  }

  /** shpc_command() */
  private command(): void {
    const code = this.config[SHPC_CMD_CODE]!;
    this.setWord(
      SHPC_CMD_STATUS,
      this.getWord(SHPC_CMD_STATUS) &
        ~(SHPC_CMD_STATUS_BUSY | SHPC_CMD_STATUS_MRL_OPEN | SHPC_CMD_STATUS_INVALID_CMD | SHPC_CMD_STATUS_INVALID_MODE),
    );
    if (code <= 0x3f) {
      const target = this.config[SHPC_CMD_TRGT]! & SHPC_CMD_TRGT_MAX;
      const state = code & SHPC_SLOT_STATE_MASK;
      const power = (code & SHPC_SLOT_PWR_LED_MASK) >> 2;
      const attn = (code & SHPC_SLOT_ATTN_LED_MASK) >> 4;
      this.slotCommand(target, state, power, attn);
    } else if (code <= 0x47) {
      this.setSecBusSpeed(code & SHPC_SEC_BUS_MASK);
    } else if (code === 0x48 || code === 0x49) {
      // power-only / enable all slots, refused if any slot is enabled
      let refused = false;
      for (let i = 0; i < this.nslots; i++) {
        if (this.getStatus(i, SHPC_SLOT_STATE_MASK) === SHPC_STATE_ENABLED) {
          this.invalidCommand();
          refused = true;
          break;
        }
      }
      if (!refused) {
        for (let i = 0; i < this.nslots; i++) {
          if (!this.getStatus(i, SHPC_SLOT_STATUS_MRL_OPEN)) {
            this.slotCommand(i + 1, code === 0x48 ? SHPC_STATE_PWRONLY : SHPC_STATE_ENABLED, SHPC_LED_ON, SHPC_LED_NO);
          } else {
            this.slotCommand(i + 1, SHPC_STATE_NO, SHPC_LED_OFF, SHPC_LED_NO);
          }
        }
      }
    } else {
      this.invalidCommand();
    }
    this.setLong(SHPC_SERR_INT, (this.getLong(SHPC_SERR_INT) | SHPC_CMD_DETECTED) >>> 0);
  }

  /** shpc_write(): the register file's own wmask/w1cmask, then a command if the code was written */
  write(addr: number, val: number, len: number): void {
    if (addr >= this.size) return;
    const l = Math.min(len, this.size - addr);
    let v = val >>> 0;
    for (let i = 0; i < l; i++, v >>>= 8) {
      const a = addr + i;
      const wm = this.wmask[a]!;
      const w1c = this.w1cmask[a]!;
      this.config[a] = ((this.config[a]! & ~wm) | (v & wm)) & ~(v & 0xff & w1c);
    }
    if (addr < SHPC_CMD_CODE + 2 && addr + l > SHPC_CMD_CODE) this.command();
    this.interruptUpdate();
  }

  /** shpc_read() */
  read(addr: number, len: number): number {
    if (addr >= this.size) return 0;
    const l = Math.min(len, this.size - addr);
    let v = 0;
    for (let i = l - 1; i >= 0; i--) v = v * 256 + this.config[addr + i]!;
    return v >>> 0;
  }

  /** shpc_cap_update_dword(): DWORD_DATA mirrors the register DWORD_SELECT names */
  capUpdateDword(): void {
    const dword = this.dev.config[this.cap + SHPC_CAP_DWORD_SELECT]!;
    this.dev.setLong(this.cap + SHPC_CAP_DWORD_DATA, this.read(dword * 4, 4));
  }

  /**
   * shpc_cap_write_config(). Faithful to QEMU 7.2, a write to DWORD_DATA forwards the dword found at
   * `cap + 4` of the *register file* (not the value in config space) to the selected register.
   */
  capWriteConfig(addr: number, len: number): void {
    if (addr + len <= this.cap || addr >= this.cap + SHPC_CAP_LENGTH) return;
    const data = this.cap + SHPC_CAP_DWORD_DATA;
    if (addr < data + 4 && addr + len > data) {
      const dwordData = this.getLong(data);
      this.write(this.dev.config[this.cap + SHPC_CAP_DWORD_SELECT]! * 4, dwordData, 4);
    }
    this.capUpdateDword();
  }

  /**
   * shpc_device_plug_cb(): the slot must be 1-31. A cold-plugged device just closes the MRL and shows
   * presence; a hot-plugged one also latches the button/MRL/presence events.
   * Returns QEMU's error text, or null.
   */
  plug(devfn: number, hotplugged: boolean): string | null {
    const pciSlot = R.PCI_SLOT(devfn);
    const slot = pciSlot - 1;
    if (pciSlot < 1 || slot >= this.nslots) {
      return `Unsupported PCI slot ${pciSlot} for standard hotplug controller. Valid slots are between 1 and ${this.nslots}.`;
    }
    if (!hotplugged) {
      this.setStatus(slot, 0, SHPC_SLOT_STATUS_MRL_OPEN);
      this.setStatus(slot, SHPC_SLOT_STATUS_PRSNT_7_5W, SHPC_SLOT_STATUS_PRSNT_MASK);
      return null;
    }
    if (this.getStatus(slot, SHPC_SLOT_STATUS_MRL_OPEN)) {
      this.setStatus(slot, 0, SHPC_SLOT_STATUS_MRL_OPEN);
      this.setStatus(slot, SHPC_SLOT_STATUS_PRSNT_7_5W, SHPC_SLOT_STATUS_PRSNT_MASK);
      this.config[SHPC_SLOT_EVENT_LATCH(slot)]! |= SHPC_SLOT_EVENT_BUTTON | SHPC_SLOT_EVENT_MRL | SHPC_SLOT_EVENT_PRESENCE;
    } else {
      this.config[SHPC_SLOT_EVENT_LATCH(slot)]! |= SHPC_SLOT_EVENT_BUTTON;
    }
    this.setStatus(slot, 0, SHPC_SLOT_STATUS_66);
    this.interruptUpdate();
    return null;
  }
}
