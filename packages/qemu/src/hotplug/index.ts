/**
 * @module
 * QEMU's run-time PCI hot-plug: the controllers (ACPI PCI hot-plug + GPE, native PCIe slots, SHPC) and
 * the monitor's device_add/device_del.
 */
export { QemuHotplug, fmtBdf, type HotplugHandlerKind, type QemuHotplugOptions, type DeviceAddResult, type QmpEvent } from './controllers.js';
export {
  AcpiPciHp,
  ACPI_PCIHP_ADDR_ICH9,
  ACPI_PCIHP_SIZE,
  ICH9_PMIO_GPE0_STS,
  ICH9_PMIO_GPE0_LEN,
  ICH9_SCI_IRQ,
  type PcihpBus,
} from '../hw/acpi/pcihp.js';
export { parseQmpCommand, executeQmp, deviceAddArg, TCG_DEVICE_ADD_TO_PLUG_NS, type QmpCommand, type QmpReply, type QmpOutcome } from './qmp.js';
