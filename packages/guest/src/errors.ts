/**
 * @module
 * The guest's one error class. A guest that meets hardware this model does not cover says so instead
 * of guessing (e.g. an AMD northbridge, a CRS completion).
 */
/**
 * `NEEDS_HOTPLUG_DRIVERS`: the boot binds a hot-plug driver (pciehp) whose interrupts and sleeps only the
 * hot-plug runtime models; boot with one attached (`@sim/boot`'s `bootScenario` does when `bindsPciehpAtBoot`).
 */
export type GuestErrorCode = 'BAD_CMDLINE' | 'UNSUPPORTED' | 'NO_CONFIG_ACCESS' | 'NEEDS_HOTPLUG_DRIVERS';

export class GuestError extends Error {
  override readonly name = 'GuestError';
  constructor(
    readonly code: GuestErrorCode,
    message: string,
  ) {
    super(message);
  }
}
