/**
 * @module
 * Where a command writes: stdout, stderr, and whether stderr is a terminal (tests pass strings, bin.ts the process's streams).
 */
export interface CliIo {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  /** stderr is a terminal (`pcisim sweep` draws its progress line there only then) */
  stderrIsTTY?: boolean;
}
