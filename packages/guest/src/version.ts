/**
 * @module
 * Which Linux the model is: its release (LINUX_VERSION_CODE) and its build (the flavour: Debian's `cloud` or
 * `generic` image, which differ in CONFIG_ options), in one place of the kernel state (`k.version`).
 *
 * Where the kernel changed, the model tests the change, not a version number, so that the test reads as the
 * commit it follows and a later kernel picks it up by its release alone:
 *
 * ```ts
 * // the commit's subject and the first release that has it
 * export const PCI_SAVE_STATE_ON_ADD = change('PCI: Save state of devices on pci_device_add()', 6, 12);
 * ...
 * if (since(k, PCI_SAVE_STATE_ON_ADD)) pciSaveState(k, dev);
 * ```
 *
 * A build option is tested with {@link config} (`if (config(k, 'HOTPLUG_PCI_SHPC'))`), as the kernel's
 * `IS_ENABLED(CONFIG_...)`. Only Linux 6.1 is modelled so far; the gates are written where a newer kernel differs.
 */

/**
 * The guest kernel build. Debian's `linux-image-6.1.0-*-cloud-amd64` has no SHPC driver
 * (`# CONFIG_HOTPLUG_PCI_SHPC is not set`); the generic `-amd64` image has it built in.
 */
export type KernelFlavour = 'linux-6.1-cloud' | 'linux-6.1-generic';
export const KERNEL_FLAVOURS: readonly KernelFlavour[] = ['linux-6.1-cloud', 'linux-6.1-generic'];

/**
 * The CONFIG_ options the model tests. X86_MPPARSE (the MP-table parser) is unset in Debian's cloud config
 * (config-6.1.0-56-cloud-amd64: `# CONFIG_X86_MPPARSE is not set`), and is taken as unset in the generic build too.
 */
export type KernelConfigOption = 'HOTPLUG_PCI_SHPC' | 'X86_MPPARSE';

export interface KernelVersion {
  readonly flavour: KernelFlavour;
  /** the release, as `uname -r` starts: "6.1.192" */
  readonly release: string;
  /** LINUX_VERSION_CODE: KERNEL_VERSION(major, minor, patch) */
  readonly code: number;
  readonly config: ReadonlySet<KernelConfigOption>;
}

/** KERNEL_VERSION(a, b, c) (include/generated/uapi/linux/version.h): the sublevel saturates at 255 */
export function kernelVersion(major: number, minor: number, sublevel = 0): number {
  return major * 65536 + minor * 256 + Math.min(sublevel, 255);
}

/** An upstream change a gate follows: the commit's subject and the first release that carries it. */
export interface KernelChange {
  readonly subject: string;
  readonly code: number;
}

export function change(subject: string, major: number, minor: number, sublevel = 0): KernelChange {
  return { subject, code: kernelVersion(major, minor, sublevel) };
}

/** Does this kernel carry the change? */
export function since(k: { readonly version: KernelVersion }, c: KernelChange): boolean {
  return k.version.code >= c.code;
}

/** IS_ENABLED(CONFIG_<option>) of this build */
export function config(k: { readonly version: KernelVersion }, option: KernelConfigOption): boolean {
  return k.version.config.has(option);
}

/** The builds the recordings ran: Debian's 6.1.192, cloud and generic. */
const BUILDS: Readonly<Record<KernelFlavour, KernelVersion>> = {
  'linux-6.1-cloud': { flavour: 'linux-6.1-cloud', release: '6.1.192', code: kernelVersion(6, 1, 192), config: new Set() },
  'linux-6.1-generic': { flavour: 'linux-6.1-generic', release: '6.1.192', code: kernelVersion(6, 1, 192), config: new Set(['HOTPLUG_PCI_SHPC']) },
};

/** the build of a flavour */
export function kernelBuild(flavour: KernelFlavour): KernelVersion {
  return BUILDS[flavour];
}
