/**
 * The HTML report in a real browser: headless Chromium (Debian's `chromium` package, driven by
 * playwright-core; never a downloaded browser) opens the page from a file with the network off, and the
 * checks read what it shows: the DOM, and the pixels of a full-page screenshot (every section painted, the
 * compare chart's bars as long as the report's times say), with no script error on the console.
 *
 * CI (`.ci/run`) installs Chromium, and under CI=true a missing browser fails the run. On a developer's
 * machine without /usr/bin/chromium the test skips itself, saying why. The screenshot is kept in
 * .cache/test-artifacts/ (git-ignored); set PCISIM_UPDATE_DOCS=1 to also refresh docs/report.png.
 * Timeouts are generous and nothing waits on a clock: CI's two CPUs may be busy with other work.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, writeFileSync, copyFileSync, readFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { bootScenario, compare, parseQemuArgs } from '../../src/index.js';
import { TraceCollector, renderHtmlReport } from '../../src/formats/index.js';
import { decodePng, pixel, type Image } from './png.js';

const CHROMIUM = process.env['PCISIM_CHROMIUM'] ?? '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
const inCi = process.env['CI'] === 'true' || process.env['CI'] === '1';
const BROWSER_TIMEOUT = 180_000;
if (!haveChromium && !inCi) {
  console.warn(`html-browser.test.ts: skipped — ${CHROMIUM} is not installed (Debian: apt-get install chromium). No browser is downloaded.`);
}

const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url));
const artifacts = process.env['PCISIM_ARTIFACTS_DIR'] ?? join(repoRoot, '.cache', 'test-artifacts');

describe.runIf(inCi && !haveChromium)('the HTML report in headless Chromium, under CI', () => {
  it('has Chromium to run in (.ci/run installs it)', () => {
    expect.fail(`${CHROMIUM} is not installed: under CI=true the browser test must run (.ci/run installs Debian's chromium)`);
  });
});

describe.skipIf(!haveChromium)('the HTML report in headless Chromium', () => {
  const s = parseQemuArgs(['-M', 'q35']);
  const boot = bootScenario(s, { trace: new TraceCollector() });
  const cmp = compare(s);
  const html = renderHtmlReport({ boot, compare: cmp });
  let browser: Browser;
  let page: Page;
  let shot: Image;
  const requests: string[] = [];
  const consoleErrors: string[] = [];
  let pageUrl = '';

  beforeAll(async () => {
    mkdirSync(artifacts, { recursive: true });
    const file = join(artifacts, 'report.html');
    writeFileSync(file, html);
    pageUrl = pathToFileURL(file).href;
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      timeout: BROWSER_TIMEOUT,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    const context = await browser.newContext({ viewport: { width: 1100, height: 900 }, deviceScaleFactor: 1, offline: true });
    context.setDefaultTimeout(BROWSER_TIMEOUT);
    page = await context.newPage();
    page.on('request', (r) => {
      if (r.url() !== pageUrl) requests.push(r.url());
    });
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text());
    });
    // an exception the page's script does not catch is not a console message: it comes as 'pageerror'
    page.on('pageerror', (e) => consoleErrors.push(`uncaught: ${e.message}`));
    await page.goto(pageUrl, { waitUntil: 'load', timeout: BROWSER_TIMEOUT });
    const png = join(artifacts, 'report.png');
    await page.screenshot({ path: png, fullPage: true, animations: 'disabled', timeout: BROWSER_TIMEOUT });
    shot = decodePng(readFileSync(png));
    if (process.env['PCISIM_UPDATE_DOCS'] === '1') copyFileSync(png, join(repoRoot, 'docs', 'report.png'));
  }, 2 * BROWSER_TIMEOUT);

  afterAll(async () => {
    await browser?.close();
  }, BROWSER_TIMEOUT);

  /**
   * an element's box in the page (the full-page screenshot's coordinates, CSS px = device px here); the
   * function runs in the page, so it is given as source (the tests are typed without the DOM's library)
   */
  const boxes = (selector: string): Promise<{ x: number; y: number; w: number; h: number; fill: string }[]> =>
    page.evaluate(`[...document.querySelectorAll(${JSON.stringify(selector)})].map((e) => {
      const r = e.getBoundingClientRect();
      return { x: r.left + window.scrollX, y: r.top + window.scrollY, w: r.width, h: r.height, fill: getComputedStyle(e).fill };
    })`);

  it('loads with no request beyond the page itself and no error', () => {
    expect(requests).toEqual([]);
    expect(consoleErrors).toEqual([]);
  });

  it('paints every section: summary, topology, timeline, exits, compare', async () => {
    const ids = await page.evaluate<string[]>(`[...document.querySelectorAll('main > section')].map((e) => e.id)`);
    expect(ids).toEqual(['summary', 'topology', 'timeline', 'exits', 'compare']);
    const headings = await page.locator('main > section > h2').allInnerTexts();
    expect(headings).toEqual(['Topology Linux found', 'Boot timeline (virtual time)', 'VM exits by VMX reason', 'Mitigations side by side (pcisim compare, linux phase)']);
    // the screenshot is the whole page, and each section's box in it holds more than the background
    const height = await page.evaluate<number>('document.documentElement.scrollHeight');
    expect(shot.height).toBe(height);
    const bg = pixel(shot, 2, 2);
    for (const id of ids) {
      const [b] = await boxes(`#${id}`);
      expect(b!.w * b!.h, id).toBeGreaterThan(0);
      expect(b!.y + b!.h, id).toBeLessThanOrEqual(shot.height + 1);
      let ink = 0;
      for (let y = Math.ceil(b!.y); y < Math.floor(b!.y + b!.h); y += 2) {
        for (let x = Math.ceil(b!.x); x < Math.floor(b!.x + b!.w); x += 2) {
          const p = pixel(shot, x, y);
          if (Math.abs(p[0] - bg[0]) + Math.abs(p[1] - bg[1]) + Math.abs(p[2] - bg[2]) > 60) ink++;
        }
      }
      expect(ink, `pixels painted in #${id}`).toBeGreaterThan(200);
    }
  });

  it("shows the report's numbers on the summary cards", async () => {
    const card = (id: string) => page.locator(`[data-card="${id}"] .v`).innerText();
    expect(await card('devices')).toBe(String(boot.report.devices.length));
    expect(Number((await card('accesses')).replace(/[^0-9]/g, ''))).toBe(boot.report.phases.linux.config.accesses.total);
  });

  it('shows every device Linux found in the topology tree', async () => {
    const items = page.locator('#topology li.dev');
    expect(await items.count()).toBe(boot.report.devices.length);
    const shown = await page.locator('#topology').innerText();
    for (const d of boot.report.devices) {
      expect(shown).toContain(`${d.bdf.slice(5)} [${d.vendor}:${d.device}]`);
      expect(await page.locator(`#topology li.dev[data-bdf="${d.bdf}"]`).isVisible()).toBe(true);
    }
    expect(shown).toContain('SATA controller');
  });

  it('draws one visible bar per mitigation, labelled, as long as its time', async () => {
    const bars = page.locator('svg.compare g.bar');
    expect(await bars.count()).toBe(cmp.rows.length);
    const widths = new Map<string, number>();
    for (let i = 0; i < cmp.rows.length; i++) {
      const row = cmp.rows[i]!;
      const bar = bars.nth(i);
      expect(await bar.getAttribute('data-mitigation')).toBe(row.name);
      expect((await bar.locator('text.name').textContent())?.trim()).toBe(row.name);
      const box = await bar.locator('rect').boundingBox();
      expect(box, row.name).not.toBeNull();
      expect(box!.width).toBeGreaterThan(0);
      widths.set(row.name, box!.width);
    }
    const base = cmp.rows[0]!;
    for (const row of cmp.rows) {
      expect(widths.get(row.name)! / widths.get(base.name)!).toBeCloseTo(row.timeNs / base.timeNs, 1);
    }
  });

  it("paints the bars in the screenshot as long as the report's times, in proportion", async () => {
    const rects = await boxes('svg.compare g.bar rect');
    expect(rects).toHaveLength(cmp.rows.length);
    // the painted length: the pixels of the bar's own colour along its middle row
    const painted = rects.map((r) => {
      const m = /rgb\((\d+), (\d+), (\d+)\)/.exec(r.fill);
      expect(m, `fill ${r.fill}`).not.toBeNull();
      const want = [Number(m![1]), Number(m![2]), Number(m![3])];
      const y = Math.round(r.y + r.h / 2);
      let n = 0;
      for (let x = Math.max(0, Math.floor(r.x) - 3); x < Math.min(shot.width, Math.ceil(r.x + r.w) + 3); x++) {
        const p = pixel(shot, x, y);
        if (Math.abs(p[0] - want[0]!) <= 12 && Math.abs(p[1] - want[1]!) <= 12 && Math.abs(p[2] - want[2]!) <= 12) n++;
      }
      return n;
    });
    const maxNs = Math.max(...cmp.rows.map((r) => r.timeNs));
    const longest = Math.max(...painted);
    expect(longest).toBeGreaterThan(400);
    cmp.rows.forEach((row, i) => {
      // the DOM's box and the painted pixels agree, and the pixels are in the report's proportions (±2 px: edges)
      expect(Math.abs(painted[i]! - rects[i]!.w), `${row.name}: painted ${painted[i]} px, box ${rects[i]!.w} px`).toBeLessThanOrEqual(2);
      const expected = row.timeNs > 0 ? Math.max(1, (longest * row.timeNs) / maxNs) : 0;
      expect(Math.abs(painted[i]! - expected), `${row.name}: painted ${painted[i]} px for ${row.timeNs} ns, expected ${expected.toFixed(1)} px`).toBeLessThanOrEqual(2);
    });
  });

  it('shows the timeline, the milestones and the exits by reason', async () => {
    expect(await page.locator('svg.timeline[data-timeline="whole"] g.span').count()).toBeGreaterThan(10);
    expect(await page.locator('pre.milestones').innerText()).toContain('linux_start_kernel: 2.903000');
    const linuxIo = page.locator('svg.exits rect[data-phase="linux"][data-reason="IO_INSTRUCTION"]');
    expect(await linuxIo.isVisible()).toBe(true);
    expect((await linuxIo.boundingBox())!.width).toBeGreaterThan(500);
  });
});
