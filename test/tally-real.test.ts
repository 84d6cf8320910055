/**
 * The whole tally, as a user runs it, on the real fixture folders: every image file of Hudson and Amherst
 * is paired into its sheet by name, read and counted, none rejected, and each sheet's marks agree with
 * the other interpreter's results for its two images (the rules of test/interpret-real.test.ts).
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../src/cli/main.ts';
import type { SheetOutcome } from '../src/pipeline/outcome.ts';
import { expectedImages, markedBySide, nearThreshold, sorted, withoutNear } from './expected-vx.ts';
import { AMHERST, HAVE_SHARED, HUDSON } from './fixtures.ts';
import { capture } from './helpers.ts';

const SETS = [
  { name: 'Hudson', dir: HUDSON, sheets: 5, votesExact: false },
  { name: 'Amherst', dir: AMHERST, sheets: 10, votesExact: true },
];

describe.skipIf(!HAVE_SHARED)('tally on the real fixture folders', () => {
  for (const set of SETS) {
    it(`${set.name}: every image paired, read and agreeing with the expected marks`, {
      timeout: 60_000,
    }, async () => {
      const out = mkdtempSync(join(tmpdir(), 'bt-real-'));
      const io = capture();
      const code = await main(
        ['tally', set.dir, '--election', join(set.dir, 'election.json'), '--out', out, '--json'],
        io,
      );
      expect(code, io.err()).toBeLessThan(2);
      const summary = JSON.parse(io.out()) as { counts: { inputs: number; rejected: number } };
      expect(summary.counts).toMatchObject({ inputs: set.sheets, rejected: 0 });
      const images = expectedImages(set.dir);
      const entries = readFileSync(join(out, 'journal.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .slice(1)
        .map((l) => JSON.parse(l) as { paths: string[]; result: { outcome: SheetOutcome } });
      expect(entries).toHaveLength(set.sheets);
      let judged = 0;
      for (const { paths, result } of entries) {
        const names = paths.map((p) => basename(p));
        const sheet = result.outcome;
        if (sheet.type !== 'interpreted') expect.fail(`${names.join('+')}: ${sheet.reason}`);
        // the two files of a sheet are its two sides, by name
        expect(names.map((n) => (/front/.test(n) ? 'front' : 'back')).sort()).toEqual(['back', 'front']);
        for (const page of sheet.pages) {
          const name = names[page.imageIndex] as string;
          expect(name, `${name} read as the ${page.side}`).toContain(page.side);
          const exp = images[name];
          // expected votes are given for some images only (none for the templates, the variants of Amherst,
          // Hudson's rotated pair and its 300 dpi back)
          if (!exp?.votes) continue;
          judged++;
          const mine = markedBySide(sheet, page.side);
          if (set.votesExact) expect(mine, name).toEqual(sorted(exp.votes ?? {}));
          else {
            const near = nearThreshold(exp, 0.05, 0.08);
            expect(withoutNear(mine, near), name).toEqual(withoutNear(exp.votes ?? {}, near));
          }
        }
      }
      expect(judged).toBe(Object.values(images).filter((e) => e.votes).length);
      expect(judged).toBeGreaterThanOrEqual(4);
    });
  }
});
