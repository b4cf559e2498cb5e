/**
 * @module
 * pcisim's own errors (as opposed to QEMU's, KVM's or the guest's): one line `pcisim: <message>` on stderr,
 * exit status 2 for a wrong command line, exit status 1 for bad input (a scenario file that cannot be read or
 * does not say what it must).
 */
import { QemuError } from '@sim/qemu';
import { KvmError } from '@sim/kvm';
import { GuestError } from '@sim/guest';
import { RecordError } from '../record/errors.js';

/** One of pcisim's own errors: `pcisim: <message>`, exit 2 when {@link PcisimError.usage}, else 1. */
export class PcisimError extends Error {
  override readonly name = 'PcisimError';
  constructor(
    message: string,
    /** a wrong command line: exit 2 */
    readonly usage = false,
  ) {
    super(message);
  }
}

/** A wrong command line (unknown option, missing value). */
export class UsageError extends PcisimError {
  constructor(message: string) {
    super(message, true);
  }
}

/**
 * The one line and exit status for an error raised by a layer (pcisim, QEMU, KVM, the guest, the recorder),
 * each in the style of the tool that would raise it; null for anything else (a bug: the caller rethrows it).
 */
export function errorLine(e: unknown): { line: string; status: number } | null {
  if (e instanceof PcisimError) return { line: `pcisim: ${e.message}`, status: e.usage ? 2 : 1 };
  // what QEMU would say carries its name; what the simulator does not model says "pcisim:" alone
  if (e instanceof QemuError) return { line: e.message.startsWith('pcisim: ') ? e.message : `qemu-system-x86_64: ${e.message}`, status: 1 };
  if (e instanceof KvmError) return { line: `kvm: ${e.message}`, status: 1 };
  if (e instanceof GuestError) return { line: `linux: ${e.message}`, status: 1 };
  if (e instanceof RecordError) return { line: `pcisim: ${e.message}`, status: e.code === 'BAD_ARGUMENTS' ? 2 : 1 };
  return null;
}
