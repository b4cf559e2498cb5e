/**
 * @module
 * `i440FX`: the PCI-facing function of the Intel 82441FX PMC host bridge, 8086:1237 at 00:00.0 on `pc`
 * (hw/pci-host/i440fx.c). Its config space is the class default plus what `i440fx_realize()` and
 * `i440fx_init()` store: SMRAM = 0x02 and the coreboot RAM-size byte. The PAM registers (0x59-0x5f) stay 0
 * at reset (the PCI function has no reset handler of its own), which is what SeaBIOS reads before it
 * shadows the BIOS (`F conf1 r 00:00.0 0x059/1 0x0` in reference/pc-default).
 */
import { PciDevice } from '../pci/device.js';

/** PAM0, the first of the seven Programmable Attribute Map registers */
export const I440FX_PAM = 0x59;
export const I440FX_PAM_SIZE = 7;
/** SMRAM control: D_OPEN 0x40, D_CLS 0x20, D_LCK 0x10, G_SMRAME 0x08, C_BASE_SEG 0x02 */
export const I440FX_SMRAM = 0x72;
/** not a real register: RAM size in 8 MiB units for coreboot 4.0 and older */
export const I440FX_COREBOOT_RAM_SIZE = 0x57;

const SMRAM_D_OPEN = 0x40;
const SMRAM_G_SMRAME = 0x08;

/** What `i440fx_update_memory_mappings()` derives from PAM and SMRAM. */
export interface I440fxMemoryMappings {
  /** PAM attribute per region: [0] = 0xf0000 BIOS (PAM0 bits 5:4), [1..12] = 16 KiB 0xc0000-0xeffff */
  pam: number[];
  /** `smram-region` (the VGA window seen by non-SMM CPUs) enabled: !D_OPEN */
  smramRegionEnabled: boolean;
  /** SMRAM visible to SMM CPUs: G_SMRAME */
  smramEnabled: boolean;
}

export class I440fx extends PciDevice {
  /** called whenever a write touches PAM or SMRAM (i440fx_update_memory_mappings) */
  onMemoryMappings: ((m: I440fxMemoryMappings) => void) | null = null;

  constructor(private readonly ramBytes: number) {
    // i440fx_class_init(): PCI_DEVICE_ID_INTEL_82441, revision 0x02, PCI_CLASS_BRIDGE_HOST
    super({ typeName: 'i440FX', vendorId: 0x8086, deviceId: 0x1237, revision: 0x02, classId: 0x0600 });
  }

  override realize(): void {
    // i440fx_realize()
    this.config[I440FX_SMRAM] = 0x02;
    // i440fx_init(): ram_size / 8 MiB, capped at 255
    this.config[I440FX_COREBOOT_RAM_SIZE] = Math.min(255, Math.floor(this.ramBytes / 8 / 1024 / 1024));
  }

  /** i440fx_update_memory_mappings(): PAM region i uses PAM[DIV_ROUND_UP(i, 2)], high nibble for odd i */
  memoryMappings(): I440fxMemoryMappings {
    const pam: number[] = [];
    for (let i = 0; i < 13; i++) {
      const reg = this.config[I440FX_PAM + Math.ceil(i / 2)]!;
      // pam_update(): `(val >> ((!(idx & 1)) * 4)) & PAM_ATTR_MASK`: even regions the high nibble
      pam.push((i & 1) === 0 ? (reg >> 4) & 3 : reg & 3);
    }
    const smram = this.config[I440FX_SMRAM]!;
    return { pam, smramRegionEnabled: (smram & SMRAM_D_OPEN) === 0, smramEnabled: (smram & SMRAM_G_SMRAME) !== 0 };
  }

  /** i440fx_write_config() */
  override configWrite(addr: number, val: number, len: number): void {
    super.configWrite(addr, val, len);
    const pamHit = addr < I440FX_PAM + I440FX_PAM_SIZE && addr + len > I440FX_PAM;
    const smramHit = addr <= I440FX_SMRAM && addr + len > I440FX_SMRAM;
    if (pamHit || smramHit) this.onMemoryMappings?.(this.memoryMappings());
  }
}
