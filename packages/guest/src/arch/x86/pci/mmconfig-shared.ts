/**
 * @module
 * arch/x86/pci/mmconfig-shared.c: pci_mmcfg_early_init(): the chipset probes, MCFG, the E820 check
 * (is_mmconf_reserved()), and raw_pci_ext_ops = &pci_mmcfg.
 */
import { PCI_PROBE_MASK, PCI_PROBE_MMCONF } from '../include/asm/pci_x86.js';
import { e820MappedAll } from '../kernel/e820.js';
import { kvmParaAvailable } from '../kernel/kvm.js';
import { acpiTables } from './acpi.js';
import { pciMmcfg } from './mmconfig_64.js';
import { GuestError } from '../../../errors.js';
import { PCI_VENDOR_ID } from '../../../include/uapi/linux/pci_regs.js';
import type { KernelState } from '../../../init/state.js';
import { hex2, hex4 } from '../../../lib/vsprintf.js';

/** mmconfig-shared.c pci_mmcfg_early_init() -> __pci_mmcfg_init(1) */
export function pciMmcfgEarlyInit(k: KernelState): void {
  if (!(k.pciProbe & PCI_PROBE_MMCONF)) return;
  let known = false;
  if (k.rawPciOps) {
    // pci_mmcfg_check_hostbridge(): E7520, 945G, AMD fam10h (twice), nVidia MCP55
    const probes: [number, number, number, number][] = [
      [0, 0, 0x8086, 0x3590],
      [0, 0, 0x8086, 0x2770],
      [0, 0xc0, 0x1022, 0x1200],
      [0xff, 0, 0x1022, 0x1200],
      [0, 0, 0x10de, 0x0369],
    ];
    for (const [bus, devfn, vendor, device] of probes) {
      const l = k.rawPciOps.read(k, 0, bus, devfn, PCI_VENDOR_ID, 4);
      if ((l & 0xffff) === vendor && l >>> 16 === device) {
        throw new GuestError('UNSUPPORTED', `MMCONFIG chipset probe for ${hex4(vendor)}:${hex4(device)} is not modelled`);
      }
    }
  }
  const acpi = acpiTables(k);
  if (!known && acpi) {
    // acpi_table_parse(MCFG, pci_parse_mcfg): nothing when acpi=off disabled the tables
    const m = acpi.mcfg.find((e) => e.segment === 0);
    if (m) {
      k.mmcfgBase = m.base;
      k.mmcfgStartBus = m.startBus;
      k.mmcfgEndBus = m.endBus;
      k.log.push(`PCI: MMCONFIG for domain 0000 [bus ${hex2(m.startBus)}-${hex2(m.endBus)}]`);
    }
  }
  if (k.mmcfgBase < 0) return;
  // pci_mmcfg_reject_broken(): 6.1 checks E820 only when type 1 works
  if (!k.rawPciOps || !isMmconfReserved(k)) {
    k.mmcfgBase = -1;
    return;
  }
  // pci_mmcfg_arch_init()
  k.rawPciExtOps = pciMmcfg;
  if (k.patch === 'mmconfig-v1' && kvmParaAvailable(k)) k.rawPciOps = pciMmcfg;
  // pci_mmcfg_early_init sets pcibios_last_bus from MCFG unless pci=lastbus= did
  if (k.pcibiosLastBus < 0) k.pcibiosLastBus = k.mmcfgEndBus;
  k.pciProbe = (k.pciProbe & ~PCI_PROBE_MASK) | PCI_PROBE_MMCONF;
}

/** is_mmconf_reserved(e820__mapped_all): the whole window must be E820-reserved (halving down to 16 MiB) */
export function isMmconfReserved(k: KernelState): boolean {
  const start = k.mmcfgBase;
  let size = (k.mmcfgEndBus - k.mmcfgStartBus + 1) * 2 ** 20;
  const old = size;
  while (!e820MappedAll(k, start, start + size, 2)) {
    size >>= 1;
    if (size < 16 * 2 ** 20) break;
  }
  if (size < 16 * 2 ** 20 && size !== old) return false;
  if (size !== old) k.mmcfgEndBus = k.mmcfgStartBus + size / 2 ** 20 - 1;
  return true;
}
