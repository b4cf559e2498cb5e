/**
 * @module
 * include/linux/msi.h: struct msi_desc, as far as the MSI capability's set-up needs it.
 */

/** struct msi_desc of an MSI capability, as msi_setup_msi_desc() fills it */
export interface MsiDesc {
  is64: boolean;
  canMask: boolean;
  maskPos: number;
  /** msi_mask: the mask bits as last written */
  mask: number;
  multiCap: number;
  /** log2 of the vectors used */
  multiple: number;
  /** the vector the message carries */
  vector: number;
  /** reservation mode: the real vector is assigned at request_irq() */
  reserved: boolean;
}
