/**
 * @module
 * QEMU's errors. The message is QEMU's own text (what `qemu-system-x86_64` prints after its program name),
 * so a user sees the same words the real tool would give; `code` is stable for programs.
 */

export type QemuErrorCode =
  | 'UNKNOWN_MACHINE'
  | 'UNKNOWN_DEVICE'
  | 'UNKNOWN_PROPERTY'
  | 'BAD_PROPERTY_VALUE'
  | 'BUS_NOT_FOUND'
  | 'SLOT_IN_USE'
  | 'NOT_MULTIFUNCTION'
  | 'DUPLICATE_ID'
  | 'DUPLICATE_CHASSIS_SLOT'
  | 'MISSING_BACKEND'
  | 'BAD_OPTION'
  | 'UNKNOWN_OPTION'
  | 'DEVICE_NOT_FOUND'
  | 'BUS_NO_HOTPLUG'
  | 'HOTPLUG_FAILED'
  | 'UNSUPPORTED';

export class QemuError extends Error {
  override readonly name = 'QemuError';
  constructor(
    readonly code: QemuErrorCode,
    message: string,
  ) {
    super(message);
  }
}
