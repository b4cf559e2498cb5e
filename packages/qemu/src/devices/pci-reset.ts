/**
 * @module
 * A system reset as QEMU 7.2 applies it to a PCI function (`qemu_system_reset()` → the device's own
 * `DeviceClass::reset`, then the bus's `pcibus_reset()` → `pci_do_device_reset()`). The order is visible in
 * reference/pc-default: `piix3_reset()` stores COMMAND = 0x07, yet SeaBIOS reads `00:01.0 0x004/2 0x0`,
 * because `pci_do_device_reset()` runs after it and clears every writable COMMAND bit. Likewise the
 * cache-line size a model sets in realize (e1000: 0x10) reads 0 (`L conf1 r 00:03.0 0x00c/1 0x0`).
 *
 * (PciDevice has no reset hook yet; machines built here call {@link systemResetDevice} on each function.
 * Moving this into pci/device.ts as `PciDevice.reset()` would let every machine share it.)
 */
import type { PciDevice } from '../pci/device.js';
import * as R from '../pci/regs.js';

/** A device model with its own `DeviceClass::reset` handler. */
export interface HasDeviceReset {
  deviceReset(): void;
}

function hasDeviceReset(dev: PciDevice): dev is PciDevice & HasDeviceReset {
  return typeof (dev as Partial<HasDeviceReset>).deviceReset === 'function';
}

/** pci_do_device_reset(): what the PCI core clears on every function at reset. */
export function pciDoDeviceReset(dev: PciDevice): void {
  const c = dev.config;
  // Clear all writable bits of COMMAND and STATUS (wmask | w1cmask)
  const cmdMask = dev.getWord(R.PCI_COMMAND) & ~(wordOf(dev.wmask, R.PCI_COMMAND) | wordOf(dev.w1cmask, R.PCI_COMMAND));
  dev.setWord(R.PCI_COMMAND, cmdMask);
  const staMask = dev.getWord(R.PCI_STATUS) & ~(wordOf(dev.wmask, R.PCI_STATUS) | wordOf(dev.w1cmask, R.PCI_STATUS));
  dev.setWord(R.PCI_STATUS, staMask);
  // Some devices make bits of PCI_INTERRUPT_LINE read only
  c[R.PCI_INTERRUPT_LINE] = c[R.PCI_INTERRUPT_LINE]! & ~(dev.wmask[R.PCI_INTERRUPT_LINE]! | dev.w1cmask[R.PCI_INTERRUPT_LINE]!);
  c[R.PCI_CACHE_LINE_SIZE] = 0;
  // pci_reset_regions(): every registered BAR back to its type bits (a 64-bit one as a quad)
  for (let r = 0; r < R.PCI_NUM_REGIONS; r++) {
    const region = dev.regions[r];
    if (!region) continue;
    const off = dev.barOffset(r);
    dev.setLong(off, region.type);
    if ((region.type & R.PCI_BASE_ADDRESS_SPACE_IO) === 0 && (region.type & R.PCI_BASE_ADDRESS_MEM_TYPE_64) !== 0) {
      dev.setLong(off + 4, 0);
    }
  }
  // msi_reset(): QSIZE and ENABLE cleared, address/data zeroed
  if (dev.msiCap) {
    const pos = dev.msiCap;
    const flags = dev.getWord(pos + 2);
    dev.setWord(pos + 2, flags & ~(0x0070 | 0x0001));
    const is64 = (flags & 0x80) !== 0;
    dev.setLong(pos + 4, 0);
    if (is64) dev.setLong(pos + 8, 0);
    dev.setWord(pos + (is64 ? 0x0c : 0x08), 0);
  }
  // msix_reset(): ENABLE and MASKALL cleared
  if (dev.msixCap) c[dev.msixCap + 3] = c[dev.msixCap + 3]! & ~0xc0;
}

/** One function's share of `qemu_system_reset()`: its own reset handler, then the PCI core's. */
export function systemResetDevice(dev: PciDevice): void {
  if (hasDeviceReset(dev)) dev.deviceReset();
  pciDoDeviceReset(dev);
}

function wordOf(a: Uint8Array, off: number): number {
  return a[off]! | (a[off + 1]! << 8);
}
