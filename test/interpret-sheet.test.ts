/**
 * How the images of one sheet make a sheet: a one-sided ballot's back is scanned as blank paper, and that
 * is fine only where the layout has nothing on that side.
 */
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { demoElectionVxf, generateSheet } from '../samples/generator/index.ts';
import { reviewThresholds } from '../src/election/calibration.ts';
import type { Election } from '../src/election/election.ts';
import { importVxf } from '../src/election/vxf.ts';
import { interpretSheet } from '../src/pipeline/interpret.ts';
import type { SheetOutcome } from '../src/pipeline/outcome.ts';
import { defaultCalibration, pagesOfBytes } from './helpers.ts';

/** The demo election with card-number-2 printed on one side only (its back positions dropped). */
function oneSidedStyleElection(): Election {
  const vx = demoElectionVxf() as {
    gridLayouts: { ballotStyleId: string; gridPositions: { side: string }[] }[];
  };
  for (const l of vx.gridLayouts)
    if (l.ballotStyleId === 'card-number-2')
      l.gridPositions = l.gridPositions.filter((p) => p.side === 'front');
  const imported = importVxf(Buffer.from(JSON.stringify(vx)));
  if (!imported.ok) throw new Error(imported.errors.join('\n'));
  return imported.value.election;
}

async function blankLike(image: Buffer): Promise<Buffer> {
  const { width, height } = await sharp(image).metadata();
  return sharp({
    create: { width: width ?? 1700, height: height ?? 2200, channels: 3, background: '#fbfbf8' },
  })
    .withDensity(200)
    .jpeg()
    .toBuffer();
}

async function read(election: Election, images: Buffer[]): Promise<SheetOutcome> {
  return interpretSheet(await pagesOfBytes(images), election, defaultCalibration());
}

describe('a sheet with a blank page', () => {
  const election = oneSidedStyleElection();
  /** A clean generated sheet of a style: its front, and blank paper of the same size for its back. */
  const frontAndBlank = async (ballotStyleId: string, seed: number) => {
    const sheet = await generateSheet(
      election,
      { profile: 'clean', dpi: 200, format: 'jpeg', ballotStyleId },
      seed,
    );
    if (!('front' in sheet.images)) throw new Error('expected two images');
    return { sheet, front: sheet.images.front, blank: await blankLike(sheet.images.front) };
  };

  it('reads a one-sided ballot whose back was scanned as blank paper, in either order', async () => {
    const { sheet, front, blank } = await frontAndBlank('card-number-2', 7);
    const truthVotes = Object.fromEntries(
      sheet.truth.contests.filter((c) => c.marked.length > 0).map((c) => [c.contestId, c.votes]),
    );
    for (const images of [
      [front, blank],
      [blank, front],
    ]) {
      const out = await read(election, images);
      if (out.type !== 'interpreted') expect.fail(`rejected: ${out.reason}: ${out.detail}`);
      expect(out.ballotStyleId).toBe('card-number-2');
      expect(out.pages.map((p) => p.side)).toEqual(['front']);
      const blankIndex = images.indexOf(blank) + 1;
      expect(out.pages[0]?.warnings).toContain(
        `image ${blankIndex} is blank paper: taken as the unprinted other side of a one-sided sheet`,
      );
      const ours = Object.fromEntries(
        out.contests.filter((c) => c.marked.length > 0).map((c) => [c.contestId, c.votes]),
      );
      expect(ours).toEqual(truthVotes);
    }
  });

  it('rejects a blank page where the sheet has targets, and a sheet of blank pages', async () => {
    const { front, blank } = await frontAndBlank('card-number-1', 8);
    const out = await read(election, [front, blank]);
    expect(out.type === 'rejected' && [out.reason, out.detail]).toEqual([
      'missing-page',
      expect.stringMatching(/^image 2 is blank paper, but the back of this sheet has \d+ targets$/),
    ]);
    const none = await read(election, [blank, blank]);
    expect(none.type === 'rejected' && [none.reason, none.detail]).toEqual([
      'blank-page',
      'image 1: the page is blank (no ink found)',
    ]);
  });
});

describe('marks at the edge of what a scan keeps', () => {
  const demoElection = () => {
    const imported = importVxf(Buffer.from(JSON.stringify(demoElectionVxf())));
    if (!imported.ok) throw new Error(imported.errors.join('\n'));
    return imported.value.election;
  };
  /**
   * One sheet of the realistic 20,000-sheet corpus, generated again from its seed and read: the truth of
   * its ambiguous mark of `kind` on the front at (`column`, `row`), which must be one a person can see,
   * our reading of that target, and the reasons the sheet gives.
   */
  const ambiguousTarget = async (
    sheetId: string,
    seed: number,
    kind: string,
    at: { column: number; row: number },
  ) => {
    const election = demoElection();
    const { images, truth } = await generateSheet(election, { profile: 'realistic', sheetId }, seed);
    const out = await read(election, 'front' in images ? [images.front, images.back] : [images.multipage]);
    if (out.type !== 'interpreted') expect.fail(`rejected: ${out.reason}: ${out.detail}`);
    const mark = truth.targets.find((t) => t.kind === kind && t.column === at.column && t.row === at.row);
    expect(mark).toMatchObject({ side: 'front', ambiguous: true, visibleInScan: true });
    const ours = out.targets.find((t) => t.side === 'front' && t.column === at.column && t.row === at.row);
    return { where: { contestId: mark?.contestId, optionId: mark?.optionId }, ours, reasons: out.reasons };
  };

  it('a solid spot with a speck or two beside it is sent to review as an ink spot', async () => {
    // sheet 009857 (a 200 dpi G4 page): a dot of a few pixels in the write-in oval of column 32 with a lone
    // speck under it (looked at in the scan). The speck makes a fifth of the interior's ink isolated
    // specks; that used to pass the spot for scan speckle.
    const { where, ours, reasons } = await ambiguousTarget('009857', 507663752, 'hesitation-dot', {
      column: 32,
      row: 8,
    });
    const { spot, speckle } = reviewThresholds(defaultCalibration());
    expect(ours?.status).toBe('marginal');
    expect(ours?.speckle01).toBeGreaterThanOrEqual(speckle);
    expect(ours?.spot01).toBeGreaterThanOrEqual(spot);
    expect(reasons).toContainEqual({
      type: 'ink-spot',
      ...where,
      fill01: ours?.fill01,
      spot01: ours?.spot01,
    });
  });

  it('a dot a 150 dpi black-and-white scan kept as 3 pixels is sent to review as an ink spot', async () => {
    // sheet 001838 (a 150 dpi G4 page): the scan's threshold left 3 black pixels of a hesitation dot in the
    // write-in oval of column 32, 1 % of its interior, the share from which the generator's truth calls a
    // dot visible
    const { where, ours, reasons } = await ambiguousTarget('001838', 723328475, 'hesitation-dot', {
      column: 32,
      row: 12,
    });
    expect(ours?.status).toBe('marginal');
    expect(ours?.spot01).toBeGreaterThanOrEqual(reviewThresholds(defaultCalibration()).spot);
    expect(reasons).toContainEqual({
      type: 'ink-spot',
      ...where,
      fill01: ours?.fill01,
      spot01: ours?.spot01,
    });
  });

  it('a pencil circle a black-and-white scan broke into dots is sent to review as ink round the oval', async () => {
    // sheet 003586 (a 200 dpi G4 page): of a light pencil circle round the candidate's oval in column 12,
    // row 26, the scan kept two dashes and a few dots (looked at in the scan), ink in under half the
    // sectors round it
    const { where, ours, reasons } = await ambiguousTarget('003586', 689794703, 'circle', {
      column: 12,
      row: 26,
    });
    const { surround, surroundBilevel } = reviewThresholds(defaultCalibration());
    expect(ours?.status).toBe('unmarked');
    expect(ours?.surround01).toBeLessThan(surround);
    expect(ours?.surround01).toBeGreaterThanOrEqual(surroundBilevel);
    expect(reasons).toContainEqual({
      type: 'mark-outside-target',
      ...where,
      outsideInk01: ours?.outsideInk01,
      surround01: ours?.surround01,
    });
  });

  it('a gray dot hanging from the inside of the outline is sent to review by the ink on its inner side', async () => {
    // sheet 015703 (a 300 dpi JPEG): a gray notch hangs from the top of the write-in oval of column 32 into
    // it (looked at in the scan), beside the rule printed right of that column. Read over the whole strip
    // across the outline, which the rule reaches into, it stays under the threshold; nothing is printed
    // inside the outline, so its inner side alone has a lower one.
    const { where, ours, reasons } = await ambiguousTarget('015703', 1463467681, 'hesitation-dot', {
      column: 32,
      row: 16,
    });
    const { edgeInk, edgeInward } = reviewThresholds(defaultCalibration());
    expect(ours?.status).toBe('marginal');
    expect(ours?.edgeInk01).toBeLessThan(edgeInk);
    expect(ours?.edgeInward01).toBeGreaterThanOrEqual(edgeInward);
    expect(reasons).toContainEqual({
      type: 'ink-on-outline',
      ...where,
      fill01: ours?.fill01,
      edgeInk01: ours?.edgeInk01,
      edgeInward01: ours?.edgeInward01,
    });
  });
});
