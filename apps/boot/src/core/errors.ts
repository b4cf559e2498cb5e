/**
 * @module
 * pcisim's own errors, and the option helpers that raise them (as opposed to QEMU's, KVM's or the guest's): `pcisim: <message>` on stderr, with the
 * usage text and exit status 2 for a wrong command line, exit status 1 for bad input (a scenario file that
 * cannot be read or does not say what it must).
 */
export class PcisimError extends Error {
  override readonly name = 'PcisimError';
  constructor(
    message: string,
    /** a wrong command line: print the usage, exit 2 */
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

/** Removes `name <value>` from `args` and returns the value (undefined when absent). */
export function takeOption(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  if (i < 0) return undefined;
  const v = args[i + 1];
  if (v === undefined) throw new UsageError(`${name} needs a value`);
  args.splice(i, 2);
  return v;
}

/** Removes the flag `name` from `args`; whether it was there. */
export function takeFlag(args: string[], name: string): boolean {
  const i = args.indexOf(name);
  if (i < 0) return false;
  args.splice(i, 1);
  return true;
}
