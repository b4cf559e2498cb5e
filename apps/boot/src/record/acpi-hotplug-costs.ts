/**
 * @module
 * Where an ACPI PCI hot-plug spends its time under QEMU 7.2 TCG, from a recording of
 * `scripts/record-acpi-hotplug.mjs` (QEMU's trace points `ioapic_set_irq`, `acpi_pci_*`, `pci_cfg_read`,
 * host-timestamped): the constants of the `tcg-reference` guest CPU costs (@sim/guest) and QEMU's
 * device_add time (@sim/qemu) are derived here, and a test holds the shipped constants equal to this
 * derivation of the committed recording.
 *
 * Each constant is one span of the recording, the median over its events; accesses the model charges
 * itself (1.0 µs each under `tcg-reference`) are taken out of the spans they fall in. Spans that differ
 * between the first hot-plug of a boot and a later one are taken from the later ones; the first one's excess
 * is its own constant.
 */

/** One `device_add` of a recording. Times are µs after the QMP command was sent. */
export interface AcpiHotplugRecordedEvent {
  bus: string;
  /** 0: the first hot-plug since boot */
  order: number;
  replyUs: number;
  /** GSI 9 raised on the IOAPIC: the plug callback's acpi_send_event() */
  sciUs: number | null;
  /** `_E01`'s register accesses in order: BNUM writes (`sel_write`), PCIU (`up_read`), PCID (`down_read`) */
  pcnt: { us: number; ev: string; v: string }[];
  firstConfigReadUs: number | null;
  /** the class-code read of pci_setup_device(), just before the device line */
  classReadUs: number | null;
  configReadsToClass: number | null;
}

export interface AcpiHotplugRecording {
  devices?: string[];
  kernel: string;
  /** when (one date per recording merged into the file) */
  recorded?: string | string[];
  runs: { order: string[]; events: AcpiHotplugRecordedEvent[] }[];
}

/** The derived constants, ns. */
export interface AcpiHotplugCosts {
  /** QEMU: from the QMP command to the SCI (qdev_device_add(): realize, plug, acpi_send_event()) */
  deviceAddToSci: number;
  acpiSciToMethod: number;
  amlDvntCall: number;
  amlDvntSlot: number;
  amlNotify: number;
  acpiNotifyToScan: number;
  firstAcpiHotplugEvent: number;
}

/** what one guest I/O access costs under `tcg-reference` (packages/kvm/src/cost.ts), µs */
const ACCESS_US = 1;
/**
 * Accesses the model makes between the SCI and `_E01`'s first BNUM write: acpi_ev_sci_xrupt_handler()'s
 * PM1 status and enable reads (2), acpi_ev_gpe_detect()'s status and enable reads for each bit of GPE
 * register 0 (16), the dispatch's enable read-modify-write and the status clear (3).
 */
const ACCESSES_SCI_TO_METHOD = 21;
/** slots the DSDT describes on a pci-bridge's bus and on a root port's */
const SLOTS_BRIDGE = 32;
const SLOTS_PORT = 1;

const median = (xs: number[]): number => {
  if (!xs.length) throw new Error('acpi-hotplug costs: no sample for a span');
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/** The spans of one event with the base topology's PCNT (bus 0: the bridge's 32 slots, bus 1: the port's). */
function spans(e: AcpiHotplugRecordedEvent) {
  const p = e.pcnt;
  const at = (i: number, ev: string) => (p[i] && p[i]!.ev === ev ? p[i]! : null);
  const sel0 = at(0, 'sel_write');
  const up0 = at(1, 'up_read');
  const down0 = at(2, 'down_read');
  const sel1 = at(3, 'sel_write');
  const up1 = at(4, 'up_read');
  const down1 = at(5, 'down_read');
  if (!sel0 || !up0 || !down0 || !sel1 || !up1 || !down1 || e.sciUs === null || e.classReadUs === null) return null;
  return {
    sciToMethod: sel0.us - e.sciUs - ACCESSES_SCI_TO_METHOD * ACCESS_US,
    // DVNT(PCIU) of the bridge's bus when nothing is up there (its read's access taken out)
    dvnt32NoNotify: up0.v.trim() === '0' ? down0.us - up0.us - ACCESS_US : null,
    // DVNT(PCID) of the bridge's bus, then the next BNUM write (2 accesses)
    dvnt32Pcid: sel1.us - down0.us - 2 * ACCESS_US,
    dvnt1NoNotify: up1.v.trim() === '0' ? down1.us - up1.us - ACCESS_US : null,
    dvnt1Notify: up1.v.trim() !== '0' ? down1.us - up1.us - ACCESS_US : null,
    lastPcnt: down1.us,
    total: e.classReadUs,
    reads: e.configReadsToClass ?? 0,
  };
}

/** Derives the constants from a recording of the base topology (a root port and a pci-bridge). */
export function deriveAcpiHotplugCosts(rec: AcpiHotplugRecording): AcpiHotplugCosts {
  const all = rec.runs.flatMap((r) => r.events);
  const warm = all.filter((e) => e.order > 0).map(spans).filter((s) => s !== null);
  const first = all.filter((e) => e.order === 0).map(spans).filter((s) => s !== null);
  const num = (xs: (number | null)[]) => xs.filter((x): x is number => x !== null);
  const d32 = median([...num(warm.map((s) => s.dvnt32NoNotify)), ...warm.map((s) => s.dvnt32Pcid)]);
  const d1 = median(num(warm.map((s) => s.dvnt1NoNotify)));
  const slot = (d32 - d1) / (SLOTS_BRIDGE - SLOTS_PORT);
  const call = d1 - slot * SLOTS_PORT;
  const notify = median(num(warm.map((s) => s.dvnt1Notify))) - d1;
  // from the last PCNT access to the class read: the port bus's DVNT(PCID), then the hand-offs and the scan
  const toScan = median(warm.map((s) => s.total - s.lastPcnt - d1 - s.reads * ACCESS_US));
  const firstExtra = median(first.map((s) => s.total)) - median(warm.map((s) => s.total));
  const ns = (us: number) => Math.round(us * 1000);
  return {
    deviceAddToSci: ns(median(num(all.map((e) => e.sciUs)))),
    acpiSciToMethod: ns(median(warm.map((s) => s.sciToMethod))),
    amlDvntCall: ns(call),
    amlDvntSlot: ns(slot),
    amlNotify: ns(notify),
    acpiNotifyToScan: ns(toScan),
    firstAcpiHotplugEvent: ns(firstExtra),
  };
}
