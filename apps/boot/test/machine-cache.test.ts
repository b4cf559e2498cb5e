import { describe, expect, it } from 'vitest';
import { bootScenario } from '../src/core/boot-scenario.js';
import { bootVm, type BootOptions, type BootResult } from '../src/core/boot.js';
import { MachineCache } from '../src/core/machine-cache.js';
import { parseQemuArgs, type Scenario } from '../src/core/scenario.js';

/** every machine type, bridge kind and hot-plug controller the cache must bring back */
const TOPOLOGIES: Record<string, string[]> = {
  'q35 default': ['-M', 'q35'],
  'q35 root ports, SHPC bridge behind a PCIe-PCI bridge': [
    '-M', 'q35',
    '-device', 'pcie-root-port,id=rp1,chassis=1,addr=3.0,multifunction=on',
    '-device', 'pcie-root-port,id=rp2,chassis=2,addr=3.1',
    '-device', 'virtio-net-pci,bus=rp1',
    '-device', 'pcie-pci-bridge,id=ppb',
    '-device', 'pci-bridge,id=br1,bus=ppb,chassis_nr=3,addr=1.0',
    '-device', 'virtio-rng-pci,bus=br1,addr=2.0',
  ],
  'q35 -nodefaults, an e1000 and a multi-queue virtio-net': [
    '-M', 'q35', '-nodefaults',
    '-device', 'pcie-root-port,id=rp1,chassis=1',
    '-device', 'virtio-scsi-pci,bus=rp1',
    '-device', 'e1000,addr=5.0',
    '-netdev', 'user,id=n0', '-device', 'virtio-net-pci,netdev=n0,mq=on,vectors=10',
  ],
  'pc with a pci-bridge': ['-M', 'pc', '-device', 'pci-bridge,id=br1,chassis_nr=1', '-device', 'virtio-blk-pci,bus=br1,addr=3.0,drive=d0', '-drive', 'if=none,id=d0,file=null-co://'],
  'microvm with ECAM': ['-M', 'microvm,pcie=on', '-device', 'virtio-net-pci'],
};

/** what a boot reports: everything but the live objects */
function outcome(r: BootResult): unknown {
  return {
    report: r.report,
    found: r.found,
    log: r.log,
    kvmStats: r.kvmStats,
    footprint: r.footprint,
    inKernelTimeNs: r.inKernelTimeNs,
    qemuSawLinuxAccesses: r.qemuSawLinuxAccesses,
  };
}

function scenario(args: string[], append = ''): Scenario {
  const s = parseQemuArgs(args);
  s.append = append;
  return s;
}

/** a boot that leaves as much behind as it can: the MMCONFIG guest, ECAM holes, pio-fast, another command line */
const DIRTY: BootOptions = { guestPatch: 'mmconfig-v1', kvm: ['ro-page-2m', 'pio-fast'] };
const TARGETS: [string, BootOptions][] = [
  ['a stock guest with KVM_MEM_PCI_HOLE', { kvm: ['pci-hole'] }],
  ['the enlightened guest on the mmio-bus', { kvm: ['mmio-bus'], pvEnumeration: true }],
];

describe('MachineCache', () => {
  for (const [name, args] of Object.entries(TOPOLOGIES)) {
    it(`restored machines and VMs boot as new ones: ${name}`, () => {
      const dirty = (): Scenario => scenario(args, 'pci=lastbus=3');
      const dirtyFresh = outcome(bootScenario(dirty(), DIRTY));
      for (const [, target] of TARGETS) {
        const fresh = outcome(bootScenario(scenario(args), target));
        const cache = new MachineCache();
        bootScenario(dirty(), { ...DIRTY, machines: cache });
        // the machine restored to its state after realize, then powered on anew (other KVM mitigations)
        const a = bootScenario(scenario(args), { ...target, machines: cache });
        // both VMs restored at the kernel's entry, after the other ran on their shared machine
        const b = bootScenario(dirty(), { ...DIRTY, machines: cache });
        const c = bootScenario(scenario(args), { ...target, machines: cache });
        expect(cache.stats).toEqual({ built: 1, reused: 1, poweredOn: 2, restored: 2, refused: 0 });
        expect(outcome(a)).toEqual(fresh);
        expect(outcome(b)).toEqual(dirtyFresh);
        expect(outcome(c)).toEqual(fresh);
      }
    });
  }

  it('the accurate-MCFG proposal reads the restored bus numbers', () => {
    const s = (): Scenario => ({ ...scenario(TOPOLOGIES['q35 root ports, SHPC bridge behind a PCIe-PCI bridge']!), accurateMcfgReserve: 2 });
    const fresh = bootScenario(s(), { guestPatch: 'mmconfig-v1' });
    const cache = new MachineCache();
    bootScenario(s(), { machines: cache });
    expect(outcome(bootScenario(s(), { guestPatch: 'mmconfig-v1', machines: cache }))).toEqual(outcome(fresh));
    expect(cache.stats.restored).toBe(1);
  });

  it('a different QEMU command line, or another -m, is another machine; the kernel command line is not', () => {
    const cache = new MachineCache();
    bootScenario(scenario(['-M', 'q35']), { machines: cache });
    bootScenario(scenario(['-M', 'q35'], 'pci=lastbus=0'), { machines: cache });
    bootScenario(scenario(['-M', 'q35', '-m', '1G']), { machines: cache });
    bootScenario(scenario(['-M', 'q35', '-nodefaults']), { machines: cache });
    bootScenario(scenario(['-M', 'q35']), { machines: cache, costProfile: 'measured-here' });
    expect(cache.stats).toEqual({ built: 3, reused: 1, poweredOn: 4, restored: 1, refused: 0 });
  });

  it('is not used with run-time hooks, a trace or the access list; those boots still reuse the machine', () => {
    const args = TOPOLOGIES['q35 default']!;
    const cache = new MachineCache();
    bootVm(scenario(args), { machines: cache, runtime: {} });
    expect(cache.stats).toEqual({ built: 0, reused: 0, poweredOn: 0, restored: 0, refused: 0 });
    const fresh = bootScenario(scenario(args), { keepAccesses: true });
    bootScenario(scenario(args), { machines: cache });
    const kept = bootScenario(scenario(args), { machines: cache, keepAccesses: true });
    expect(cache.stats).toEqual({ built: 1, reused: 1, poweredOn: 1, restored: 0, refused: 0 });
    expect(kept.accesses).toEqual(fresh.accesses);
  });

  it('writes back fields, array lengths and elements, and config-space bytes', () => {
    const cache = new MachineCache();
    bootScenario(scenario(['-M', 'q35']), { machines: cache });
    const m = cache.restore(scenario(['-M', 'q35']))!;
    const root = m.rootBus!;
    const children = root.children.length;
    root.children.push(root);
    root.devices[8] = null; // 00:01.0, the VGA
    root.devices[0]!.config[0] = 0;
    m.host!.mmcfgBase = 0xe0000000;
    expect(cache.restore(scenario(['-M', 'q35']))).toBe(m);
    expect(root.children.length).toBe(children);
    expect(m.rootBus!.devices[8]?.typeName).toBe('VGA');
    expect(root.devices[0]!.config[0]).toBe(0x86);
    expect(m.host!.mmcfgBase).toBe(-1);
  });

  it('drops every saved state when an object graph changed shape, and builds anew', () => {
    const args = TOPOLOGIES['q35 default']!;
    const fresh = bootScenario(scenario(args));
    const cache = new MachineCache();
    bootScenario(scenario(args), { machines: cache });
    // something an image cannot write back: a field the machine did not have when it was saved
    const machine = cache.restore(scenario(args))!;
    Object.assign(machine.rootBus!.devices[0]!, { addedLater: 1 });
    const again = bootScenario(scenario(args), { machines: cache });
    expect(cache.stats).toEqual({ built: 2, reused: 1, poweredOn: 2, restored: 0, refused: 1 });
    expect(outcome(again)).toEqual(outcome(fresh));
  });

  it('keeps at most `capacity` machines and 8 × `capacity` VMs, dropping the least recently used', () => {
    const cache = new MachineCache(1);
    const boots: [string[], BootOptions][] = [
      [['-M', 'q35'], {}],
      [['-M', 'pc'], {}],
      [['-M', 'q35'], { kvm: ['pci-hole'] }],
      [['-M', 'q35'], { kvm: ['mmio-bus'] }],
      [['-M', 'q35'], {}],
    ];
    for (const [args, o] of boots) bootScenario(scenario(args), { ...o, machines: cache });
    expect(cache.stats).toEqual({ built: 3, reused: 1, poweredOn: 4, restored: 1, refused: 0 });
    expect(() => new MachineCache(0)).toThrow(/capacity 0: must be an integer >= 1/);
  });
});

/** a machine's object graph flattened in walk order: fields, values, bytes, and each reference as the index it was first seen at */
function flatten(root: object): unknown[] {
  const index = new Map<object, number>();
  const out: unknown[] = [];
  const queue: object[] = [root];
  const ref = (v: unknown): unknown => {
    if (typeof v === 'function') return `fn ${v.name}`;
    if (typeof v !== 'object' || v === null) return v;
    if (!index.has(v)) {
      index.set(v, index.size);
      queue.push(v);
    }
    return `#${index.get(v)}`;
  };
  ref(root);
  queue.shift();
  queue.unshift(root);
  while (queue.length > 0) {
    const o = queue.shift()!;
    if (ArrayBuffer.isView(o)) out.push([...new Uint8Array(o.buffer, o.byteOffset, o.byteLength)].join(','));
    else if (o instanceof Map) out.push([...o].map(([k, v]) => [ref(k), ref(v)]));
    else if (o instanceof Set) out.push([...o].map(ref));
    else if (Array.isArray(o)) out.push(o.map(ref));
    // PciHost's `epoch`: the global topology epoch its bus-number cache last saw, which only grows
    else out.push(Object.entries(o).map(([k, v]) => [k, k === 'epoch' ? 'any' : ref(v)]));
  }
  return out;
}

describe('a restored machine, field by field', () => {
  it('is a newly realized one, but for the topology epoch its bus-number cache last saw', async () => {
    const { qemuInitMachine } = await import('@sim/qemu');
    const args = TOPOLOGIES['q35 root ports, SHPC bridge behind a PCIe-PCI bridge']!;
    const cache = new MachineCache();
    bootScenario(scenario(args), { ...DIRTY, machines: cache });
    const restored = cache.restore(scenario(args))!;
    const fresh = qemuInitMachine(scenario(args));
    const a = flatten(restored);
    const b = flatten(fresh);
    expect(a.length).toBe(b.length);
    const differ = a.flatMap((x, i) => (JSON.stringify(x) === JSON.stringify(b[i]) ? [] : [JSON.stringify(x).slice(0, 120)]));
    expect(differ).toEqual([]);
  });
});
