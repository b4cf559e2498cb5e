/**
 * @module
 * arch/x86/pci/amd_bus.c: amd_postcore_init(), the probe for an AMD northbridge's routing registers (refused if
 * found: not modelled).
 */
import { earlyPciAllowed, readPciConfig } from './early.js';
import { PCI_HAS_IO_ECS } from '../include/asm/pci_x86.js';
import { GuestError } from '../../../errors.js';
import { PCI_VENDOR_ID } from '../../../include/uapi/linux/pci_regs.js';
import type { KernelState } from '../../../init/state.js';

/** arch/x86/pci/amd_bus.c amd_postcore_init(): early_root_info_init(), then pci_io_ecs_init() */
export function amdPostcoreInit(k: KernelState): void {
  if (!k.amd) return;
  earlyRootInfoInit(k);
  pciIoEcsInit(k);
}

/** amd_bus.c early_root_info_init(): the northbridge's routing registers, if there is one */
function earlyRootInfoInit(k: KernelState): void {
  // no early conf1 when pci=conf2 (or noearly) took CONF1 out of pci_probe
  if (!earlyPciAllowed(k)) return;
  const hbProbes: [number, number, number][] = [
    [0, 0x18, 0x1100],
    [0, 0x18, 0x1200],
    [0xff, 0, 0x1200],
    [0, 0x18, 0x1300],
    [0, 0x18, 0x1600],
  ];
  for (const [bus, slot, device] of hbProbes) {
    const id = readPciConfig(k, bus, slot, 0, PCI_VENDOR_ID, 4);
    const vendor = id & 0xffff;
    if (vendor !== 0x1022 && vendor !== 0x1d94) continue;
    if (id >>> 16 === device) throw new GuestError('UNSUPPORTED', 'an AMD northbridge was found: amd_bus routing is not modelled');
  }
}

/** arch/x86/kernel/amd_nb.c amd_nb_bus_dev_ranges[]: bus, first and last-plus-one slot of the northbridges */
const AMD_NB_BUS_DEV_RANGES: readonly [number, number, number][] = [
  [0x00, 0x18, 0x20],
  [0xff, 0x00, 0x20],
  [0xfe, 0x00, 0x20],
];

/**
 * amd_nb.c early_is_amd_nb(): an AMD (or Hygon) northbridge's function 3. QEMU puts none there; a device of
 * either vendor in those slots would be one pcisim does not model (the ECS enable write that follows).
 */
function earlyIsAmdNb(k: KernelState, id: number): boolean {
  if (!k.amd) return false;
  const vendor = id & 0xffff;
  if (vendor !== 0x1022 && vendor !== 0x1d94) return false;
  throw new GuestError('UNSUPPORTED', 'an AMD northbridge function 3 was found: pci_enable_pci_io_ecs() is not modelled');
}

/**
 * amd_bus.c pci_io_ecs_init(): from family 10h every AMD CPU is assumed to reach extended config space through
 * conf1 (IO ECS). pci_enable_pci_io_ecs() looks for a northbridge's function 3 in amd_nb_bus_dev_ranges[] (a read
 * of slots 18h-1fh on bus 0 and of every slot on buses ff and fe when none answers), then pci_probe gets
 * PCI_HAS_IO_ECS, which pci_direct_init() turns into conf1 for extended registers when there is no MMCONFIG.
 */
function pciIoEcsInit(k: KernelState): void {
  if (k.amdFamily < 0x10) return;
  if (earlyPciAllowed(k)) {
    // for (n = i = 0; !n && …): a range is scanned only while no northbridge was found
    for (const [bus, base, limit] of AMD_NB_BUS_DEV_RANGES) {
      for (let slot = base; slot < limit; slot++) {
        earlyIsAmdNb(k, readPciConfig(k, bus, slot, 3, 0, 4));
      }
    }
  }
  // cpuhp_setup_state(amd_bus_cpu_online): MSR writes, no config access
  k.pciProbe |= PCI_HAS_IO_ECS;
}
