/**
 * @module
 * arch/x86/include/asm/pci_x86.h: the `pci_probe` flags (which configuration mechanisms to try, set by
 * `pci=`) and `struct pci_raw_ops`, the configuration mechanism behind raw_pci_ops / raw_pci_ext_ops.
 */
export const PCI_PROBE_BIOS = 0x1;
export const PCI_PROBE_CONF1 = 0x2;
export const PCI_PROBE_CONF2 = 0x4;
export const PCI_PROBE_MMCONF = 0x8;
export const PCI_PROBE_MASK = 0xf;
export const PCI_PROBE_NOEARLY = 0x10;
export const PCI_NO_CHECKS = 0x400;
/** set by amd_bus.c pci_io_ecs_init() on AMD family 10h and later: conf1 reaches extended config space */
export const PCI_HAS_IO_ECS = 0x40000;

/**
 * `struct pci_raw_ops`: pci_direct_conf1 (arch/x86/pci/direct.c) or pci_mmcfg (mmconfig_64.c). A read
 * returns the bits of the access (a dword as the int32 of its bytes, -1 for all-ones: see
 * arch/x86/pci/common.ts), so that the probe of an absent function allocates nothing. `K` is the kernel
 * state (src/init/state.ts), a parameter so that this header imports nothing.
 */
export interface PciRawOps<K> {
  read(k: K, domain: number, bus: number, devfn: number, reg: number, len: number): number;
  write(k: K, domain: number, bus: number, devfn: number, reg: number, len: number, value: number): void;
}
