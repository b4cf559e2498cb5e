/**
 * @module
 * Command lines for the benchmark topologies, built as string lists the way a user would type them.
 *
 * The largest topology QEMU 7.2 accepts on one PCI segment of a q35: with `-nodefaults` the root bus
 * `pcie.0` has 30 free slots (00.0 is the MCH, 1f.* the ICH9 functions), 8 functions each, so 240
 * `pcie-root-port`s (one secondary bus each: buses 1-240); behind the last one a `pcie-pci-bridge` (bus 241)
 * with 14 `pci-bridge`s (buses 242-255). That is every bus number a segment has (256), numbered by SeaBIOS;
 * real QEMU accepts the line (each root port needs its own chassis, each pci-bridge its own chassis_nr).
 */

/** How many root ports and PCI bridges, and whether the default devices stay. */
export interface TopologyOptions {
  /** pcie-root-ports on pcie.0, slot 1 function 0 upwards (at most 240 with -nodefaults) */
  rootPorts: number;
  /** pci-bridges behind a pcie-pci-bridge under the last root port (0: no pcie-pci-bridge either) */
  pciBridges: number;
}

/** Most root ports on one q35 root bus: slots 1..0x1e, 8 functions each. */
export const MAX_ROOT_PORTS = 30 * 8;

/** `-M q35 -nodefaults -device pcie-root-port,… -device pcie-pci-bridge,… -device pci-bridge,…` */
export function topologyArgs(o: TopologyOptions): string[] {
  if (!Number.isInteger(o.rootPorts) || o.rootPorts < 0 || o.rootPorts > MAX_ROOT_PORTS) {
    throw new RangeError(`rootPorts ${o.rootPorts}: 0..${MAX_ROOT_PORTS}`);
  }
  if (!Number.isInteger(o.pciBridges) || o.pciBridges < 0 || o.pciBridges > 30 || (o.pciBridges > 0 && o.rootPorts === 0)) {
    throw new RangeError(`pciBridges ${o.pciBridges}: 0..30, behind a root port`);
  }
  const a = ['-M', 'q35', '-nodefaults'];
  let n = 0;
  for (let slot = 1; slot <= 0x1e && n < o.rootPorts; slot++) {
    for (let fn = 0; fn < 8 && n < o.rootPorts; fn++) {
      n++;
      const mf = fn === 0 && (o.rootPorts - n) > 0 ? ',multifunction=on' : '';
      a.push('-device', `pcie-root-port,id=rp${n},chassis=${n},addr=${slot.toString(16)}.${fn}${mf}`);
    }
  }
  if (o.pciBridges > 0) {
    a.push('-device', `pcie-pci-bridge,id=ppb,bus=rp${n}`);
    for (let i = 1; i <= o.pciBridges; i++) {
      a.push('-device', `pci-bridge,id=br${i},bus=ppb,chassis_nr=${i},addr=${i.toString(16)}.0`);
    }
  }
  return a;
}

/** The largest single-segment q35 topology: 240 root ports + a pcie-pci-bridge + 14 pci-bridges = 256 buses. */
export function largestTopologyArgs(): string[] {
  return topologyArgs({ rootPorts: MAX_ROOT_PORTS, pciBridges: 14 });
}

/** A topology with exactly `buses` bus numbers in use (1, 2, …, 256): root ports first, then bridges. */
export function topologyWithBuses(buses: number): string[] {
  if (!Number.isInteger(buses) || buses < 1 || buses > 256) throw new RangeError(`buses ${buses}: 1..256`);
  const behind = buses - 1;
  if (behind <= MAX_ROOT_PORTS) return topologyArgs({ rootPorts: behind, pciBridges: 0 });
  // past 240 secondary buses: the pcie-pci-bridge takes one, pci-bridges the rest
  return topologyArgs({ rootPorts: MAX_ROOT_PORTS, pciBridges: behind - MAX_ROOT_PORTS - 1 });
}
