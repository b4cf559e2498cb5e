import { PerformanceObserver, constants } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { prepareReplay } from '../../src/bench/replay.js';

/**
 * A whole q35 boot's access path allocates nothing per access: the linux phase of `-M q35` (8,867 config
 * accesses: conf1 for the first 256 bytes, ECAM beyond) replayed instruction by instruction the way Linux
 * makes them (outl 0xcf8 + in/out 0xcfc.., or an MMIO read/write of the ECAM window) on the vCPU of a booted
 * machine — KVM's exit paths and in-kernel PIO bus, the coalesced 0xcf8 latch, QEMU's port/MMIO dispatch,
 * the host bridge (bus-number cache, observer), the device's config space. Run ~3.5 M times, it causes no
 * minor GC, where one small object per access would take ~100 MB and dozens of scavenges.
 *
 * Values are handed to the vCPU as the guest's bytes: a dword with bit 31 set (every 0xcf8 address) as the
 * int32 of those bytes, which the vCPU masks as the hardware does. (Passed as an unsigned number ≥ 2^31,
 * V8 boxes it in the *caller's* frame when the call is not inlined; that is the guest's representation, not
 * an object the path creates.) The ECAM addresses (0xb0000000 + …) are real gpas.
 */
describe('q35 boot access path', () => {
  it('replays the linux phase without a minor GC', async () => {
    const { accesses: n, run: replay } = prepareReplay(['-M', 'q35']);
    expect(n).toBeGreaterThan(8000);

    let sink = 0;
    for (let r = 0; r < 60; r++) sink ^= replay(); // JIT warm-up
    let minor = 0;
    const obs = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) {
        const detail = (e as unknown as { detail?: { kind?: number } }).detail;
        if (detail?.kind === constants.NODE_PERFORMANCE_GC_MINOR) minor++;
      }
    });
    obs.observe({ entryTypes: ['gc'] });
    const rounds = 400;
    for (let r = 0; r < rounds; r++) sink ^= replay();
    await new Promise((res) => setTimeout(res, 50));
    obs.disconnect();
    expect(sink).toBeTypeOf('number');
    expect(rounds * n).toBeGreaterThan(3_500_000);
    expect(minor).toBeLessThanOrEqual(1);
  }, 60_000);
});
