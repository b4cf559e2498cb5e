/**
 * @module
 * `i6300esb`: the Intel 6300ESB watchdog, 8086:25ab, class 0880 (hw/watchdog/wdt_i6300esb.c
 * `i6300esb_realize`): one 16-byte 32-bit memory BAR, no interrupt pin, no capabilities. Its config hooks
 * (0x60 as a word, 0x68 as a byte) answer from the timer state; nothing reads them unless a driver binds,
 * and the cloud kernel has none (CONFIG_I6300ESB_WDT is not set).
 */
import { QdevPciDevice } from '../pci/qdev-pci.js';
import { pciProps } from '../pci/device.js';
import type { QdevTypeInfo } from '../core/qdev.js';

const ESB_CONFIG_REG = 0x60;
const ESB_LOCK_REG = 0x68;

export class I6300esb extends QdevPciDevice {
  /** i6300esb_reset(): reboot enabled, 1 kHz clock, IRQ, unlocked, disabled */
  private rebootEnabled = true;
  private clock1MHz = false;
  private intType = 0;
  private freeRun = false;
  private locked = false;
  private enabled = false;

  constructor() {
    super({ typeName: 'i6300esb', vendorId: 0x8086, deviceId: 0x25ab, classId: 0x0880 });
  }

  protected override realizeDevice(): void {
    this.registerBar(0, 0, 0x10);
  }

  override deviceReset(): void {
    this.rebootEnabled = true;
    this.clock1MHz = false;
    this.intType = 0;
    this.freeRun = false;
    this.locked = false;
    this.enabled = false;
  }

  /** i6300esb_config_read() */
  override configRead(addr: number, len: number): number {
    if (addr === ESB_CONFIG_REG && len === 2) return (this.rebootEnabled ? 0 : 0x20) | (this.clock1MHz ? 0x04 : 0) | this.intType;
    if (addr === ESB_LOCK_REG && len === 1) return (this.freeRun ? 0x04 : 0) | (this.locked ? 0x01 : 0) | (this.enabled ? 0x02 : 0);
    return super.configRead(addr, len);
  }

  /** i6300esb_config_write() */
  override configWrite(addr: number, val: number, len: number): void {
    if (addr === ESB_CONFIG_REG && len === 2) {
      this.rebootEnabled = (val & 0x20) === 0;
      this.clock1MHz = (val & 0x04) !== 0;
      this.intType = val & 0x11; // ESB_WDT_INTTYPE
    } else if (addr === ESB_LOCK_REG && len === 1) {
      if (!this.locked) {
        this.locked = (val & 0x01) !== 0;
        this.freeRun = (val & 0x04) !== 0;
        this.enabled = (val & 0x02) !== 0;
      }
    } else super.configWrite(addr, val, len);
  }
}

export const I6300ESB_TYPE: QdevTypeInfo = {
  name: 'i6300esb',
  ancestors: ['i6300esb', 'pci-device', 'device'],
  busType: 'PCI',
  kind: 'pci',
  props: pciProps('i6300esb'),
  build: () => new I6300esb(),
};
