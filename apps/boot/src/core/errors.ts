/**
 * @module
 * pcisim's own errors (as opposed to QEMU's, KVM's or the guest's): one line `pcisim: <message>` on stderr,
 * exit status 2 for a wrong command line, exit status 1 for bad input (a scenario file that cannot be read or
 * does not say what it must).
 */
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
