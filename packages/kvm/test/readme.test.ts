import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';

const README = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const EXAMPLE = readFileSync(new URL('./readme-example.ts', import.meta.url), 'utf8');

describe('README example', () => {
  afterEach(() => vi.restoreAllMocks());

  it('is test/readme-example.ts, importing @sim/kvm', () => {
    const block = /```ts\n([\s\S]*?)```/.exec(README)?.[1];
    expect(block).toBe(EXAMPLE.replace("'../src/index.js'", "'@sim/kvm'"));
  });

  it('runs and prints what its comments say', async () => {
    const lines: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => {
      lines.push(args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' '));
    });
    await import('./readme-example.js');
    expect(lines).toEqual([
      'memslots per VM: 32764',
      'EEXIST',
      'KVM_SET_USER_MEMORY_REGION: slot 2 [0x100000, 0x101000) overlaps slot 0 [0x0, 0x8000000): EEXIST',
      '29c08086',
      '-1',
      'ff',
      'ff',
      '{"KVM_EXIT_IO":2,"KVM_EXIT_MMIO":1,"inKernel":1,"noExit":1}',
      '1 59000',
    ]);
  });
});
