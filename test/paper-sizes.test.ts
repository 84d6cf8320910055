/**
 * Ballots longer than legal: VotingWorks prints hand-marked ballots 8.5 in wide and 11, 14, 17, 18, 19,
 * 20, 21 or 22 in long (VXF `ballotLayout.paperSize`), with 4 × length − 3 rows of timing marks. The demo
 * election is laid out again on each length, with the back side's targets moved down so that they sit
 * near the far end of the long page, and generated sheets (realistic voters and scanner) are read back.
 */
import { describe, expect, it } from 'vitest';
import { scoreAccuracy } from '../bench/accuracy-lib.ts';
import { type Dpi, demoElectionVxf, generateSheet } from '../samples/generator/index.ts';
import { PAPER_GRIDS, type PaperSize } from '../src/election/election.ts';
import { importVxf } from '../src/election/vxf.ts';
import { interpretSheet } from '../src/pipeline/interpret.ts';
import { decodeImage } from '../src/pipeline/preprocess.ts';
import { registerPage } from '../src/pipeline/register.ts';
import { defaultCalibration, pagesOfBytes } from './helpers.ts';

interface GridPosition {
  side: 'front' | 'back';
  row: number;
  writeInArea?: { y: number };
}

function electionOn(paper: PaperSize) {
  const vx = demoElectionVxf() as {
    ballotLayout: { paperSize: string };
    gridLayouts: { gridPositions: GridPosition[] }[];
  };
  vx.ballotLayout.paperSize = paper;
  const shift = PAPER_GRIDS[paper].rows - PAPER_GRIDS.letter.rows;
  for (const layout of vx.gridLayouts) {
    for (const p of layout.gridPositions) {
      if (p.side !== 'back') continue;
      p.row += shift;
      if (p.writeInArea) p.writeInArea.y += shift;
    }
  }
  const imported = importVxf(Buffer.from(JSON.stringify(vx)));
  if (!imported.ok) throw new Error(imported.errors.join('\n'));
  return imported.value.election;
}

describe('paper longer than letter', () => {
  it('imports every VotingWorks paper size with its grid, and names them when one is unknown', () => {
    expect(electionOn('custom-8.5x17').grid).toEqual({ columns: 34, rows: 65 });
    expect(electionOn('custom-8.5x22').grid).toEqual({ columns: 34, rows: 85 });
    const vx = demoElectionVxf() as { ballotLayout: { paperSize: string } };
    vx.ballotLayout.paperSize = 'a4';
    const r = importVxf(Buffer.from(JSON.stringify(vx)));
    expect(r.ok ? [] : r.errors).toEqual([
      'Expected one of "letter", "legal", "custom-8.5x17", "custom-8.5x18", "custom-8.5x19", "custom-8.5x20", "custom-8.5x21", "custom-8.5x22" for ballotLayout.paperSize but received "a4" of type string',
    ]);
  });

  const cases: [PaperSize, Dpi, 'jpeg' | 'tiff-g4'][] = [
    ['legal', 200, 'jpeg'],
    ['custom-8.5x17', 200, 'jpeg'],
    ['custom-8.5x17', 150, 'tiff-g4'],
    ['custom-8.5x19', 200, 'tiff-g4'],
    ['custom-8.5x22', 150, 'jpeg'],
  ];
  it.each(cases)('reads %s sheets at %i dpi (%s)', { timeout: 60_000 }, async (paper, dpi, format) => {
    const election = electionOn(paper);
    const pairs = [];
    for (const seed of [11, 12, 13]) {
      const sheet = await generateSheet(election, { profile: 'realistic', dpi, format }, seed);
      const images =
        'multipage' in sheet.images ? [sheet.images.multipage] : [sheet.images.front, sheet.images.back];
      const pages = await pagesOfBytes(images);
      const outcome = interpretSheet(pages, election, defaultCalibration());
      pairs.push({ truth: sheet.truth, outcome });
    }
    const r = scoreAccuracy(pairs);
    expect(r.rejectedSheets).toEqual([]);
    expect(r.identification.ballotStyleRight).toBe(3);
    expect(r.identification.sideRight).toBe(r.identification.images);
    expect(r.identification.orientationRight).toBe(r.identification.images);
    expect(r.targets.missing).toBe(0);
    // the back side's targets, near the far end of the page, are among those scored
    expect(r.targets.scored).toBeGreaterThan(60);
    expect(r.targets.clearWrongCases).toEqual([]);
    expect(r.targets.ambiguousUnflaggedCases).toEqual([]);
  });

  it('tells the paper from the number of rows when the election does not say, and refuses the wrong one', async () => {
    const election = electionOn('custom-8.5x17');
    const sheet = await generateSheet(election, { profile: 'clean', dpi: 150, format: 'jpeg' }, 5);
    if ('multipage' in sheet.images) throw new Error('expected two files');
    const decoded = await decodeImage(sheet.images.front);
    if (decoded.type !== 'ok') throw new Error(decoded.detail);
    const page = decoded.pages[0] as (typeof decoded.pages)[0];
    const auto = registerPage(page);
    expect(auto.type === 'ok' && [auto.paper, auto.rows]).toEqual(['custom-8.5x17', 65]);
    const wrong = registerPage(page, { paper: 'legal' });
    expect(wrong.type === 'unreadable' && [wrong.reason, wrong.detail]).toEqual([
      'wrong-paper-size',
      'expected legal (53 rows) but found custom-8.5x17 timing marks',
    ]);
  });
});
