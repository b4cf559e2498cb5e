/**
 * @module
 * drivers/pci/pcie/aer.c: pci_aer_init() as each device is added (with _OSC's AER grant) and the AER service's
 * probe of a root port.
 */
import { pciReadConfig, pciWriteConfig, pcieCapabilityClearAndSetWord, pcieCapabilityRead, pcieCapabilityRegImplemented } from '../access.js';
import { pciWalkBus } from '../bus.js';
import { requestIrq } from '../msi.js';
import { type PciDev, pciFindHostBridge, pcieType } from '../../../include/linux/pci.js';
import { PCI_EXP_DEVCTL, PCI_EXP_RTCTL, PCI_EXP_TYPE_DOWNSTREAM, PCI_EXP_TYPE_RC_EC, PCI_EXP_TYPE_ROOT_PORT, PCI_EXP_TYPE_UPSTREAM } from '../../../include/uapi/linux/pci_regs.js';
import type { KernelState } from '../../../init/state.js';
import type { IrqReturn } from '../../../include/linux/sched.js';
import { GuestError } from '../../../errors.js';

/** AER_ERR_STATUS_MASK: PCI_ERR_ROOT_{COR,MULTI_COR,UNCOR,MULTI_UNCOR}_RCV */
const AER_ERR_STATUS_MASK = 0x0f;
/** PCI_ERR_ROOT_STATUS */
const PCI_ERR_ROOT_STATUS = 0x30;

/** drivers/pci/pcie/aer.c aer_probe() -> aer_enable_rootport() */
export function aerProbe(k: KernelState, port: PciDev): void {
  requestIrq(k, port); // devm_request_threaded_irq(dev->irq, aer_irq, aer_isr, IRQF_SHARED, "aerdrv")
  k.hp?.requestPortServiceIrq(port, 'aerdrv', () => aerIrq(k, port));
  const devsta = pcieCapabilityRead(k, port, 0x0a, 2);
  if (pcieCapabilityRegImplemented(k, port, 0x0a)) pciWriteConfig(k, port, port.pcieCap + 0x0a, 2, devsta);
  pcieCapabilityClearAndSetWord(k, port, PCI_EXP_RTCTL, 0x7, 0); // SYSTEM_ERROR_INTR_ON_MESG_MASK
  const aer = port.aerCap;
  for (const off of [0x30, 0x10, 0x04]) {
    const v = pciReadConfig(k, port, aer + off, 4);
    pciWriteConfig(k, port, aer + off, 4, v);
  }
  // set_downstream_devices_error_reporting(port, true): the ports in the hierarchy turn error reporting on
  setDeviceErrorReporting(k, port);
  if (port.subordinate) for (const d of pciWalkBus(k, port.subordinate)) setDeviceErrorReporting(k, d);
  const cmd = pciReadConfig(k, port, aer + 0x2c, 4);
  pciWriteConfig(k, port, aer + 0x2c, 4, cmd | 0x7); // ROOT_PORT_INTR_ON_MESG_MASK
}

/** set_device_error_reporting(dev, true) */
export function setDeviceErrorReporting(k: KernelState, dev: PciDev): void {
  const t = dev.pcieCap ? pcieType(dev) : -1;
  if (t === PCI_EXP_TYPE_ROOT_PORT || t === PCI_EXP_TYPE_RC_EC || t === PCI_EXP_TYPE_UPSTREAM || t === PCI_EXP_TYPE_DOWNSTREAM) {
    if (pciFindHostBridge(dev.bus).aer) pcieCapabilityClearAndSetWord(k, dev, PCI_EXP_DEVCTL, 0, 0x0f); // pci_enable_pcie_error_reporting()
  }
}

/**
 * drivers/pci/pcie/aer.c aer_irq(): the hard handler on the port's shared vector reads the Root Error
 * Status; with no error message received the interrupt is not its own (IRQ_NONE)
 */
export function aerIrq(k: KernelState, port: PciDev): IrqReturn {
  const status = pciReadConfig(k, port, port.aerCap + PCI_ERR_ROOT_STATUS, 4);
  if (!(status & AER_ERR_STATUS_MASK)) return 'NONE';
  throw new GuestError('UNSUPPORTED', 'an error message at a root port (aer_irq() -> aer_isr()) is not modelled');
}
