/**
 * @module
 * The PCIe chassis registry of hw/pci/pcie_port.c (pcie_chassis_add_slot(), pcie_chassis_del_slot()): the
 * (chassis, slot) pairs the machine's PCIe slots have taken. A port plugs in with one and fails with EBUSY on
 * a pair already taken.
 */

/** The (chassis, slot) pairs already taken (pcie_chassis_add_slot's global list). */
export class PcieChassisRegistry {
  private readonly slots = new Set<string>();
  /** pcie_chassis_add_slot(): 0 or -EBUSY */
  add(chassis: number, slot: number): number {
    const k = `${chassis}:${slot}`;
    if (this.slots.has(k)) return -16;
    this.slots.add(k);
    return 0;
  }
  del(chassis: number, slot: number): void {
    this.slots.delete(`${chassis}:${slot}`);
  }
}
