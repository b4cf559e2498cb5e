/**
 * @module
 * arch/x86/kernel/apic/vector.c and kernel/irq/matrix.c on the boot CPU: the vectors device interrupts get.
 * irq_matrix_alloc() hands out the lowest free vector from FIRST_EXTERNAL_VECTOR up; the system vectors sit
 * above FIRST_SYSTEM_VECTOR. lapic_assign_system_vectors() takes IRQ_MOVE_CLEANUP_VECTOR (0x20) and the legacy
 * ISA vectors; once the IO-APIC owns the legacy IRQs, vector_configure_legacy() gives back every ISA vector
 * but the activated timer's (IRQ 0, 0x30) and the cascade's (IRQ 2), so a legacy IRQ requested later (the
 * ACPI SCI) takes a vector from the bottom like any other.
 */

export const FIRST_EXTERNAL_VECTOR = 0x20;
/** IRQ_MOVE_CLEANUP_VECTOR */
const IRQ_MOVE_CLEANUP_VECTOR = FIRST_EXTERNAL_VECTOR;
/** ISA_IRQ_VECTOR(irq) */
const ISA_IRQ_VECTOR = (irq: number): number => 0x30 + irq;
/** LOCAL_TIMER_VECTOR: the first system vector on x86-64 */
const FIRST_SYSTEM_VECTOR = 0xec;
/** the vector a reservation-mode interrupt points at until it is requested */
export const MANAGED_IRQ_SHUTDOWN_VECTOR = 0xef;

/** The boot CPU's vector allocations. */
export class VectorMatrix {
  private readonly used = new Set<number>([IRQ_MOVE_CLEANUP_VECTOR, ISA_IRQ_VECTOR(0), ISA_IRQ_VECTOR(2)]);

  /** irq_matrix_alloc() on the boot CPU: the lowest free vector */
  alloc(): number {
    for (let v = FIRST_EXTERNAL_VECTOR; v < FIRST_SYSTEM_VECTOR; v++) {
      if (!this.used.has(v)) {
        this.used.add(v);
        return v;
      }
    }
    throw new RangeError('no free interrupt vector');
  }

  /** irq_matrix_free() */
  free(v: number): void {
    this.used.delete(v);
  }
}

/** __irq_msi_compose_msg(): flat logical destination mode, the boot CPU (logical ID 1) */
export const MSI_ADDR_BOOT_CPU = 0xfee00000 | (1 << 12) | 0x4;
