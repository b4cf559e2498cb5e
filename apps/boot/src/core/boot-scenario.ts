/**
 * @module
 * The one boot entry of `pcisim` (boot, compare, report, topology, sweep, validate, bench): a boot of the
 * scenario, with the guest's hot-plug drivers in place when the topology binds one at boot. Which it does is
 * decided from the machine before booting, as Linux 6.1's get_port_device_capability() will: a PCIe port whose
 * slot has a hot-plug controller, on a host bridge whose _OSC grants native PCIe hot-plug (or `pcie_ports=native`),
 * gets pciehp at boot, and only the hot-plug runtime models pciehp's interrupts and sleeps.
 */
import { qemuInitMachine, type Machine } from '@sim/qemu';
import { bootVm, type BootOptions, type BootResult } from './boot.js';
import { runHotplugScenario } from './hotplug.js';
import type { Scenario } from './scenario.js';

// PCIe capability registers (include/uapi/linux/pci_regs.h)
const PCI_HEADER_TYPE = 0x0e;
const PCI_EXP_FLAGS = 0x02;
const PCI_EXP_FLAGS_SLOT = 0x0100;
const PCI_EXP_SLTCAP = 0x14;
const PCI_EXP_SLTCAP_HPC = 0x40;
const PCI_EXP_TYPE_ROOT_PORT = 0x4;
const PCI_EXP_TYPE_DOWNSTREAM = 0x6;
/** _OSC control bit 0 (OSC_PCI_EXPRESS_NATIVE_HP_CONTROL) */
const OSC_PCI_EXPRESS_NATIVE_HP_CONTROL = 0x1;

/** Boots the scenario; with the hot-plug drivers when the guest binds pciehp at boot ({@link bindsPciehpAtBoot}). */
export function bootScenario(s: Scenario, opts: BootOptions = {}): BootResult {
  if (!bindsPciehpAtBoot(s)) return bootVm(s, opts);
  return runHotplugScenario(s, [], opts).boot;
}

/**
 * Whether Linux binds pciehp while booting this scenario: pcie_port_device_register() gives a port the
 * hot-plug service when its slot has a hot-plug controller (set_pcie_hotplug_bridge()) and native hot-plug is
 * the OS's (_OSC, or `pcie_ports=native`). Realizes the machine only when native hot-plug can be granted and a
 * -device could add a port: every other boot pays a few comparisons.
 */
export function bindsPciehpAtBoot(s: Scenario): boolean {
  const pcieNative = /(^|\s)pcie_ports=native(\s|$)/.test(s.append);
  // q35 grants native hot-plug only with ACPI PCI hot-plug off; microvm's gpex always; pc has no _OSC
  // (a pxb-pcie's own host bridge always grants it: build_q35_osc_method(true))
  const mayGrant =
    pcieNative ||
    s.machine === 'microvm' ||
    (s.machine === 'q35' && (!s.acpiPciHotplugWithBridgeSupport || s.qemuArgs.some((a) => a.includes('pxb-pcie'))));
  if (!mayGrant || !s.qemuArgs.includes('-device')) return false;
  const machine = qemuInitMachine(s);
  if (!pcieNative && !machine.bootInfo(s.append).acpi?.hostBridges.some((hb) => ((hb.osc?.grantMask ?? 0) & OSC_PCI_EXPRESS_NATIVE_HP_CONTROL) !== 0)) return false;
  return hasHotplugPort(machine);
}

/** a root or downstream port whose slot has a hot-plug controller (PCI_EXP_SLTCAP_HPC) */
function hasHotplugPort(machine: Machine): boolean {
  for (const { dev } of machine.functions()) {
    const exp = dev.expCap;
    if (!exp || (dev.getByte(PCI_HEADER_TYPE) & 0x7f) !== 1) continue;
    const flags = dev.getWord(exp + PCI_EXP_FLAGS);
    const type = (flags >> 4) & 0xf;
    if (type !== PCI_EXP_TYPE_ROOT_PORT && type !== PCI_EXP_TYPE_DOWNSTREAM) continue;
    if (flags & PCI_EXP_FLAGS_SLOT && dev.getLong(exp + PCI_EXP_SLTCAP) & PCI_EXP_SLTCAP_HPC) return true;
  }
  return false;
}
