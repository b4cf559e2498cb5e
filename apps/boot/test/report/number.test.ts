import { describe, expect, it } from 'vitest';
import { groupThousands } from '../../src/formats/number.js';

describe('groupThousands', () => {
  it("prints integers as toLocaleString('en-US') does, without ICU", () => {
    const values = [0, 7, 42, 999, 1000, 8867, 10_000, 115_908, 999_999, 1_000_000, 3_632_800, -1, -1234, -999_999_999, 2 ** 53 - 1];
    for (let x = 1; x < 1e15; x = x * 7 + 3) values.push(x, -x);
    for (const x of values) expect(groupThousands(x)).toBe(x.toLocaleString('en-US'));
    expect(groupThousands(8867)).toBe('8,867');
  });

  it('leaves what is not a safe integer to toLocaleString', () => {
    for (const x of [1.5, 0.125, -2.75, 2 ** 60, Number.NaN, Infinity]) expect(groupThousands(x)).toBe(x.toLocaleString('en-US'));
  });
});
