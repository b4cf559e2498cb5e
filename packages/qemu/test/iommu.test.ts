import { describe, expect, it } from 'vitest';
import { parseQemuArgs, qemuInitMachine } from '../src/index.js';
import type { PciDevice } from '../src/hw/pci/device.js';

const boot = (...argv: string[]) => qemuInitMachine(parseQemuArgs(argv));
const fn = (argv: string[], slot: number): PciDevice => {
  const f = [...boot(...argv).functions()].find(({ bus, dev }) => bus === 0 && dev.devfn === slot << 3);
  if (!f) throw new Error(`no function at 00:${slot}`);
  return f.dev;
};
const caps = (d: PciDevice): string[] => {
  const out: string[] = [];
  for (let p = d.config[0x34]!; p; p = d.config[p + 1]!) out.push(`${p.toString(16)}:${d.config[p]!.toString(16)}`);
  return out;
};

describe('intel-iommu (hw/i386/intel_iommu.c, x86-iommu.c)', () => {
  it('is a q35 sysbus device: no PCI function, a DMAR table with the unit, its interrupt remapping and ATSR', () => {
    const m = boot('-M', 'q35,kernel-irqchip=split', '-device', 'intel-iommu,intremap=on,caching-mode=on,device-iotlb=on');
    expect([...m.functions()].map(({ dev }) => dev.typeName)).toEqual(['mch', 'VGA', 'e1000e', 'ICH9-LPC', 'ich9-ahci', 'ICH9 SMB']);
    const dmar = m.bootInfo('').acpi!.dmar!;
    expect(dmar).toMatchObject({ hostAddressWidth: 38, intrRemap: true, drhdAddress: 0xfed90000, atsrAllPorts: true, cap: { cachingMode: true } });
    // KVM with kernel-irqchip=split: eim=auto resolves to on
    expect(dmar.ecap).toMatchObject({ ir: true, eim: true, devIotlb: true, pt: true, scalableMode: false });
    // no vIOMMU, no DMAR
    expect(boot('-M', 'q35').bootInfo('').acpi!.dmar).toBeUndefined();
  });

  it("fails as QEMU 7.2 does", () => {
    expect(() => boot('-M', 'pc', '-device', 'intel-iommu')).toThrow("-device intel-iommu: Parameter 'driver' expects a dynamic sysbus device type for the machine");
    expect(() => boot('-M', 'q35', '-device', 'intel-iommu,intremap=on')).toThrow(
      "-device intel-iommu,intremap=on: Interrupt Remapping cannot work with kernel-irqchip=on, please use 'split|off'.",
    );
    expect(() => boot('-M', 'q35,kernel-irqchip=split', '-device', 'intel-iommu', '-device', 'amd-iommu')).toThrow(
      '-device amd-iommu: QEMU does not support multiple vIOMMUs for x86 yet.',
    );
    expect(() => boot('-M', 'q35', '-device', 'intel-iommu,aw-bits=40')).toThrow('Supported values for aw-bits are: 39, 48');
    expect(() => boot('-M', 'q35', '-accel', 'tcg', '-device', 'intel-iommu,eim=on')).toThrow('eim=on requires accel=kvm,kernel-irqchip=split');
    expect(() => boot('-M', 'q35', '-device', 'intel-iommu,intremap=off,eim=on')).toThrow('eim=on cannot be selected without intremap=on');
    expect(() => boot('-M', 'q35', '-device', 'intel-iommu,x-pasid-mode=on')).toThrow('Need to set scalable mode for PASID');
    // under TCG the irqchip is never KVM's: intremap=on is fine with any kernel-irqchip, eim resolves to off
    const tcg = boot('-M', 'q35', '-accel', 'tcg', '-device', 'intel-iommu,intremap=on').bootInfo('').acpi!.dmar!;
    expect([tcg.intrRemap, tcg.ecap.eim]).toEqual([true, false]);
    // KVM's default irqchip: intremap=auto is off
    expect(boot('-M', 'q35', '-device', 'intel-iommu').bootInfo('').acpi!.dmar!.intrRemap).toBe(false);
  });
});

describe('amd-iommu (hw/i386/amd_iommu.c)', () => {
  it('adds AMDVI-PCI at the first free slot, its device ID its devfn, the capabilities pushed to the head of the list', () => {
    const d = fn(['-M', 'q35', '-device', 'amd-iommu'], 3);
    expect(d.typeName).toBe('AMDVI-PCI');
    expect([d.getWord(0), d.getWord(2), d.getLong(8) >>> 8]).toEqual([0x1022, 0x18, 0x080600]);
    // msi_init()'s MSI, HyperTransport, the bare MSI, the secure-device capability (its header overwritten)
    expect(caps(d)).toEqual(['60:5', '5c:8', '58:5', '40:f']);
    expect([d.getLong(0x40), d.getLong(0x48), d.getLong(0x4c), d.getLong(0x50)]).toEqual([0x1f03000f, 0xfed8, 0xff000000, 0x182e00]);
    expect(boot('-M', 'q35', '-device', 'amd-iommu').bootInfo('').acpi!.dmar).toBeUndefined();
  });
});

describe('virtio-iommu-pci (hw/virtio/virtio-iommu-pci.c)', () => {
  it('is a modern-only virtio function, class 0x00ff, without MSI-X, on the root bus only, and one vIOMMU', () => {
    const d = fn(['-M', 'q35', '-device', 'virtio-iommu-pci'], 3);
    expect([d.getWord(0), d.getWord(2), d.config[8], d.getWord(0x0a)]).toEqual([0x1af4, 0x1057, 1, 0x00ff]);
    expect(d.msixCap).toBe(0);
    expect(d.regions.map((r) => r?.size ?? 0)).toEqual([0, 0, 0, 0, 0x4000, 0, 0]);
    expect(() => boot('-M', 'q35', '-device', 'pcie-root-port,id=rp,chassis=1', '-device', 'virtio-iommu-pci,bus=rp')).toThrow(
      '-device virtio-iommu-pci,bus=rp: virtio-iommu-pci must be plugged on the root bus',
    );
    expect(() => boot('-M', 'q35', '-device', 'virtio-iommu-pci', '-device', 'intel-iommu')).toThrow('QEMU does not support multiple vIOMMUs for x86 yet.');
  });
});
