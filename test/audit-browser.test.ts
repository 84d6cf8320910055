/**
 * The audit report in a real browser (Debian's headless Chromium driven by playwright-core): it loads
 * offline, its numbers equal compare.json's, its ballot images render. `.ci/run` installs chromium.
 */
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import type { CompareReport } from '../src/audit/compare.ts';
import { main } from '../src/cli/main.ts';
import { capture } from './helpers.ts';

const CHROMIUM = '/usr/bin/chromium';
const ROOT = join(import.meta.dirname, '..');
const DEMO = join(ROOT, 'samples', 'demo');

describe.skipIf(!existsSync(CHROMIUM))('audit.html in headless Chromium', () => {
  it('loads offline, shows the numbers of compare.json, and renders every ballot image', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bt-browser-'));
    mkdirSync(join(dir, 'in'));
    for (const f of readdirSync(DEMO)
      .filter((n) => /^0000(0[1-9]|10)-(front|back)\.jpeg$/.test(n))
      .sort())
      copyFileSync(join(DEMO, f), join(dir, 'in', f));
    const ours = join(dir, 'ours');
    const tallied = capture();
    await main(
      ['tally', join(dir, 'in'), '--election', join(DEMO, 'election.json'), '--out', ours, '--json'],
      tallied,
    );
    // The "official" count: our own NIST results with one total off by one.
    const results = JSON.parse(readFileSync(join(ours, 'results.json'), 'utf8'));
    const counts = results.Election[0].Contest[0].ContestSelection[0].VoteCounts;
    for (const c of counts) c.Count += 1;
    writeFileSync(join(dir, 'official.json'), JSON.stringify(results));
    const io = capture();
    const code = await main(
      ['compare', '--ours', ours, '--official', join(dir, 'official.json'), '--out', join(dir, 'report')],
      io,
    );
    expect(code, io.err()).toBe(1);
    const report = JSON.parse(readFileSync(join(dir, 'report', 'compare.json'), 'utf8')) as CompareReport;

    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--no-first-run',
      ],
    });
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      const requests: string[] = [];
      page.on('request', (r) => {
        if (!r.url().startsWith('file:') && !r.url().startsWith('data:')) requests.push(r.url());
      });
      await page.goto(pathToFileURL(join(dir, 'report', 'audit.html')).href, { waitUntil: 'load' });
      const rows = await page.$$eval('tr[data-contest][data-option]', (trs) =>
        trs.map((tr) => [
          tr.getAttribute('data-contest'),
          tr.getAttribute('data-option'),
          ...[...tr.querySelectorAll('td.n, td[class^="n"]')].map((td) => td.textContent?.trim()),
        ]),
      );
      const expected = report.contests.flatMap((c) =>
        c.options.map((o) => [
          c.contestId,
          o.optionId,
          String(o.ours),
          String(o.official ?? '–'),
          o.difference === null ? '–' : o.difference > 0 ? `+${o.difference}` : String(o.difference),
        ]),
      );
      expect(rows.map((r) => r.slice(0, 5))).toEqual(expected);
      const images = await page.$$eval('img', (imgs) =>
        imgs.map((img) => ({ complete: img.complete, width: img.naturalWidth })),
      );
      expect(images.length).toBeGreaterThan(0);
      for (const img of images) expect(img).toMatchObject({ complete: true, width: expect.any(Number) });
      expect(images.every((img) => img.width > 100)).toBe(true);
      expect(requests).toEqual([]);
      await page.screenshot({ path: join(dir, 'report', 'audit.png'), fullPage: false });
      process.env.BALLOT_TALLY_AUDIT_SCREENSHOT = join(dir, 'report', 'audit.png');
    } finally {
      await browser.close();
    }
  });
});
