import type { AccessSize, VmOps } from '../src/index.js';

export interface OpRecord {
  kind: 'pioRead' | 'pioWrite' | 'mmioRead' | 'mmioWrite';
  addr: number;
  size: AccessSize;
  value?: number;
}

/** A VmOps that records every call and answers reads with all-ones (QEMU's "nothing there"). */
export class FakeOps implements VmOps {
  readonly calls: OpRecord[] = [];
  readValue = 0xffff_ffff;

  pioRead(port: number, size: AccessSize): number {
    this.calls.push({ kind: 'pioRead', addr: port, size });
    return this.readValue;
  }
  pioWrite(port: number, size: AccessSize, value: number): void {
    this.calls.push({ kind: 'pioWrite', addr: port, size, value });
  }
  mmioRead(gpa: number, size: AccessSize): number {
    this.calls.push({ kind: 'mmioRead', addr: gpa, size });
    return this.readValue;
  }
  mmioWrite(gpa: number, size: AccessSize, value: number): void {
    this.calls.push({ kind: 'mmioWrite', addr: gpa, size, value });
  }
}

export const MiB = 1024 * 1024;
export const GiB = 1024 * MiB;
