import { PerformanceObserver, constants } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { prepareReplay } from '../../src/core/bench/replay.js';
import { bootVm } from '../../src/core/boot.js';
import { parseQemuArgs } from '../../src/core/scenario.js';

/** minor GCs while `work` runs (PerformanceObserver 'gc' entries, read once they are delivered) */
async function minorGcsDuring(work: () => void): Promise<number> {
  let minor = 0;
  const obs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      const detail = (e as unknown as { detail?: { kind?: number } }).detail;
      if (detail?.kind === constants.NODE_PERFORMANCE_GC_MINOR) minor++;
    }
  });
  obs.observe({ entryTypes: ['gc'] });
  work();
  await new Promise((res) => setTimeout(res, 50));
  obs.disconnect();
  return minor;
}

/**
 * A whole q35 boot's access path allocates nothing per access: the linux phase of `-M q35` (8,867 config
 * accesses: 8,820 conf1 for the first 256 bytes, 47 ECAM beyond) replayed instruction by instruction the way Linux
 * makes them (outl 0xcf8 + in/out 0xcfc.., or an MMIO read/write of the ECAM window) on the vCPU of a booted
 * machine — KVM's exit paths and in-kernel PIO bus, the coalesced 0xcf8 latch, QEMU's port/MMIO dispatch,
 * the host bridge (bus-number cache, observer), the device's config space. Run ~3.5 M times, it causes no
 * minor GC, where one small object per access would take ~100 MB and dozens of scavenges.
 *
 * Values are handed to the vCPU as the guest's bytes: a dword with bit 31 set (every 0xcf8 address) as the
 * int32 of those bytes, which the vCPU masks as the hardware does, as the guest model (Linux) and the
 * firmware do too (passed as an unsigned number ≥ 2^31, V8 boxes it in the caller's frame at every call it
 * does not inline: the second test holds the guest to it). ECAM gpas (0xb0000000 + …) likewise go as the int32
 * of their bits (@sim/kvm's `Gpa`), and the host bridge keeps a value read as an int32 until it leaves: the last
 * tests hold an MMCONFIG guest's own ECAM reads to it, to QEMU and answered in KVM.
 */
describe('q35 boot access path', () => {
  it('replays the linux phase without a minor GC', async () => {
    const { accesses: n, run: replay } = prepareReplay(['-M', 'q35']);
    expect(n).toBeGreaterThan(8000);

    let sink = 0;
    for (let r = 0; r < 60; r++) sink ^= replay(); // JIT warm-up
    const rounds = 400;
    const minor = await minorGcsDuring(() => {
      for (let r = 0; r < rounds; r++) sink ^= replay();
    });
    expect(sink).toBeTypeOf('number');
    expect(rounds * n).toBeGreaterThan(3_500_000);
    expect(minor).toBeLessThanOrEqual(1);
  }, 60_000);

  it("the guest's own conf1 reads (Linux → vCPU → QEMU) make no heap number per access", async () => {
    // pcibios_fixup_peer_bridges()' probe of an absent bus, by the guest model itself: pci_conf1_read()
    // passes PCI_CONF1_ADDRESS (bit 31 set) to outl as the int32 of its bytes. As an unsigned number it was
    // boxed at that call, 16 bytes per access: ~52 MB and several scavenges over these 3.2 M accesses.
    const booted = bootVm(parseQemuArgs(['-M', 'q35']), { runtime: {} });
    const linux = booted.live!.linux;
    const scan = (): number => {
      let x = 0;
      for (let bus = 1; bus < 255; bus++) for (let devfn = 0; devfn < 256; devfn += 8) x ^= linux.rawRead(bus, devfn, 0, 2);
      return x;
    };
    let sink = 0;
    for (let r = 0; r < 60; r++) sink ^= scan(); // JIT warm-up
    const rounds = 400;
    const minor = await minorGcsDuring(() => {
      for (let r = 0; r < rounds; r++) sink ^= scan();
    });
    expect(sink).toBe(0); // an absent function reads 0xffff, an even number of times per round
    expect(minor).toBeLessThanOrEqual(1);
  }, 60_000);

  for (const kvm of [[], ['mmio-bus'], ['pci-hole'], ['ro-page']] as const) {
    it(`an MMCONFIG guest's own ECAM reads make no heap number per access (KVM: ${kvm.join(',') || 'no mitigation'})`, async () => {
      // the same peer-bus probe through ECAM (the 2020 patches' MMCONFIG for everything): to QEMU as
      // KVM_EXIT_MMIO, or answered in KVM by the mmio-bus device, the PCI_HOLE slot or the 0xff page. Each gpa
      // is ≥ 0xb0000000; passed unsigned it was a heap number per access (16 B, ~25 scavenges here), and so was
      // the host bridge's 0xffffffff for an absent function
      const booted = bootVm(parseQemuArgs(['-M', 'q35']), { runtime: {}, guestPatch: 'mmconfig-v1', kvm: [...kvm] });
      const linux = booted.live!.linux;
      const scan = (): number => {
        let x = 0;
        for (let bus = 1; bus < 255; bus++) for (let devfn = 0; devfn < 256; devfn += 8) x ^= linux.rawRead(bus, devfn, 0, 2);
        return x;
      };
      const portExits = (): number => booted.live!.vm.stats.exits().KVM_EXIT_IO;
      const before = portExits();
      let sink = 0;
      for (let r = 0; r < 60; r++) sink ^= scan(); // JIT warm-up
      const minor = await minorGcsDuring(() => {
        for (let r = 0; r < 400; r++) sink ^= scan();
      });
      expect(sink).toBe(0);
      expect(portExits()).toBe(before); // the probe went through ECAM, not the ports
      expect(minor).toBeLessThanOrEqual(1);
    }, 60_000);
  }

  for (const [patch, kvm] of [[null, []], ['mmconfig-v1', []], ['mmconfig-v1', ['mmio-bus']], ['mmconfig-v1', ['pci-hole']], ['mmconfig-v1', ['ro-page']]] as const) {
    it(`the guest's vendor-ID probe of an empty slot makes no heap number (${patch ?? 'conf1'}, KVM: ${kvm.join(',') || 'no mitigation'})`, async () => {
      // pci_bus_generic_read_dev_vendor_id(): the dword at PCI_VENDOR_ID of every slot of every bus scanned;
      // an empty one reads 0xffffffff, from QEMU (conf1 or ECAM) or from KVM. It comes back as -1 all the
      // way to the scan (the vCPU, QEMU's host bridge and the guest's config primitives hand dwords over as
      // the int32 of their bytes); unsigned it was a heap number per probe (4-13 scavenges here)
      const booted = bootVm(parseQemuArgs(['-M', 'q35']), { runtime: {}, kvm: [...kvm], ...(patch ? { guestPatch: patch } : {}) });
      const linux = booted.live!.linux;
      const bus0 = linux.findBus(0)!;
      const empty: number[] = [];
      for (let devfn = 0; devfn < 256; devfn += 8) if (linux.readDevVendorId(bus0, devfn) === null) empty.push(devfn);
      expect(empty).toHaveLength(32 - 4); // 00.0 MCH, 01.0 VGA, 02.0 e1000e, 1f.x ICH9
      const probe = (rounds: number): number => {
        let absent = 0;
        for (let r = 0; r < rounds; r++) for (const devfn of empty) absent += linux.readDevVendorId(bus0, devfn) === null ? 1 : 0;
        return absent;
      };
      expect(probe(2000)).toBe(2000 * empty.length); // JIT warm-up
      let absent = 0;
      const minor = await minorGcsDuring(() => (absent = probe(100_000))); // 2.8 M probes
      expect(absent).toBe(100_000 * empty.length);
      expect(minor).toBeLessThanOrEqual(1);
    }, 60_000);
  }
});
