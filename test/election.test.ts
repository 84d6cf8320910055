import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type Bit, decodeAccuvote, encodeAccuvote } from '../src/election/accuvote.ts';
import { loadCalibration, parseCalibration } from '../src/election/calibration.ts';
import { contestOptions, parseElection } from '../src/election/election.ts';
import { importVxf } from '../src/election/vxf.ts';
import { AMHERST, HAVE_SHARED, HUDSON, VXQA } from './fixtures.ts';

const readElection = (dir: string) => readFileSync(join(dir, 'election.json'));

function imported(dir: string) {
  const r = importVxf(readElection(dir));
  if (!r.ok) throw new Error(r.errors.join('\n'));
  return r.value;
}

const targetsPerSide = (dir: string) =>
  Object.fromEntries(
    imported(dir).election.layouts.map((l) => [
      `${l.ballotStyleId}/${l.sheetNumber}/${l.side}`,
      l.targets.length,
    ]),
  );

describe.skipIf(!HAVE_SHARED)('VXF import of the real definitions', () => {
  it('reads Hudson (2022 variant, legal)', () => {
    const { election, warnings } = imported(HUDSON);
    expect(election.source.format).toBe('vxf-2022');
    expect(election.paper).toBe('legal');
    expect(election.grid).toEqual({ columns: 34, rows: 53 });
    expect(election.contests).toHaveLength(13);
    expect(election.contests.reduce((n, c) => n + contestOptions(c).length, 0)).toBe(75);
    expect(targetsPerSide(HUDSON)).toEqual({ 'card-number-54/1/front': 55, 'card-number-54/1/back': 20 });
    expect(warnings).toEqual([]);
  });

  it('reads Amherst (2022 variant, letter, legacy 53-row grid, cross-endorsed candidate, bare yes/no)', () => {
    const { election, warnings } = imported(AMHERST);
    expect(election.paper).toBe('letter');
    expect(election.grid).toEqual({ columns: 34, rows: 41 });
    expect(warnings).toEqual([
      'gridLayouts[0] states a 34x53 grid; letter paper has 34x41 timing marks, which is what is used',
    ]);
    expect(election.contests).toHaveLength(14);
    expect(targetsPerSide(AMHERST)).toEqual({ 'card-number-3/1/front': 32, 'card-number-3/1/back': 20 });
    const back = election.layouts.find((l) => l.side === 'back');
    const randolph = back?.targets.filter((t) => t.optionId === 'Edward-Randolph-bf4c848a');
    expect(randolph).toHaveLength(2);
    const measure = election.contests.find((c) => c.type === 'yesno');
    expect(measure?.type === 'yesno' && [measure.yesOption.id, measure.noOption.id]).toEqual(['yes', 'no']);
  });

  it('reads the v4.1 definition (ballotPositions, write-in areas, multi-sheet style)', () => {
    const { election } = imported(VXQA);
    expect(election.source.format).toBe('vxf-4.1');
    expect(election.metadataEncoding).toBe('qr-code');
    expect(election.contests).toHaveLength(6);
    expect(targetsPerSide(VXQA)).toEqual({
      '1_en/1/front': 3,
      '1_en/1/back': 0,
      '2_en/1/front': 17,
      '2_en/1/back': 0,
      '2_en/2/front': 4,
      '2_en/2/back': 0,
    });
    const writeIn = election.layouts[0]?.targets.find((t) => t.type === 'write-in');
    expect(writeIn?.type === 'write-in' && writeIn.writeInArea).toEqual({
      row: 15.614538310412573,
      column: 1.4535331113577517,
      width: 7.799999999999999,
      height: 1,
    });
    expect(election.source.sha256).toBe('fc42b2550ca6be89c4cb17ff1d7a0c6bfea0d691bf6ad3e581abbf436766b24e');
  });
});

function minimalVxf() {
  return {
    title: 'Test',
    date: '2024-11-05',
    state: 'XX',
    county: { id: 'c', name: 'County' },
    ballotLayout: { paperSize: 'letter' },
    parties: [{ id: 'p1', name: 'Party', abbrev: 'P' }],
    districts: [{ id: 'd1', name: 'District' }],
    precincts: [{ id: 'pr1', name: 'Precinct' }],
    contests: [
      {
        type: 'candidate',
        id: 'mayor',
        districtId: 'd1',
        title: 'Mayor',
        seats: 1,
        allowWriteIns: true,
        candidates: [{ id: 'alice', name: 'Alice', partyIds: ['p1'] }],
      },
      { type: 'yesno', id: 'm1', districtId: 'd1', title: 'Measure 1' },
    ],
    ballotStyles: [{ id: 'bs1', precincts: ['pr1'], districts: ['d1'] }],
    gridLayouts: [
      {
        ballotStyleId: 'bs1',
        columns: 34,
        rows: 41,
        gridPositions: [
          {
            type: 'option',
            sheetNumber: 1,
            side: 'front',
            column: 12,
            row: 8,
            contestId: 'mayor',
            optionId: 'alice',
          },
          {
            type: 'write-in',
            sheetNumber: 1,
            side: 'front',
            column: 12,
            row: 10,
            contestId: 'mayor',
            writeInIndex: 0,
            writeInArea: { x: 3, y: 9.5, width: 8, height: 1 },
          },
          {
            type: 'option',
            sheetNumber: 1,
            side: 'back',
            column: 12,
            row: 8,
            contestId: 'm1',
            optionId: 'yes',
          },
          {
            type: 'option',
            sheetNumber: 1,
            side: 'back',
            column: 20,
            row: 8,
            contestId: 'm1',
            optionId: 'no',
          },
        ],
      },
    ],
  };
}

const importErrors = (vx: unknown) => {
  const r = importVxf(JSON.stringify(vx));
  return r.ok ? [] : r.errors;
};

describe('election definition errors: one message per problem, with path and value', () => {
  it('accepts a minimal v4.0 definition', () => {
    const r = importVxf(JSON.stringify(minimalVxf()));
    expect(r.ok).toBe(true);
    if (r.ok) {
      expect(r.value.election.source.format).toBe('vxf-4.0');
      const wi = r.value.election.layouts[0]?.targets[1];
      expect(wi).toMatchObject({
        type: 'write-in',
        optionId: 'write-in-0',
        writeInArea: { column: 3, row: 9.5 },
      });
    }
  });

  it('pins the messages (shape problems first, then references)', () => {
    const bad = minimalVxf();
    (bad.contests[0] as { seats: number }).seats = 0;
    (bad.contests[1] as { title: unknown }).title = null;
    expect(importErrors(bad)).toEqual([
      'Expected number at least 1 for contests[0].seats but received 0 of type number',
      'Expected string for contests[1].title but received null',
    ]);
    const vx = minimalVxf();
    (vx.gridLayouts[0]?.gridPositions[0] as { contestId: string }).contestId = 'nope';
    (vx.gridLayouts[0]?.gridPositions[2] as { column: number }).column = 40;
    vx.precincts.push({ id: 'pr1', name: 'Again' });
    expect(importErrors(vx)).toEqual([
      'Expected unique id for precincts[1].id but received duplicate "pr1"',
      'Expected a known contest id for layouts[0].targets[0].contestId but received "nope"',
      'Expected number between 0 and 33 for layouts[1].targets[0].column but received 40',
    ]);
  });

  it('names wrong types and unknown paper', () => {
    const vx = minimalVxf() as Record<string, unknown>;
    vx.title = 5;
    expect(importErrors(vx)).toEqual(['Expected string for title but received 5 of type number']);
    const vx2 = minimalVxf();
    vx2.ballotLayout.paperSize = 'custom-8.5x16';
    expect(importErrors(vx2)).toEqual([
      'Expected one of "letter", "legal", "custom-8.5x17", "custom-8.5x18", "custom-8.5x19", "custom-8.5x20", "custom-8.5x21", "custom-8.5x22" for ballotLayout.paperSize but received "custom-8.5x16" of type string',
    ]);
    const notJson = importVxf('{');
    expect(notJson.ok ? [] : notJson.errors[0]).toMatch(
      /^Expected JSON for the election definition but it did not parse/,
    );
  });

  it('rejects an option that is not in its contest and a write-in on a contest without write-ins', () => {
    const vx = minimalVxf();
    (vx.gridLayouts[0]?.gridPositions[0] as { optionId: string }).optionId = 'bob';
    (vx.contests[0] as { allowWriteIns: boolean }).allowWriteIns = false;
    expect(importErrors(vx)).toEqual([
      'Expected an option of contest "mayor" for layouts[0].targets[0].optionId but received "bob"',
      'Expected a contest that allows write-ins for layouts[0].targets[1] but received contest "mayor"',
    ]);
  });

  it('reads a VxDesign-style definition: QR metadata, fractional positions, a bubble per endorsing party', () => {
    // as VotingWorks' generated elections are written (electionFamousNames2021 with grid layouts): bubbles
    // at the left of their options, between timing marks, and one candidate with a bubble in each party
    const vx = minimalVxf() as ReturnType<typeof minimalVxf> & Record<string, unknown>;
    vx.ballotLayout = { paperSize: 'letter', metadataEncoding: 'qr-code' } as typeof vx.ballotLayout;
    const layout = vx.gridLayouts[0] as Record<string, unknown> & { gridPositions: unknown[] };
    delete layout.columns;
    delete layout.rows;
    layout.optionBoundsFromTargetMark = { top: 0.98, right: 9.2, bottom: 1.17, left: 0.76 };
    layout.gridPositions = [
      {
        type: 'option',
        sheetNumber: 1,
        side: 'front',
        column: 1.7146,
        row: 12.8014,
        contestId: 'mayor',
        optionId: 'alice',
        partyIds: ['p1'],
      },
      {
        type: 'option',
        sheetNumber: 1,
        side: 'front',
        column: 1.7146,
        row: 14.8201,
        contestId: 'mayor',
        optionId: 'alice',
        partyIds: ['p2'],
      },
      {
        type: 'option',
        sheetNumber: 1,
        side: 'back',
        column: 1.7146,
        row: 5.25,
        contestId: 'm1',
        optionId: 'yes',
      },
    ];
    vx.parties.push({ id: 'p2', name: 'Other', abbrev: 'O' });
    const r = importVxf(JSON.stringify(vx));
    expect(r.ok ? [] : r.errors).toEqual([]);
    if (!r.ok) return;
    expect(r.value.warnings).toEqual([]);
    const e = r.value.election;
    expect(e.metadataEncoding).toBe('qr-code');
    expect(e.layouts.find((l) => l.side === 'front')?.targets).toMatchObject([
      { type: 'option', optionId: 'alice', column: 1.7146, row: 12.8014 },
      { type: 'option', optionId: 'alice', column: 1.7146, row: 14.8201 },
    ]);
  });

  it('says in one message when a definition has no target positions at all (ballot-marking-device only)', () => {
    const { gridLayouts: _, ...vx } = minimalVxf();
    expect(importErrors(vx)).toEqual([
      'Expected the positions of the ballot targets (gridLayouts, or ballotPositions in each ballot style) but received neither: this definition describes no hand-marked paper ballot (it may be for ballot-marking-device ballots only), so there is nothing on a scan to read',
    ]);
  });

  it('parseElection never throws on garbage', () => {
    for (const v of [null, 1, 'x', [], {}]) expect(parseElection(v).ok).toBe(false);
  });
});

describe('AccuVote bottom-row metadata', () => {
  const front: Bit[] = [
    0, 1, 0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
  ];
  const back: Bit[] = [
    0, 0, 1, 1, 0, 1, 1, 1, 0, 0, 1, 1, 0, 1, 0, 0, 0, 1, 1, 0, 0, 0, 1, 1, 1, 1, 0, 1, 1, 1, 1, 0,
  ];

  it('decodes the Amherst bits to the values VotingWorks asserts', () => {
    expect(decodeAccuvote(front)).toEqual({
      side: 'front',
      batchOrPrecinctNumber: 56,
      cardNumber: 3,
      sequenceNumber: 0,
    });
    expect(decodeAccuvote(back)).toEqual({
      side: 'back',
      electionDay: 12,
      electionMonth: 7,
      electionYear: 22,
      electionType: 'G',
    });
  });

  it('round-trips and catches a flipped bit by checksum', () => {
    const f = decodeAccuvote(front);
    if (f.side !== 'front') throw new Error('expected front');
    expect(encodeAccuvote(f)).toEqual(front);
    const flipped = [...front];
    flipped[5] = flipped[5] ? 0 : 1;
    expect(decodeAccuvote(flipped).side).toBe('unknown');
  });
});

describe('calibration profiles', () => {
  it('loads the shipped default by name', () => {
    const r = loadCalibration('default');
    expect(r.ok).toBe(true);
  });
  it('pins the messages', () => {
    const r = parseCalibration({
      schemaVersion: 1,
      name: 'x',
      thresholds: { definite: 0.1, marginal: 0.2, writeInInk: 2 },
    });
    expect(r.ok ? [] : r.errors).toEqual([
      'Expected number at most 1 for thresholds.writeInInk but received 2 of type number',
      'Expected number at most thresholds.definite for thresholds.marginal but received 0.2 of type number',
    ]);
    const r2 = parseCalibration({
      schemaVersion: 1,
      name: 'x',
      thresholds: { definite: 0.1, marginal: 0.2, writeInInk: 0.1 },
    });
    expect(r2.ok ? [] : r2.errors).toEqual([
      'Expected number at most thresholds.definite for thresholds.marginal but received 0.2 of type number',
    ]);
    expect(loadCalibration('no-such-profile').ok).toBe(false);
  });
});
