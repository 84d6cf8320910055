import { describe, expect, it } from 'vitest';
import { parseSheetRecord, sheetStatus } from '../src/tally/records.ts';
import {
  SAMPLE_HASH as HASH,
  sampleElection,
  sampleRecords,
  syntheticRecord,
  syntheticSheet,
} from '../src/tally/synthetic.ts';
import { checkSheetCounts, checkTally, type Tally, tally } from '../src/tally/tally.ts';

function votesOf(t: Tally, contestId: string): Record<string, number> {
  const c = t.contests.find((x) => x.contestId === contestId);
  return Object.fromEntries((c?.options ?? []).map((o) => [o.optionId, o.votes]));
}

function shuffled<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  let s = seed;
  for (let i = out.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) % 2147483648;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

describe('tally', () => {
  const e = sampleElection();
  const records = sampleRecords(e);
  const t = tally(e, records);

  it('counts sheets: inputs = recorded + needing review + rejected, rejected by reason', () => {
    expect(t.sheets).toEqual({
      inputs: 10,
      recorded: 4,
      needsReview: 3,
      rejected: 3,
      rejectedByReason: { 'blank-page': 1, 'no-timing-marks': 2 },
      blankBallots: 1,
    });
    expect(Object.keys(t.sheets.rejectedByReason)).toEqual(['blank-page', 'no-timing-marks']);
    expect(checkSheetCounts(t.sheets)).toBeUndefined();
    expect(checkTally(t)).toEqual([]);
    expect(t.warnings).toEqual([]);
  });

  it('counts a vote-for-1 contest with an overvote, a cross-endorsed candidate once and a write-in', () => {
    expect(votesOf(t, 'mayor')).toEqual({ alice: 2, bob: 0, carol: 2, 'write-in-0': 1 });
    const mayor = t.contests.find((c) => c.contestId === 'mayor');
    expect(mayor).toMatchObject({ ballots: 7, overvotes: 1, undervotes: 1, blank: 1, seats: 1 });
    expect(mayor?.options.map((o) => o.optionId)).toEqual(['alice', 'bob', 'carol', 'write-in-0']);
  });

  it('counts a vote-for-2 contest with undervotes summed and votes on sheets needing review', () => {
    expect(votesOf(t, 'council')).toEqual({ dan: 3, eve: 2, fay: 1, 'write-in-0': 0, 'write-in-1': 1 });
    // undervotes: 0 + 1 + 0 + 1 + 1 + 2 + 2
    expect(t.contests.find((c) => c.contestId === 'council')).toMatchObject({
      ballots: 7,
      overvotes: 0,
      undervotes: 7,
      blank: 2,
    });
    expect(votesOf(t, 'prop1')).toEqual({ 'prop1-yes': 4, 'prop1-no': 2 });
  });

  it('sums write-ins into one option in combined mode', () => {
    const c = tally(e, records, { writeIns: 'combined' });
    expect(votesOf(c, 'council')).toEqual({ dan: 3, eve: 2, fay: 1, 'write-in': 1 });
    expect(votesOf(c, 'mayor')).toEqual({ alice: 2, bob: 0, carol: 2, 'write-in': 1 });
    expect(checkTally(c)).toEqual([]);
  });

  it('splits by precinct, ballot style and batch', () => {
    expect(t.byPrecinct.map((g) => [g.id, g.sheets.inputs, g.sheets.recorded, g.sheets.needsReview])).toEqual(
      [
        ['p1', 5, 3, 2],
        ['p2', 2, 1, 1],
      ],
    );
    const p2 = t.byPrecinct.find((g) => g.id === 'p2');
    expect(
      p2?.contests.find((c) => c.contestId === 'mayor')?.options.find((o) => o.optionId === 'alice')?.votes,
    ).toBe(1);
    expect(t.byBallotStyle.map((g) => [g.id, g.sheets.inputs])).toEqual([['bs1', 7]]);
    expect(t.byBatch.map((g) => [g.id, g.sheets])).toEqual([
      [
        'batch-a',
        {
          inputs: 5,
          recorded: 4,
          needsReview: 0,
          rejected: 1,
          rejectedByReason: { 'no-timing-marks': 1 },
          blankBallots: 0,
        },
      ],
      [
        'batch-b',
        {
          inputs: 5,
          recorded: 0,
          needsReview: 3,
          rejected: 2,
          rejectedByReason: { 'blank-page': 1, 'no-timing-marks': 1 },
          blankBallots: 1,
        },
      ],
    ]);
  });

  it('rejected sheets count no votes', () => {
    const onlyRejected = tally(
      e,
      records.filter((r) => r.outcome.type === 'rejected'),
    );
    expect(onlyRejected.contests.every((c) => c.ballots === 0 && c.options.every((o) => o.votes === 0))).toBe(
      true,
    );
    expect(onlyRejected.byPrecinct).toEqual([]);
  });

  it('gives identical JSON whatever the order of the records', () => {
    const json = JSON.stringify(t);
    for (const seed of [1, 2, 3, 42]) expect(JSON.stringify(tally(e, shuffled(records, seed)))).toBe(json);
  });

  it('reports the broken sheet equation and inconsistent contest counts', () => {
    expect(checkSheetCounts({ ...t.sheets, recorded: 3 })).toBe(
      'Expected inputs = recorded + needing review + rejected for sheets but received 10 ≠ 3 + 3 + 3',
    );
    const broken = structuredClone(t);
    const first = broken.contests[0]?.options[0];
    if (first) first.votes += 1;
    expect(checkTally(broken)).toEqual([
      'Expected votes + undervotes + seats × overvotes = seats × ballots for contest "mayor" in the total but received 6 + 1 + 1 × 1 ≠ 1 × 7',
    ]);
  });

  it('warns about ids the election does not know, in an order-independent way', () => {
    const odd = syntheticSheet(e, 'bs1', { marked: { mayor: ['alice'] } });
    const c = odd.contests[0];
    if (c) c.votes = ['zed'];
    const w = tally(e, [
      syntheticRecord('000020', odd),
      syntheticRecord('000011', odd),
      syntheticRecord('000011', odd),
    ]);
    expect(w.warnings).toEqual([
      'Expected an option of contest "mayor" but received "zed" on 3 sheets (first 000011)',
      'Expected unique sheet ids but received a duplicate on 1 sheet (first 000011)',
    ]);
    expect(checkTally(w)).toHaveLength(4); // total, precinct, ballot style, batch
  });

  it('says on how many sheets a scanner streak or a line across the page was taken out of targets', () => {
    const streaked = syntheticSheet(e, 'bs1', { marked: { mayor: ['alice'] } });
    const page = { side: 'front' as const, imageIndex: 0, page: 0, widthPx: 1700, heightPx: 2200, dpi: 200 };
    streaked.pages = [
      {
        ...page,
        rotated180: false,
        marksInferred: 0,
        warnings: [
          'a scanner streak runs down the page through 3 targets (near x 640 px): each was read with the streak taken out',
        ],
        timingMarksPx: { left: [], right: [], top: [], bottom: [] },
      },
    ];
    const plain = syntheticSheet(e, 'bs1', { marked: { mayor: ['alice'] } });
    const w = tally(e, [
      syntheticRecord('000031', streaked),
      syntheticRecord('000030', plain),
      syntheticRecord('000032', streaked),
    ]);
    expect(w.warnings).toEqual([
      'A scanner streak (a dark line down the page, dirt on the glass) ran through targets and was taken out before they were read on 2 sheets (first 000031)',
    ]);
  });
});

describe('sheet records', () => {
  it('parses a record and says what is wrong with a bad one', () => {
    const e = sampleElection();
    const r = sampleRecords(e)[0];
    expect(parseSheetRecord(JSON.parse(JSON.stringify(r)))).toEqual({ ok: true, value: r });
    const bad = parseSheetRecord({ ...r, sheetId: '', imageSha256: ['nothex', HASH] });
    expect(bad.ok).toBe(false);
    if (!bad.ok) {
      expect(bad.errors).toContain('Expected value at least 1 for sheetId but received "" of type string');
      expect(bad.errors.some((m) => m.includes('imageSha256[0]'))).toBe(true);
    }
  });

  it('gives every outcome one status', () => {
    const e = sampleElection();
    expect(sampleRecords(e).map((r) => sheetStatus(r.outcome))).toEqual([
      'recorded',
      'recorded',
      'recorded',
      'needs-review',
      'needs-review',
      'needs-review',
      'recorded',
      'rejected',
      'rejected',
      'rejected',
    ]);
  });
});
