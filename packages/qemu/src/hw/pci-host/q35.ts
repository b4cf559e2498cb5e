/**
 * @module
 * The functions q35 always has: the MCH host bridge (hw/pci-host/q35.c), the ICH9 LPC bridge
 * (hw/isa/lpc_ich9.c), the ICH9 AHCI controller (hw/ide/ich.c) and the ICH9 SMBus controller
 * (hw/i2c/smbus_ich9.c), with the config-space contents QEMU 7.2 gives them at reset. They sit together
 * here, beside the MCH, as the chipset pc_q35_init() always creates.
 */
import { PciDevice } from '../pci/device.js';
import * as R from '../pci/regs.js';
import { QemuError } from '../../errors.js';

export const MCH_HOST_BRIDGE_PCIEXBAR = 0x60;
export const MCH_HOST_BRIDGE_PCIEXBAR_DEFAULT = 0xb0000000;
const MCH_HOST_BRIDGE_SMRAM = 0x9d;
const MCH_HOST_BRIDGE_ESMRAMC = 0x9e;
const MCH_HOST_BRIDGE_F_SMBASE = 0x9c;

/** The ECAM window the MCH decodes, as `mch_update_pciexbar()` computes it. */
export interface PciexbarState {
  enabled: boolean;
  base: number;
  size: number;
}

/** `mch`: Intel 82P35 MCH, 8086:29c0, conventional PCI function 00:00.0 */
export class Q35Mch extends PciDevice {
  /** called with the new window whenever PCIEXBAR changes (pcie_host_mmcfg_update) */
  onPciexbar: ((s: PciexbarState) => void) | null = null;

  constructor() {
    super({ typeName: 'mch', vendorId: 0x8086, deviceId: 0x29c0, revision: 0, classId: 0x0600 });
    // mch_reset()
    this.setLong(MCH_HOST_BRIDGE_PCIEXBAR, MCH_HOST_BRIDGE_PCIEXBAR_DEFAULT);
    this.setLong(MCH_HOST_BRIDGE_PCIEXBAR + 4, 0);
    this.config[MCH_HOST_BRIDGE_SMRAM] = 0x02; // SMRAM_DEFAULT: C_BASE_SEG
    this.config[MCH_HOST_BRIDGE_ESMRAMC] = 0x38; // ESMRAMC_DEFAULT: SM_CACHE | SM_L1 | SM_L2
    this.wmask[MCH_HOST_BRIDGE_SMRAM] = 0x78; // SMRAM_WMASK: D_OPEN | D_CLS | D_LCK | G_SMRAME
    this.wmask[MCH_HOST_BRIDGE_ESMRAMC] = 0x07; // ESMRAMC_WMASK: TSEG_SZ | T_EN
    this.config[MCH_HOST_BRIDGE_F_SMBASE] = 0;
    this.wmask[MCH_HOST_BRIDGE_F_SMBASE] = 0xff;
  }

  pciexbar(): PciexbarState {
    const lo = this.getLong(MCH_HOST_BRIDGE_PCIEXBAR);
    const hi = this.getLong(MCH_HOST_BRIDGE_PCIEXBAR + 4);
    const lengthBits = (lo >>> 1) & 3;
    const size = lengthBits === 0 ? 256 << 20 : lengthBits === 1 ? 128 << 20 : lengthBits === 2 ? 64 << 20 : 0;
    // ADMSK bits 35:28, plus 27:26 for the smaller windows
    let mask = 0xf0000000;
    if (lengthBits === 1) mask |= 0x0c000000;
    if (lengthBits === 2) mask |= 0x02000000;
    const base = (lo & mask) >>> 0;
    return { enabled: (lo & 1) === 1 && size > 0, base: base + (hi & 0xf) * 2 ** 32, size };
  }

  /** mch_write_config() */
  override configWrite(addr: number, val: number, len: number): void {
    super.configWrite(addr, val, len);
    if (addr < MCH_HOST_BRIDGE_PCIEXBAR + 8 && addr + len > MCH_HOST_BRIDGE_PCIEXBAR) {
      this.onPciexbar?.(this.pciexbar());
    }
  }
}

const ICH9_LPC_PMBASE = 0x40;
const ICH9_LPC_ACPI_CTRL = 0x44;
export const ICH9_LPC_PIRQA_ROUT = 0x60;
export const ICH9_LPC_PIRQE_ROUT = 0x68;
const ICH9_LPC_RCBA = 0xf0;

/**
 * The `ICH9-LPC` properties a `-global` sets that decide how the machine is built (ich9_lpc_properties[] and
 * ich9_pm_add_properties()); QEMU 7.2's defaults. Read in one place, {@link ich9LpcGlobal}.
 */
export interface Ich9LpcProps {
  /** `acpi-pci-hotplug-with-bridge-support` (on since 6.1): ACPI hot-plug on the root bus and cold-plugged bridges */
  acpiPciHotplugWithBridgeSupport: boolean;
  /** `x-keep-pci-slot-hpc` (on in 7.2): PCIe slots keep native hot-plug while ACPI hot-plug is on */
  keepPciSlotHpc: boolean;
}

/** ICH9-LPC's properties before any `-global`. */
export function ich9LpcDefaults(): Ich9LpcProps {
  return { acpiPciHotplugWithBridgeSupport: true, keepPciSlotHpc: true };
}

/**
 * One `-global ICH9-LPC.<property>=<value>` (`arg` is the option's argument, for the error) applied to
 * `props`; other properties are left to the device. A bad `acpi-pci-hotplug-with-bridge-support` fails as
 * QEMU's bool setter does.
 */
export function ich9LpcGlobal(props: Ich9LpcProps, property: string, value: string, arg: string): void {
  if (property === 'acpi-pci-hotplug-with-bridge-support') {
    if (value === 'on' || value === 'true' || value === 'yes') props.acpiPciHotplugWithBridgeSupport = true;
    else if (value === 'off' || value === 'false' || value === 'no') props.acpiPciHotplugWithBridgeSupport = false;
    else throw new QemuError('BAD_PROPERTY_VALUE', `${arg}: Parameter 'value' expects 'on' or 'off'`);
  } else if (property === 'x-keep-pci-slot-hpc') {
    props.keepPciSlotHpc = !['off', 'false', 'no', 'n'].includes(value);
  }
}

/** `ICH9-LPC`: 8086:2918, function 00:1f.0, multifunction */
export class Ich9Lpc extends PciDevice {
  constructor() {
    super({ typeName: 'ICH9-LPC', vendorId: 0x8086, deviceId: 0x2918, revision: 0x02, classId: 0x0601 });
    this.multifunction = true;
  }

  override realize(): void {
    // ich9_lpc_realize(): PMBASE base address bits 15:7 writable; the byte write below is QEMU's own
    this.setLong(ICH9_LPC_PMBASE, 0x0000ff80, this.wmask);
    this.wmask[ICH9_LPC_PMBASE] = 0x80 | 0x07;
    // ich9_lpc_reset()
    for (let i = 0; i < 4; i++) {
      this.config[ICH9_LPC_PIRQA_ROUT + i] = 0x80;
      this.config[ICH9_LPC_PIRQE_ROUT + i] = 0x80;
    }
    this.config[ICH9_LPC_ACPI_CTRL] = 0;
    this.setLong(ICH9_LPC_PMBASE, 0x1);
    this.setLong(ICH9_LPC_RCBA, 0);
  }
}

/** `ich9-ahci`: 8086:2922, function 00:1f.2 on q35 */
export class Ich9Ahci extends PciDevice {
  constructor() {
    super({ typeName: 'ich9-ahci', vendorId: 0x8086, deviceId: 0x2922, revision: 0x02, classId: 0x0106 });
    // pc_q35_init(): pci_create_simple_multifunction(..., true, "ich9-ahci")
    this.multifunction = true;
  }

  override realize(): void {
    // pci_ich9_ahci_realize()
    this.config[R.PCI_CLASS_PROG] = 0x01; // AHCI_PROGMODE_MAJOR_REV_1
    this.config[R.PCI_CACHE_LINE_SIZE] = 0x08;
    this.config[R.PCI_LATENCY_TIMER] = 0x00;
    this.config[R.PCI_INTERRUPT_PIN] = 1;
    this.config[0x90] = 1 << 6;
    this.registerBar(4, R.PCI_BASE_ADDRESS_SPACE_IO, 32); // ICH9_IDP_BAR, "ahci-idp"
    this.registerBar(5, R.PCI_BASE_ADDRESS_SPACE_MEMORY, 0x1000); // ICH9_MEM_BAR, AHCI_MEM_BAR_SIZE
    const sata = this.addCapability(R.PCI_CAP_ID_SATA, 0xa8, 8);
    this.setWord(sata + 2, 0x10);
    this.setLong(sata + 4, (4 + 4) | (4 << 4)); // (ICH9_IDP_BAR + 4) | (ICH9_IDP_INDEX_LOG2 << 4)
    this.msiInit(0x80, 1, true, false);
  }
}

/** `ICH9 SMB`: 8086:2930, function 00:1f.3 */
export class Ich9Smbus extends PciDevice {
  constructor() {
    super({ typeName: 'ICH9 SMB', vendorId: 0x8086, deviceId: 0x2930, revision: 0x02, classId: 0x0c05 });
    this.multifunction = true;
  }

  override realize(): void {
    this.config[R.PCI_INTERRUPT_PIN] = 1;
    this.config[0x40] = 0; // ICH9_SMB_HOSTC
    this.registerBar(4, R.PCI_BASE_ADDRESS_SPACE_IO, 64); // ICH9_SMB_SMB_BASE_BAR: pm_smbus_init()'s "pm-smbus"
  }
}
