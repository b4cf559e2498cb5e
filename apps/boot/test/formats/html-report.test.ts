import { describe, expect, it } from 'vitest';
import { bootScenario, compare, parseQemuArgs, DEFAULT_SETS, type DeviceEntry } from '../../src/index.js';
import { TraceCollector, renderHtmlReport, renderTopology } from '../../src/formats/index.js';

describe('the HTML report', () => {
  const s = parseQemuArgs(['-M', 'q35']);
  const boot = bootScenario(s, { trace: new TraceCollector() });
  const cmp = compare(s);
  const html = renderHtmlReport({ boot, compare: cmp });

  it('is one self-contained page: nothing to fetch, and a CSP that forbids fetching', () => {
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).toContain(`<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">`);
    expect(html).not.toMatch(/\s(src|href|xlink:href|action|srcset)=/i);
    expect(html).not.toMatch(/url\(|@import|<link|<script|<iframe|<object|<embed/i);
    expect(html).not.toMatch(/https?:\/\//);
  });

  it('lists every device Linux found in the tree', () => {
    for (const d of boot.report.devices) expect(html).toContain(`data-bdf="${d.bdf}"`);
    expect(html).toContain(`data-devices="${boot.report.devices.length}"`);
  });

  it('has the timeline with every phase, the milestones and the exit charts', () => {
    for (const n of ['firmware', 'linux', 'pci_arch_init', 'scan bus 00', 'pcibios_fixup_peer_bridges', 'BAR sizing 00:1f.2']) expect(html).toContain(`data-span="${n}"`);
    expect(html).toContain(' fw_do_boot: 2.903000 (+2.843000)');
    for (const r of ['IO_INSTRUCTION', 'EPT_MISCONFIG']) expect(html).toContain(`data-phase="linux" data-reason="${r}"`);
    expect(html).toContain('class="rate"');
  });

  it('draws one bar per mitigation row', () => {
    const bars = [...html.matchAll(/<g class="bar [a-z]+" data-mitigation="([^"]+)"/g)].map((m) => m[1]);
    expect(bars).toEqual(DEFAULT_SETS.map((x) => x.name).map((n) => n.replace(/&/g, '&amp;')));
  });

  it('is deterministic', () => {
    expect(renderHtmlReport({ boot: bootScenario(s, { trace: new TraceCollector() }), compare: compare(s) })).toBe(html);
  });

  it('renders a boot alone, without the trace, and a compare alone', () => {
    const plain = renderHtmlReport({ boot: bootScenario(s) });
    expect(plain).toContain('id="topology"');
    expect(plain).not.toContain('id="timeline"');
    const only = renderHtmlReport({ compare: cmp });
    expect(only).toContain('id="compare"');
    expect(only).not.toContain('id="topology"');
    expect(() => renderHtmlReport({})).toThrow();
  });

  it('escapes what it prints', () => {
    const odd = bootScenario(parseQemuArgs(['-M', 'q35', '-append', 'console=<ttyS0>&"x"']));
    const page = renderHtmlReport({ boot: odd, title: '<b>t</b>' });
    expect(page).toContain('&lt;ttyS0&gt;&amp;&quot;x&quot;');
    expect(page).toContain('<title>&lt;b&gt;t&lt;/b&gt;</title>');
    expect(page).not.toContain('<ttyS0>');
  });
});

describe('the topology tree', () => {
  const dev = (bdf: string, cls: string, bridge?: [number, number]): DeviceEntry => ({
    bdf,
    vendor: cls === '060400' ? '1b36' : '1af4',
    device: cls === '060400' ? '000c' : '1041',
    class: cls,
    ...(bridge ? { bridge: { secondary: bridge[0], subordinate: bridge[1] } } : {}),
  });
  const devices = [
    dev('0000:00:00.0', '060000'),
    dev('0000:00:02.0', '060400', [1, 2]),
    dev('0000:01:00.0', '060400', [2, 2]),
    dev('0000:02:00.0', '020000'),
    dev('0000:00:03.0', '060400', [3, 3]),
  ];
  const tree = renderTopology(devices);

  it('nests each bridge’s secondary bus under it', () => {
    const pos = (s: string) => tree.indexOf(s);
    // 02:00.0 sits inside 01:00.0, which sits inside 00:02.0
    expect(pos('data-bdf="0000:00:02.0"')).toBeLessThan(pos('data-bdf="0000:01:00.0"'));
    expect(pos('data-bdf="0000:01:00.0"')).toBeLessThan(pos('data-bdf="0000:02:00.0"'));
    expect(tree).toContain('→ bus 01–02');
    expect(tree).toContain('data-bus="3"');
    expect(tree).toContain('(no function found)');
    expect(tree.match(/data-bdf=/g)).toHaveLength(devices.length);
  });

  it('names classes and known QEMU devices', () => {
    expect(tree).toContain('PCI bridge: Red Hat (QEMU) QEMU PCIe Root port');
    expect(tree).toContain('Ethernet controller: Red Hat (virtio) Virtio 1.0 network device');
  });
});
