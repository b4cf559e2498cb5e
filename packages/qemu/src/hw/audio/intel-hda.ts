/**
 * @module
 * Intel HD Audio controllers (hw/audio/intel-hda.c): `intel-hda` (ICH6, 8086:2668 rev 1) and `ich9-intel-hda`
 * (8086:293e rev 3), class 0403 (PCI_CLASS_MULTIMEDIA_HD_AUDIO), a 16 KiB memory BAR 0 (the 8 KiB register
 * block and its alias), INTA, HDCTL 0x40 = 1 (HDA signalling), and with `msi` not off a one-vector 64-bit MSI
 * capability at 0x60 (0x50 with `old_msi_addr`). Conventional PCI even on q35's pcie.0, so no PCIe capability.
 * Realize creates the codec bus (`HDA`) the hda-* codecs plug into.
 */
import * as R from '../pci/regs.js';
import { QdevPciDevice } from '../pci/qdev-pci.js';
import { pciProps } from '../pci/device.js';
import { defineProp } from '../core/qdev-properties.js';
import type { QdevTypeInfo } from '../core/qdev.js';

/** IntelHDAState's PCI side */
export class IntelHda extends QdevPciDevice {
  constructor(
    typeName: string,
    ids: { deviceId: number; revision: number },
    readonly cfg: { msi: 'on' | 'off' | 'auto'; oldMsiAddr: boolean },
  ) {
    // intel_hda_class_init(): PCI_VENDOR_ID_INTEL, PCI_CLASS_MULTIMEDIA_HD_AUDIO
    super({ typeName, vendorId: 0x8086, deviceId: ids.deviceId, revision: ids.revision, classId: 0x0403 });
  }

  /** intel_hda_realize() */
  protected override realizeDevice(): void {
    this.config[R.PCI_INTERRUPT_PIN] = 1;
    // HDCTL off 0x40 bit 0 selects signaling mode (1-HDA, 0 - Ac97) 18.1.19
    this.config[0x40] = 0x01;
    // msi_init(1 vector, 64-bit, no per-vector mask): x86's MSI is not broken, so `auto` gets it too
    if (this.cfg.msi !== 'off') this.msiInit(this.cfg.oldMsiAddr ? 0x50 : 0x60, 1, true, false);
    // "intel-hda-container", 0x4000: the "intel-hda" registers (0x2000) and their alias
    this.registerBar(0, R.PCI_BASE_ADDRESS_SPACE_MEMORY, 0x4000);
  }
}

function hdaType(name: string, deviceId: number, revision: number): QdevTypeInfo {
  return {
    name,
    ancestors: [name, 'intel-hda-generic', 'pci-device', 'device'],
    busType: 'PCI',
    kind: 'pci',
    hdaBus: true,
    props: [
      ...pciProps(name),
      defineProp(name, 'debug', 'uint32', 0),
      defineProp(name, 'msi', 'onoffauto', 'auto'),
      defineProp(name, 'old_msi_addr', 'bool', false),
    ],
    build: (ctx) => {
      const msi = ctx.props.str('msi');
      return new IntelHda(name, { deviceId, revision }, {
        msi: msi === 'on' || msi === 'off' ? msi : 'auto',
        oldMsiAddr: ctx.props.bool('old_msi_addr'),
      });
    },
  };
}

/** intel_hda_info_ich6, intel_hda_info_ich9 (intel_hda_properties[]) */
export const INTEL_HDA_TYPES: readonly QdevTypeInfo[] = [hdaType('intel-hda', 0x2668, 1), hdaType('ich9-intel-hda', 0x293e, 3)];
