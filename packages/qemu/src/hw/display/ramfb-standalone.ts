/**
 * @module
 * `ramfb`: the RAM framebuffer standalone device (hw/display/ramfb-standalone.c, ramfb.c), a dynamic sysbus
 * device that pc and q35 allow: no PCI function. It adds the fw_cfg file "etc/ramfb" and the fw_cfg VGA ROM
 * vgabios-ramfb.bin (rom_add_vga), which SeaBIOS runs from "vgaroms/" without a config access
 * (reference/q35-ramfb holds the same config accesses as q35-vga-none).
 */
import type { QdevTypeInfo } from '../core/qdev.js';

export const RAMFB_TYPE: QdevTypeInfo = {
  name: 'ramfb',
  ancestors: ['ramfb', 'sys-bus-device', 'device'],
  busType: 'System',
  kind: 'sysbus',
  props: [],
};
