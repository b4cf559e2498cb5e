/**
 * @module
 * The guest CPU time the run-time charges besides exits and sleeps (the simulator's cost profile of the
 * kernel's own code paths: interrupt entry, wake-ups, printk, the ACPI GPE path).
 */

/** Guest CPU time the model charges besides exits (ns). All default to 0: only exits and sleeps cost. */
export interface GuestCpuCosts {
  /** entering an interrupt handler (IDT entry, irq_enter, the flow handler) */
  readonly irqEntry: number;
  /** a task that was woken starts running (the scheduler's switch) */
  readonly wakeup: number;
  /** printk() formatting and storing one record, before any console output */
  readonly printk: number;
  /**
   * ACPI GPE path: from the SCI to the first register access of the `_Exx` method (acpi_irq(),
   * acpi_ev_gpe_detect(), the dispatch, kacpid picking the work up, ACPICA entering the method and
   * Acquire(BLCK)), besides the GPE register exits, which are charged as accesses.
   */
  readonly acpiSciToMethod?: number;
  /** AML: one call of QEMU's DVNT(PCIU/PCID) method, besides its per-slot tests */
  readonly amlDvntCall?: number;
  /** AML: one `If (And (Arg0, 1 << slot))` of DVNT, per slot the DSDT describes on the bus */
  readonly amlDvntSlot?: number;
  /** AML: a Notify() queued by DVNT (acpi_ev_queue_notify_request()) */
  readonly amlNotify?: number;
  /**
   * From `_E01`'s return to the first config access of acpiphp's slot scan: the kacpi_notify and
   * kacpi_hotplug hand-offs, acpi_bus_scan() of the slot's namespace object, hotplug_event()
   */
  readonly acpiNotifyToScan?: number;
  /**
   * Once per boot, the first ACPI hot-plug event: guest code that runs for the first time since boot
   * (TCG translates it into its code cache) — 0 under KVM
   */
  readonly firstAcpiHotplugEvent?: number;
}

export const ZERO_GUEST_CPU_COSTS: GuestCpuCosts = Object.freeze({ irqEntry: 0, wakeup: 0, printk: 0 });

/**
 * Linux 6.1 (Debian generic) under QEMU 7.2 TCG: the guest CPU time of the ACPI hot-plug path, measured with
 * `scripts/record-acpi-hotplug.mjs` on this project's machines (QEMU's trace points, host timestamps; the
 * recording is reference/hotplug/acpi-timing.json, 24 boots, 48 device_adds, and
 * apps/boot/src/record/acpi-hotplug-costs.ts derives each number from it: the median of one span, the
 * accesses the model charges itself taken out). irqEntry, wakeup and printk are not measured (0).
 */
export const TCG_REFERENCE_GUEST_CPU_COSTS: GuestCpuCosts = Object.freeze({
  irqEntry: 0,
  wakeup: 0,
  printk: 0,
  acpiSciToMethod: 1_096_000,
  amlDvntCall: 32_710,
  amlDvntSlot: 18_790,
  amlNotify: 17_000,
  acpiNotifyToScan: 538_500,
  firstAcpiHotplugEvent: 1_665_000,
});

