/**
 * @module
 * The recorder's one error class. `code` is stable (the CLI maps it to a message and exit status);
 * `line` names the offending line of the input file when there is one.
 */

export type RecordErrorCode =
  /** the input has no QEMU memory_region_ops trace lines, or starts with something else */
  | 'NOT_A_TRACE'
  /** the last trace line stops mid-way (QEMU killed while writing, copy cut short) */
  | 'TRUNCATED_TRACE'
  /** a memory_region_ops line in the middle of the trace does not parse */
  | 'BAD_TRACE_LINE'
  /** a line of an `.accesses.txt` file does not parse */
  | 'BAD_ACCESS_LINE'
  /** the recorder's options are unusable (a scenario passing its own -trace) */
  | 'BAD_ARGUMENTS'
  /** qemu-system-x86_64 not installed or not executable */
  | 'QEMU_NOT_FOUND'
  /** the reference kernel is not where the recorder looked */
  | 'KERNEL_NOT_FOUND'
  /** QEMU exited on its own before Linux panicked (bad arguments, crash) */
  | 'QEMU_FAILED'
  /** no kernel panic line within the time limit */
  | 'BOOT_TIMEOUT'
  /** Linux panicked, but not on the missing root file system */
  | 'UNEXPECTED_PANIC'
  /** a file the recorder reads or writes could not be opened */
  | 'IO_ERROR';

export class RecordError extends Error {
  override readonly name = 'RecordError';
  readonly code: RecordErrorCode;
  /** 1-based line number in `file`, when the error is about one line */
  readonly line: number | undefined;
  readonly file: string | undefined;

  constructor(code: RecordErrorCode, message: string, where?: { line?: number; file?: string; cause?: unknown }) {
    // The line goes into the message too: the CLI prints only `message`.
    const at = where?.file !== undefined ? `${where.file}${where.line !== undefined ? `:${where.line}` : ''}: ` : where?.line !== undefined ? `line ${where.line}: ` : '';
    super(`${at}${message}`, where?.cause !== undefined ? { cause: where.cause } : undefined);
    this.code = code;
    this.line = where?.line;
    this.file = where?.file;
  }
}
