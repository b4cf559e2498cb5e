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
  | 'UNSUPPORTED'
  | 'FIRMWARE_HANG';

export class QemuError extends Error {
  override readonly name = 'QemuError';
  constructor(
    readonly code: QemuErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The firmware stopped for good before the guest could start, where the real VM would simply hang: SeaBIOS's
 * `panic()` (src/output.c: the message on its debug console, then `irq_disable(); for (;;) hlt();`) or a loop
 * the firmware never leaves. QEMU itself neither prints nor exits, so there is no QEMU line to give: the
 * message (one line, starting "pcisim: ") says what the firmware printed and what the real VM then does.
 */
export class FirmwareHang extends QemuError {
  constructor(
    /** the firmware that hung */
    readonly firmware: 'SeaBIOS' | 'qboot',
    /** what it printed on its debug console before it stopped (without the newline), or null */
    readonly firmwareMessage: string | null,
    message: string,
  ) {
    super('FIRMWARE_HANG', message);
  }
}
