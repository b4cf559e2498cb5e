/**
 * @module
 * arch/x86/pci/direct.c: configuration mechanism #1 (ports 0xcf8/0xcfc) as `pci_direct_conf1`, the probe
 * of mechanisms #1 and #2 at pci_arch_init() and the sanity check of type 1.
 */
import { PCI_HAS_IO_ECS, PCI_NO_CHECKS, PCI_PROBE_CONF1, PCI_PROBE_CONF2, type PciRawOps } from '../include/asm/pci_x86.js';
import { kvmParaAvailable } from '../kernel/kvm.js';
import { bitsOf, mask, pvAbsent } from './common.js';
import { GuestError } from '../../../errors.js';
import { PCI_CLASS_DEVICE, PCI_VENDOR_ID } from '../../../include/uapi/linux/pci_regs.js';
import type { KernelState } from '../../../init/state.js';

/**
 * pci_conf1_read(). Dwords go to the CPU and come back as the int32 of their bytes (see {@link Cpu}), and
 * stay so up to raw_pci_read() (arch/x86/pci/common.ts): -1 is a dword of all-ones.
 */
export function pciConf1Read(k: KernelState, _domain: number, bus: number, devfn: number, reg: number, len: number): number {
  if (bus > 255 || devfn > 255 || reg > 4095) return -1;
  if (pvAbsent(k, bus, devfn)) return -1;
  k.cpu.outl(0xcf8, 0x80000000 | ((reg & 0xf00) << 16) | (bus << 16) | (devfn << 8) | (reg & 0xfc));
  const v = len === 1 ? k.cpu.inb(0xcfc + (reg & 3)) : len === 2 ? k.cpu.inw(0xcfc + (reg & 2)) : k.cpu.inl(0xcfc) | 0;
  // the register as the 0xcf8 latch carries it in bits 2-7 (reference/README.md); an extended register's bits
  // 8-11 ride in bits 24-27 (AMD IO ECS), which QEMU's host bridges ignore
  k.hook?.(0, 0, bus, devfn, reg & 0xff, len, v);
  return v;
}

/** pci_conf1_write() */
export function pciConf1Write(k: KernelState, _domain: number, bus: number, devfn: number, reg: number, len: number, value: number): void {
  if (bus > 255 || devfn > 255 || reg > 4095) return;
  if (pvAbsent(k, bus, devfn)) return;
  k.cpu.outl(0xcf8, 0x80000000 | ((reg & 0xf00) << 16) | (bus << 16) | (devfn << 8) | (reg & 0xfc));
  // a write is on record as it is issued (QEMU traces it before its handler runs): an interrupt the
  // handler raises is taken after it, and its handlers' accesses come after this one
  k.hook?.(0, 1, bus, devfn, reg & 0xff, len, bitsOf(value, len));
  if (len === 1) k.cpu.outb(0xcfc + (reg & 3), value & 0xff);
  else if (len === 2) k.cpu.outw(0xcfc + (reg & 2), value & 0xffff);
  else k.cpu.outl(0xcfc, value | 0);
}

/** pci_direct_probe() + pci_check_type1(); 0 means no direct access */
export function pciDirectProbe(k: KernelState): number {
  if (k.pciProbe & PCI_PROBE_CONF1) {
    // pci_check_type1(): port accesses only
    k.cpu.outb(0xcfb, 0x01);
    const tmp = k.cpu.inl(0xcf8);
    k.cpu.outl(0xcf8, 0x80000000);
    let works = false;
    if (k.cpu.inl(0xcf8) >>> 0 === 0x80000000) works = pciSanityCheck(k, pciDirectConf1);
    k.cpu.outl(0xcf8, tmp);
    if (works) {
      k.rawPciOps = pciDirectConf1;
      return 1;
    }
  }
  if (k.pciProbe & PCI_PROBE_CONF2) {
    // pci_check_type2(): port accesses only; a machine with no config ports reads back all-ones
    k.cpu.outb(0xcfb, 0x00);
    k.cpu.outb(0xcf8, 0x00);
    k.cpu.outb(0xcfa, 0x00);
    if (k.cpu.inb(0xcf8) === 0x00 && k.cpu.inb(0xcfa) === 0x00) {
      throw new GuestError('UNSUPPORTED', 'a type-2 configuration mechanism answered: conf2 is not modelled');
    }
  }
  return 0;
}

/** pci_sanity_check(): trusted without a look when the BIOS is from 2001 or later */
export function pciSanityCheck(k: KernelState, o: PciRawOps<KernelState>): boolean {
  if (k.pciProbe & PCI_NO_CHECKS) return true;
  if (dmiBiosYear(k.info.dmiBiosDate) >= 2001) return true;
  for (let devfn = 0; devfn < 0x100; devfn++) {
    const cls = mask(o.read(k, 0, 0, devfn, PCI_CLASS_DEVICE, 2), 2);
    if (cls === 0x0600 || cls === 0x0300) return true;
    const v = mask(o.read(k, 0, 0, devfn, PCI_VENDOR_ID, 2), 2);
    if (v === 0x8086 || v === 0x0e11) return true;
  }
  return false;
}

/** pci_direct_init() */
export function pciDirectInit(k: KernelState, type: number): void {
  if (type === 0) return;
  k.log.push(`PCI: Using configuration type ${type} for base access`);
  if (type === 1) {
    k.rawPciOps = k.patch === 'mmconfig-v1' && k.rawPciExtOps && kvmParaAvailable(k) ? k.rawPciExtOps : pciDirectConf1;
    // AMD family 10h and later (amd_bus.c pci_io_ecs_init()): conf1 for extended registers when MMCONFIG is not there
    if (k.rawPciExtOps || !(k.pciProbe & PCI_HAS_IO_ECS)) return;
    k.log.push('PCI: Using configuration type 1 for extended access');
    k.rawPciExtOps = pciDirectConf1;
  }
}

/** `struct pci_raw_ops pci_direct_conf1` */
export const pciDirectConf1: PciRawOps<KernelState> = { read: pciConf1Read, write: pciConf1Write };

/** dmi_get_bios_year(): the year of the DMI BIOS date, 0 when unknown */
function dmiBiosYear(date: string | null): number {
  if (!date) return 0;
  const m = /(\d{4})$/.exec(date.trim());
  return m ? Number(m[1]) : 0;
}
