/**
 * The HTML report in a real browser: headless Chromium (Debian's `chromium` package, driven by
 * playwright-core; never a downloaded browser) opens the page from a file with the network off, and the
 * checks read what it shows. Skips itself, saying why, where /usr/bin/chromium is not installed (CI has
 * Node and npm only). The screenshot is kept in .cache/test-artifacts/ (git-ignored); set
 * PCISIM_UPDATE_DOCS=1 to also refresh docs/report.png.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, writeFileSync, copyFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { bootScenario, compare, parseQemuArgs } from '../../src/index.js';
import { TraceCollector, renderHtmlReport } from '../../src/formats/index.js';

const CHROMIUM = process.env['PCISIM_CHROMIUM'] ?? '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) {
  console.warn(`html-browser.test.ts: skipped — ${CHROMIUM} is not installed (Debian: apt-get install chromium). No browser is downloaded.`);
}

const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url));
const artifacts = process.env['PCISIM_ARTIFACTS_DIR'] ?? join(repoRoot, '.cache', 'test-artifacts');

describe.skipIf(!haveChromium)('the HTML report in headless Chromium', () => {
  const s = parseQemuArgs(['-M', 'q35']);
  const boot = bootScenario(s, { trace: new TraceCollector() });
  const cmp = compare(s);
  const html = renderHtmlReport({ boot, compare: cmp });
  let browser: Browser;
  let page: Page;
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
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    const context = await browser.newContext({ viewport: { width: 1100, height: 900 }, deviceScaleFactor: 1, offline: true });
    page = await context.newPage();
    page.on('request', (r) => {
      if (r.url() !== pageUrl) requests.push(r.url());
    });
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text());
    });
    await page.goto(pageUrl, { waitUntil: 'load' });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
  });

  it('loads with no request beyond the page itself and no error', () => {
    expect(requests).toEqual([]);
    expect(consoleErrors).toEqual([]);
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

  it('shows the timeline, the milestones and the exits by reason', async () => {
    expect(await page.locator('svg.timeline[data-timeline="whole"] g.span').count()).toBeGreaterThan(10);
    expect(await page.locator('pre.milestones').innerText()).toContain('linux_start_kernel: 2.903000');
    const linuxIo = page.locator('svg.exits rect[data-phase="linux"][data-reason="IO_INSTRUCTION"]');
    expect(await linuxIo.isVisible()).toBe(true);
    expect((await linuxIo.boundingBox())!.width).toBeGreaterThan(500);
  });

  it('keeps a screenshot', async () => {
    const png = join(artifacts, 'report.png');
    await page.screenshot({ path: png, fullPage: true });
    expect(existsSync(png)).toBe(true);
    if (process.env['PCISIM_UPDATE_DOCS'] === '1') copyFileSync(png, join(repoRoot, 'docs', 'report.png'));
  }, 30_000);
});
