/**
 * @module
 * Numbers as the reports print them.
 */

/**
 * `x.toLocaleString('en-US')` ("8,867") without ICU for an integer: the first `Intl` use costs ~20 ms in a
 * cold process, a tenth of `pcisim boot -M q35`. Anything else goes to `toLocaleString` as before.
 */
export function groupThousands(x: number): string {
  if (!Number.isSafeInteger(x)) return x.toLocaleString('en-US');
  const digits = String(Math.abs(x));
  let out = '';
  for (let i = 0; i < digits.length; i++) {
    if (i > 0 && (digits.length - i) % 3 === 0) out += ',';
    out += digits[i];
  }
  return x < 0 ? `-${out}` : out;
}
