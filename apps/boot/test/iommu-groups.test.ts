import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { pciDeviceGroups, pciName } from '@sim/guest';
import { bootVm } from '../src/core/boot.js';
import { parseQemuArgs } from '../src/core/scenario.js';

const REF = new URL('../../../reference/', import.meta.url);

function recorded(name: string) {
  const ref = JSON.parse(readFileSync(new URL(`${name}.json`, REF), 'utf8')) as { qemuArgs: string[]; append: string };
  const console = readFileSync(new URL(`${name}.console.log`, REF), 'utf8');
  const groups = new Map<number, string[]>();
  for (const m of console.matchAll(/pci (\S+): Adding to iommu group (\d+)/g)) {
    const id = Number(m[2]);
    groups.set(id, [...(groups.get(id) ?? []), m[1]!]);
  }
  return { ref, groups: [...groups.entries()].sort((a, b) => a[0] - b[0]).map(([, d]) => d) };
}

describe('IOMMU groups under intel-iommu, against the recorded kernel', () => {
  it("pci_device_group() on the simulated guest's devices gives the groups Linux printed (aliases, ACS, multifunction ports)", () => {
    const { ref, groups } = recorded('q35-intel-iommu-groups');
    const boot = bootVm(parseQemuArgs([...ref.qemuArgs, '-append', ref.append]), { runtime: {} });
    const linux = boot.live!.linux;
    expect(pciDeviceGroups(linux.allDevices()).map((g) => g.devices.map(pciName))).toEqual(groups);
    expect(groups.length).toBe(11);
  });

  it('the accesses the VT-d driver adds: ACS enabled during the scan, read again for the groups, ATS on a DMA domain only', () => {
    const accesses = (name: string) =>
      gunzipSync(readFileSync(new URL(`${name}.accesses.txt.gz`, REF)))
        .toString()
        .split('\n')
        .filter((l) => / (00:03\.0 0x14[ce]|01:00\.0 0x10[46])\//.test(l));
    expect(accesses('q35-intel-iommu-cm')).toEqual([
      'L mmcfg r 00:03.0 0x14c/2 0x5f',
      'L mmcfg r 00:03.0 0x14e/2 0x0',
      'L mmcfg w 00:03.0 0x14e/2 0x1d',
      'L mmcfg r 00:03.0 0x14c/2 0x5f',
      'L mmcfg r 00:03.0 0x14e/2 0x1d',
      'L mmcfg r 01:00.0 0x104/2 0x20',
      'L mmcfg w 01:00.0 0x106/2 0x8000',
      'L mmcfg r 01:00.0 0x104/2 0x20',
    ]);
    // iommu=pt: identity domains, no ATS, unless the unit is in scalable mode; intel_iommu=off: no ACS either
    expect(accesses('q35-intel-iommu-pt-ats').filter((l) => l.includes('01:00.0'))).toEqual([]);
    expect(accesses('q35-intel-iommu-sm').filter((l) => l.includes('01:00.0'))).toEqual(accesses('q35-intel-iommu-cm').filter((l) => l.includes('01:00.0')));
    expect(accesses('q35-intel-iommu-off')).toEqual([]);
  });
});
