/**
 * @module
 * The one error class of @sim/kvm. Every failure carries the errno name the real ioctl would return, so a
 * caller (QEMU's model, apps/boot) can branch on `code` and print `message` as one line.
 */

/** The errno names @sim/kvm can return (a subset of what the real ioctls return). */
export type KvmErrorCode =
  | 'EINVAL'
  | 'EEXIST'
  | 'ENOSPC'
  | 'ENOMEM'
  | 'ENOENT'
  | 'EOPNOTSUPP'
  | 'E2BIG'
  | 'EFAULT'
  | 'EIO';

/**
 * A failed KVM operation. `message` is one sentence in KVM's terms ending in the errno name, e.g.
 * `KVM_SET_USER_MEMORY_REGION: slot 3 [0xb0000000, 0xc0000000) overlaps slot 1: EEXIST`.
 */
export class KvmError extends Error {
  override readonly name = 'KvmError';
  /** The errno name, stable across versions. */
  readonly code: KvmErrorCode;
  /** The operation that failed: an ioctl name (`KVM_SET_USER_MEMORY_REGION`), `KVM_RUN`, `cost profile`… */
  readonly op: string;

  constructor(code: KvmErrorCode, op: string, problem: string) {
    super(`${op}: ${problem}: ${code}`);
    this.code = code;
    this.op = op;
  }
}

/** `0x…` for addresses in messages. */
export function hex(n: number): string {
  return n < 0 ? `-0x${(-n).toString(16)}` : `0x${n.toString(16)}`;
}
