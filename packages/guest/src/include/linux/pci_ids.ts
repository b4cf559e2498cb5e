/**
 * @module
 * include/linux/pci_ids.h: the class codes (base class << 8 | subclass) the PCI core tests.
 */
export const PCI_CLASS_STORAGE_IDE = 0x0101;
export const PCI_CLASS_DISPLAY_VGA = 0x0300;
export const PCI_CLASS_BRIDGE_HOST = 0x0600;
export const PCI_CLASS_BRIDGE_PCI = 0x0604;
export const PCI_CLASS_BRIDGE_CARDBUS = 0x0607;
