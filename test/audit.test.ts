/**
 * Audit on a generated batch: the demo batch tallied once, then "official" data made from our own outputs
 * with known errors injected. Every injected error must be found and classified, and nothing else.
 */

import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyToSheet } from '../src/audit/adjudicate.ts';
import type { BallotDiscrepancy, CompareReport } from '../src/audit/compare.ts';
import { loadOurBatch, type OurBatch } from '../src/audit/ours.ts';
import { runAdjudicate } from '../src/cli/adjudicate.ts';
import { runCompare } from '../src/cli/compare.ts';
import { main } from '../src/cli/main.ts';
import type { InterpretedSheet } from '../src/pipeline/outcome.ts';
import { buildCvr } from '../src/report/cvr-nist.ts';
import { tally } from '../src/tally/tally.ts';
import { capture } from './helpers.ts';
import { HAVE_SCHEMAS, validator } from './nist.ts';

const ROOT = join(import.meta.dirname, '..');
const DEMO = join(ROOT, 'samples', 'demo');

let tmp = '';
let ours = '';
let batch: OurBatch;

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'audit-'));
  ours = join(tmp, 'ours');
  const io = capture();
  const code = await main(
    ['tally', DEMO, '--election', join(DEMO, 'election.json'), '--out', ours, '--json'],
    io,
  );
  expect(code, io.err()).toBe(1); // the demo holds sheets needing review
  const loaded = loadOurBatch(ours, ROOT);
  if (!loaded.ok) throw new Error(loaded.errors.join('\n'));
  batch = loaded.value;
});
afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

const readJson = (path: string) => JSON.parse(readFileSync(path, 'utf8'));

async function compareJson(args: string[]): Promise<{ code: number; report: CompareReport; err: string }> {
  const io = capture();
  const code = await runCompare(['--ours', ours, '--json', ...args], io);
  return { code, report: code === 2 ? (undefined as never) : JSON.parse(io.out()), err: io.err() };
}

describe('our side read back', () => {
  it('rebuilds an election that writes the same CVRs and the same tally', () => {
    const report = readJson(join(ours, 'cvr-report.json'));
    const written = new Map<string, unknown>(report.CVR.map((c: { UniqueId: string }) => [c.UniqueId, c]));
    let n = 0;
    for (const { record } of batch.sheets) {
      if (record.outcome.type !== 'interpreted') continue;
      expect(buildCvr(batch.election, { ...record, outcome: record.outcome })).toEqual(
        written.get(record.sheetId),
      );
      n++;
    }
    expect(n).toBe(40);
    expect(
      tally(
        batch.election,
        batch.sheets.map((s) => s.record),
      ),
    ).toEqual(readJson(join(ours, 'tally.json')));
  });
});

describe('compare with our own outputs', () => {
  it.each([['results.json'], ['cvr-report.json']])('%s: no difference, exit 0', async (file) => {
    const { code, report } = await compareJson(['--official', join(ours, file)]);
    expect(code).toBe(0);
    expect(report.summary).toMatchObject({
      contestsCompared: 11,
      largestDifference: 0,
      ballotDiscrepancies: 0,
    });
    expect(report.summary.withinTolerance).toBe(true);
    if (file === 'cvr-report.json') expect(report.ballots?.matched).toBe(40);
  });
});

type Cvr = {
  UniqueId: string;
  CurrentSnapshotId: string;
  CVRSnapshot: {
    '@id': string;
    CVRContest: {
      ContestId: string;
      Overvotes: number;
      Status?: string[];
      CVRContestSelection: { ContestSelectionId: string; TotalNumberVotes: number }[];
    }[];
  }[];
};

function contestOf(cvrs: Cvr[], sheetId: string, contestId: string) {
  const cvr = cvrs.find((c) => c.UniqueId === sheetId);
  const contest = cvr?.CVRSnapshot[0]?.CVRContest.find((c) => c.ContestId === contestId);
  if (!contest) throw new Error(`no ${contestId} on ${sheetId}`);
  return contest;
}
function setVote(cvrs: Cvr[], sheetId: string, contestId: string, optionId: string, votes: 0 | 1) {
  const s = contestOf(cvrs, sheetId, contestId).CVRContestSelection.find(
    (x) => x.ContestSelectionId === optionId,
  );
  if (!s) throw new Error(`no ${optionId}`);
  s.TotalNumberVotes = votes;
}

/** Sheets of the batch with a property, each used once (the interpreter may change; ids are not fixed). */
function picker(b: OurBatch) {
  const used = new Set<string>();
  return (
    what: string,
    test: (o: InterpretedSheet) => string | undefined,
  ): { sheetId: string; contestId: string } => {
    for (const { record } of b.sheets) {
      const o = record.outcome;
      if (o.type !== 'interpreted' || used.has(record.sheetId)) continue;
      const contestId = test(o);
      if (contestId !== undefined) {
        used.add(record.sheetId);
        return { sheetId: record.sheetId, contestId };
      }
    }
    throw new Error(`the demo batch has no sheet with ${what}`);
  };
}
const seatsOf = (contestId: string) =>
  batch.tally.contests.find((c) => c.contestId === contestId)?.seats ?? 1;
const candidatesOf = (contestId: string) =>
  batch.tally.contests
    .find((c) => c.contestId === contestId)
    ?.options.filter((o) => !o.isWriteIn)
    .map((o) => o.optionId) ?? [];
/** a seats-1 contest with exactly one vote and no marginal mark */
const singleVote = (o: InterpretedSheet) =>
  o.contests.find(
    (c) =>
      seatsOf(c.contestId) === 1 &&
      c.votes.length === 1 &&
      candidatesOf(c.contestId).length > 1 &&
      !o.targets.some((t) => t.contestId === c.contestId && t.status === 'marginal'),
  )?.contestId;

describe('compare with a perturbed NIST CVR export', () => {
  /** what was injected: kind, our sheet (or official record), contest */
  const injected: [BallotDiscrepancy['kind'], string, string | undefined][] = [];
  let report: CompareReport;
  let code: number;
  let extraCopyOf = '';
  let marginalOption = '';

  beforeAll(async () => {
    const pick = picker(batch);
    const recorded = (o: InterpretedSheet) => (o.needsReview ? undefined : '');
    const dropped = pick('no review', recorded);
    const duplicated = pick('no review', recorded);
    const copied = pick('no review', recorded);
    const flipped = pick('a single vote', singleVote);
    const lost = pick('a single vote', singleVote);
    const gained = pick(
      'a blank seats-1 contest',
      (o) =>
        o.contests.find(
          (c) =>
            seatsOf(c.contestId) === 1 &&
            !c.overvote &&
            c.votes.length === 0 &&
            candidatesOf(c.contestId).length > 0 &&
            !o.targets.some((t) => t.contestId === c.contestId && t.status !== 'unmarked'),
        )?.contestId,
    );
    const overvoted = pick('an overvote', (o) => o.contests.find((c) => c.overvote)?.contestId);
    const officialOver = pick('a single vote', singleVote);
    const marginal = pick(
      'a marginal mark not counted',
      (o) =>
        o.contests.find(
          (c) =>
            !c.overvote &&
            o.targets.some(
              (t) => t.contestId === c.contestId && t.status === 'marginal' && !c.votes.includes(t.optionId),
            ),
        )?.contestId,
    );
    extraCopyOf = copied.sheetId;
    injected.push(
      ['missing-official', dropped.sheetId, undefined],
      ['duplicate-official', duplicated.sheetId, undefined],
      ['different-choice', flipped.sheetId, flipped.contestId],
      ['vote-only-ours', lost.sheetId, lost.contestId],
      ['vote-only-official', gained.sheetId, gained.contestId],
      ['overvote-ours', overvoted.sheetId, overvoted.contestId],
      ['overvote-official', officialOver.sheetId, officialOver.contestId],
      ['marginal-mark', marginal.sheetId, marginal.contestId],
      ['missing-ours', 'X-999', undefined],
    );
    const votesOf = (p: { sheetId: string; contestId: string }) => {
      const o = batch.sheets.find((x) => x.record.sheetId === p.sheetId)?.record.outcome;
      return o?.type === 'interpreted' ? o.contests.find((c) => c.contestId === p.contestId) : undefined;
    };

    const doc = readJson(join(ours, 'cvr-report.json'));
    let cvrs: Cvr[] = doc.CVR;
    cvrs = cvrs.filter((c) => c.UniqueId !== dropped.sheetId);
    const dup = structuredClone(cvrs.find((c) => c.UniqueId === duplicated.sheetId));
    const extra = structuredClone(cvrs.find((c) => c.UniqueId === copied.sheetId));
    if (!dup || !extra) throw new Error('fixture');
    extra.UniqueId = 'X-999';
    cvrs.push(dup, extra);
    // flipped: the vote moves to another candidate
    const was = votesOf(flipped)?.votes[0] ?? '';
    setVote(cvrs, flipped.sheetId, flipped.contestId, was, 0);
    setVote(
      cvrs,
      flipped.sheetId,
      flipped.contestId,
      candidatesOf(flipped.contestId).find((id) => id !== was) ?? '',
      1,
    );
    setVote(cvrs, lost.sheetId, lost.contestId, votesOf(lost)?.votes[0] ?? '', 0);
    setVote(cvrs, gained.sheetId, gained.contestId, candidatesOf(gained.contestId)[0] ?? '', 1);
    // an overvote read as a vote for the first marked option
    const over = contestOf(cvrs, overvoted.sheetId, overvoted.contestId);
    over.Status = [];
    over.Overvotes = 0;
    setVote(cvrs, overvoted.sheetId, overvoted.contestId, votesOf(overvoted)?.marked[0] ?? '', 1);
    const under = contestOf(cvrs, officialOver.sheetId, officialOver.contestId);
    under.Status = ['overvoted'];
    under.Overvotes = 1;
    const m = batch.sheets.find((x) => x.record.sheetId === marginal.sheetId)?.record.outcome;
    marginalOption =
      (m?.type === 'interpreted' &&
        m.targets.find((t) => t.contestId === marginal.contestId && t.status === 'marginal')?.optionId) ||
      '';
    setVote(cvrs, marginal.sheetId, marginal.contestId, marginalOption, 1);
    doc.CVR = cvrs;
    writeFileSync(join(tmp, 'perturbed-cvr.json'), JSON.stringify(doc));
    const r = await compareJson(['--official', join(tmp, 'perturbed-cvr.json')]);
    report = r.report;
    code = r.code;
  });

  it('finds and classifies every injected error, and nothing else', () => {
    expect(code).toBe(1);
    const found = (report.ballots?.discrepancies ?? []).map(
      (d) => [d.kind, d.sheetId ?? d.officialBallotId, d.contestId] as const,
    );
    expect([...found].sort()).toEqual([...injected].sort());
    expect(report.ballots?.matched).toBe(39);
    const marginal = report.ballots?.discrepancies.find((d) => d.kind === 'marginal-mark');
    expect(marginal?.marginal.map((m) => m.optionId)).toContain(marginalOption);
    expect(marginal?.onlyOfficial).toEqual([marginalOption]);
  });

  it('the contest-level differences are exactly the sum of the ballot-level ones', () => {
    const votesOf = (sheetId: string) => {
      const o = batch.sheets.find((s) => s.record.sheetId === sheetId)?.record.outcome;
      return o?.type === 'interpreted' ? o.contests : [];
    };
    const expected = new Map<string, number>();
    const bump = (contestId: string, optionId: string, by: number) => {
      const k = `${contestId}/${optionId}`;
      expected.set(k, (expected.get(k) ?? 0) + by);
    };
    for (const d of report.ballots?.discrepancies ?? []) {
      if (d.kind === 'missing-official')
        for (const c of votesOf(d.sheetId ?? '')) for (const o of c.votes) bump(c.contestId, o, 1);
      else if (d.kind === 'duplicate-official')
        for (const c of votesOf(d.sheetId ?? '')) for (const o of c.votes) bump(c.contestId, o, -1);
      else if (d.kind === 'missing-ours')
        for (const c of votesOf(extraCopyOf)) for (const o of c.votes) bump(c.contestId, o, -1);
      else if (d.kind === 'overvote-ours')
        for (const o of d.official?.votes ?? []) bump(d.contestId ?? '', o, -1);
      else if (d.kind === 'overvote-official')
        for (const o of d.ours?.votes ?? []) bump(d.contestId ?? '', o, 1);
      else {
        for (const o of d.onlyOurs) bump(d.contestId ?? '', o, 1);
        for (const o of d.onlyOfficial) bump(d.contestId ?? '', o, -1);
      }
    }
    for (const c of report.contests)
      for (const o of c.options)
        expect(o.difference, `${c.contestId}/${o.optionId}`).toBe(
          expected.get(`${c.contestId}/${o.optionId}`) ?? 0,
        );
    // every sheet carries the first contest: one dropped (+1), one duplicated (-1), one extra record (-1)
    expect(report.contests[0]?.ballots.difference).toBe(-1);
    const overDiff = (id: string | undefined) =>
      report.contests.find((c) => c.contestId === id)?.overvotes.difference;
    const [, , overOurs] = injected.find(([k]) => k === 'overvote-ours') ?? [];
    const [, , overTheirs] = injected.find(([k]) => k === 'overvote-official') ?? [];
    if (overOurs === overTheirs) expect(overDiff(overOurs)).toBe(0);
    else {
      expect(overDiff(overOurs)).toBe(1);
      expect(overDiff(overTheirs)).toBe(-1);
    }
  });

  it('the text report names every discrepancy; --tolerance does not hide ballot discrepancies', async () => {
    const io = capture();
    const c = await runCompare(
      ['--ours', ours, '--official', join(tmp, 'perturbed-cvr.json'), '--tolerance', '3'],
      io,
    );
    expect(c).toBe(1);
    for (const [kind] of injected) expect(io.out()).toContain(`[${kind}]`);
    const loose = await compareJson(['--official', join(tmp, 'perturbed-cvr.json'), '--tolerance', '9']);
    expect(loose.code).toBe(0);
  });
});

describe('compare with perturbed totals', () => {
  it('NIST results with one total off by one: exactly that difference', async () => {
    const doc = readJson(join(ours, 'results.json'));
    const contest = doc.Election[0].Contest.find((c: { '@id': string }) => c['@id'] === 'sheriff');
    const count = contest.ContestSelection[1].VoteCounts.find(
      (v: { GpUnitId: string }) => v.GpUnitId === 'ru-jurisdiction',
    );
    count.Count += 1;
    writeFileSync(join(tmp, 'perturbed-results.json'), JSON.stringify(doc));
    const { code, report } = await compareJson(['--official', join(tmp, 'perturbed-results.json')]);
    expect(code).toBe(1);
    const diffs = report.contests.flatMap((c) =>
      c.options.filter((o) => o.difference !== 0).map((o) => [c.contestId, o.optionId, o.difference]),
    );
    expect(diffs).toEqual([['sheriff', 'victor-moss', -1]]);
    expect(report.summary).toMatchObject({ contestsWithDifferences: 1, largestDifference: 1 });
    expect(report.ballots).toBeNull();
    const tolerant = await compareJson([
      '--official',
      join(tmp, 'perturbed-results.json'),
      '--tolerance',
      '1',
    ]);
    expect(tolerant.code).toBe(0);
  });

  it('a plain CSV by names: the mapping is drafted by name and word set, one total off', async () => {
    // a vendor's spelling: upper case with a vote-for suffix, "LAST, FIRST", one write-in total per contest
    const lines = ['Contest,Choice,Votes'];
    for (const c of batch.tally.contests) {
      const contest = `"${c.title.toUpperCase()} (Vote For=${c.seats})"`;
      for (const o of c.options) {
        if (o.isWriteIn) continue;
        const name = c.type === 'candidate' ? o.label.split(' ').reverse().join(', ').toUpperCase() : o.label;
        lines.push(`${contest},"${name}",${o.optionId === 'uma-lind' ? o.votes - 1 : o.votes}`);
      }
      const writeIns = c.options.filter((o) => o.isWriteIn);
      if (writeIns.length) lines.push(`${contest},Write-in,${writeIns.reduce((a, o) => a + o.votes, 0)}`);
    }
    writeFileSync(join(tmp, 'official.csv'), `${lines.join('\n')}\n`);
    const draftPath = join(tmp, 'mapping.json');
    const { code, report } = await compareJson([
      '--official',
      join(tmp, 'official.csv'),
      '--draft-mapping',
      draftPath,
    ]);
    const draft = readJson(draftPath);
    expect(draft.unmatched).toEqual({ official: [], ours: [] });
    const kinds = new Set(
      draft.contests.flatMap((c: { match: string; options: { match: string }[] }) => [
        c.match,
        ...c.options.map((o) => o.match),
      ]),
    );
    expect([...kinds].sort()).toEqual(['name', 'words']);
    expect(code).toBe(1);
    const diffs = report.contests.flatMap((c) =>
      c.options.filter((o) => o.difference !== 0).map((o) => [c.contestId, o.optionId, o.difference]),
    );
    expect(diffs).toEqual([['sheriff', 'uma-lind', 1]]);
    // the confirmed mapping gives the same answer
    const again = await compareJson(['--official', join(tmp, 'official.csv'), '--mapping', draftPath]);
    expect(again.report.contests).toEqual(report.contests);
  });

  it('bad usage exits 2 with messages in the house grammar', async () => {
    const io = capture();
    expect(await runCompare(['--ours', ours, '--official', 'nope.json', '--tolerance', 'x'], io)).toBe(2);
    expect(io.err()).toContain('Expected integer between 0 and 1000000000 for --tolerance but received "x"');
    const io2 = capture();
    expect(await runCompare(['--ours', ours, '--official', 'nope.json'], io2)).toBe(2);
    expect(io2.err()).toContain(
      'Expected an existing file or directory for --official but received "nope.json"',
    );
    const io3 = capture();
    expect(await runCompare(['--ours', tmp, '--official', join(ours, 'results.json')], io3)).toBe(2);
    expect(io3.err()).toContain('manifest.json');
    const io4 = capture();
    expect(
      await runCompare(
        ['--ours', ours, '--official', join(ours, 'results.json'), '--match-by', 'guess'],
        io4,
      ),
    ).toBe(2);
    expect(io4.err()).toContain(
      'Expected one of "record-id", "imprinted-id", "file-name" for --match-by but received "guess"',
    );
  });
});

describe('adjudicate', () => {
  let out = '';
  let summary: {
    sheetsAdjudicated: number;
    stillNeedsReview: string[];
    totalsChanged: { contestId: string; optionId: string; before: number; after: number }[];
  };
  let overSheet: { sheetId: string; contestId: string; marked: string[] };
  let marginalSheet: { sheetId: string; contestId: string; optionId: string };
  let expectedReview: string[];

  beforeAll(async () => {
    const pick = picker(batch);
    const interpreted = (id: string) => {
      const o = batch.sheets.find((x) => x.record.sheetId === id)?.record.outcome;
      if (o?.type !== 'interpreted') throw new Error('fixture');
      return o;
    };
    // an overvote of two marks in a vote-for-1 contest: a person says the first mark is not a vote
    const a = pick(
      'a two-mark overvote',
      (o) =>
        o.contests.find((c) => c.overvote && c.marked.length === 2 && seatsOf(c.contestId) === 1)?.contestId,
    );
    overSheet = {
      ...a,
      marked: interpreted(a.sheetId).contests.find((c) => c.contestId === a.contestId)?.marked ?? [],
    };
    // a marginal mark alone in a vote-for-1 contest: a person says it is a vote
    const b = pick(
      'a lone marginal mark',
      (o) =>
        o.contests.find(
          (c) =>
            seatsOf(c.contestId) === 1 &&
            c.marked.length === 0 &&
            o.targets.filter((t) => t.contestId === c.contestId && t.status === 'marginal').length === 1,
        )?.contestId,
    );
    marginalSheet = {
      ...b,
      optionId:
        interpreted(b.sheetId).targets.find((t) => t.contestId === b.contestId && t.status === 'marginal')
          ?.optionId ?? '',
    };
    out = join(tmp, 'adjudicated');
    writeFileSync(
      join(tmp, 'decisions.csv'),
      [
        'sheet,contest,option,decision,adjudicator,reason',
        `${a.sheetId},${a.contestId},${overSheet.marked[0]},unmarked,Pat Lee,"hesitation mark, voter intent is the other"`,
        `${b.sheetId},${b.contestId},${marginalSheet.optionId},marked,"Sam Ortiz",light but deliberate mark`,
      ].join('\n'),
    );
    // a sheet stays in review while a review reason in a contest nobody decided remains
    const decided = new Map([
      [a.sheetId, a.contestId],
      [b.sheetId, b.contestId],
    ]);
    expectedReview = batch.sheets.flatMap(({ record: { sheetId, outcome: o } }) => {
      if (o.type !== 'interpreted' || !o.needsReview) return [];
      const contest = decided.get(sheetId);
      if (contest === undefined) return [sheetId];
      const open = o.reasons.some(
        (r) =>
          ['overvote', 'marginal-mark', 'unmarked-write-in', 'mark-outside-target'].includes(r.type) &&
          'contestId' in r &&
          r.contestId !== contest,
      );
      return open ? [sheetId] : [];
    });
    const io = capture();
    const code = await runAdjudicate(
      ['--ours', ours, '--decisions', join(tmp, 'decisions.csv'), '--out', out, '--json'],
      io,
    );
    expect(code, io.err()).toBe(expectedReview.length ? 1 : 0);
    summary = JSON.parse(io.out());
  });

  it('recomputes the tallies with tally()', () => {
    expect(summary.sheetsAdjudicated).toBe(2);
    const delta = new Map<string, number>();
    for (const [c, o] of [
      [overSheet.contestId, overSheet.marked[1]],
      [marginalSheet.contestId, marginalSheet.optionId],
    ])
      delta.set(`${c}/${o}`, (delta.get(`${c}/${o}`) ?? 0) + 1);
    expect(
      new Map(summary.totalsChanged.map((x) => [`${x.contestId}/${x.optionId}`, x.after - x.before])),
    ).toEqual(delta);
    const t = readJson(join(out, 'tally.json'));
    const before = batch.tally.contests.find((c) => c.contestId === overSheet.contestId);
    expect(t.contests.find((c: { contestId: string }) => c.contestId === overSheet.contestId).overvotes).toBe(
      (before?.overvotes ?? 0) - 1,
    );
    expect(summary.stillNeedsReview).toEqual(expectedReview);
    expect(t.sheets.needsReview).toBe(expectedReview.length);
    expect(readJson(join(out, 'review.json')).map((r: { sheetId: string }) => r.sheetId)).toEqual(
      expectedReview,
    );
  });

  it('keeps the original snapshot and adds a modified one with an annotation; the report is schema-valid', () => {
    const before = readJson(join(ours, 'cvr-report.json'));
    const after = readJson(join(out, 'cvr-report.json'));
    expect(after.CVR).toHaveLength(before.CVR.length);
    const id = overSheet.sheetId;
    const cvr = after.CVR.find((c: { UniqueId: string }) => c.UniqueId === id);
    const original = before.CVR.find((c: { UniqueId: string }) => c.UniqueId === id);
    expect(cvr.CVRSnapshot[0]).toEqual(original.CVRSnapshot[0]);
    expect(cvr.CurrentSnapshotId).toBe(`${id}-modified`);
    const modified = cvr.CVRSnapshot[1];
    expect(modified.Type).toBe('modified');
    const label = batch.tally.contests
      .find((c) => c.contestId === overSheet.contestId)
      ?.options.find((o) => o.optionId === overSheet.marked[0])?.label;
    expect(modified.Annotation[0]).toEqual({
      '@type': 'CVR.Annotation',
      AdjudicatorName: ['Pat Lee'],
      Message: [`${overSheet.contestId} / ${label}: unmarked (hesitation mark, voter intent is the other)`],
      TimeStamp: '2024-11-05T00:00:00Z',
    });
    const contest = modified.CVRContest.find(
      (c: { ContestId: string }) => c.ContestId === overSheet.contestId,
    );
    expect(contest.Overvotes).toBe(0);
    expect(
      contest.CVRContestSelection.filter((s: { TotalNumberVotes: number }) => s.TotalNumberVotes === 1).map(
        (s: { ContestSelectionId: string }) => s.ContestSelectionId,
      ),
    ).toEqual([overSheet.marked[1]]);
    // untouched CVRs stay as they were
    for (const c of before.CVR)
      if (c.UniqueId !== overSheet.sheetId && c.UniqueId !== marginalSheet.sheetId)
        expect(after.CVR.find((x: { UniqueId: string }) => x.UniqueId === c.UniqueId)).toEqual(c);
    expect(after.ReportType).toEqual(['originating-device-export', 'adjudicated']);
    if (HAVE_SCHEMAS) expect(validator('nist-1500-103-cvr-schema.json')(after)).toEqual([]);
    if (HAVE_SCHEMAS)
      expect(validator('nist-1500-100-err-v2-schema.json')(readJson(join(out, 'results.json')))).toEqual([]);
  });

  it('a decision that confirms an overvote resolves the review without changing the count', () => {
    const found = batch.sheets.find(
      (s) => s.record.outcome.type === 'interpreted' && s.record.outcome.contests.some((c) => c.overvote),
    );
    const sheet = found?.record.outcome;
    if (sheet?.type !== 'interpreted' || !found) throw new Error('fixture');
    const contest = sheet.contests.find((c) => c.overvote);
    const after = applyToSheet(batch.election, sheet, [
      {
        sheet: found.record.sheetId,
        contest: contest?.contestId ?? '',
        option: contest?.marked[0] ?? '',
        decision: 'marked',
        adjudicator: 'A',
        reason: '',
      },
    ]);
    expect(after.contests).toEqual(sheet.contests);
    expect(after.reasons.map((r) => r.type)).toContain('overvote');
    const others = sheet.reasons.some(
      (r) =>
        r.type !== 'overvote' &&
        r.type !== 'undervote' &&
        r.type !== 'write-in' &&
        'contestId' in r &&
        r.contestId !== contest?.contestId,
    );
    if (!others) expect(after.needsReview).toBe(false);
  });

  it('refuses decisions that do not fit the batch, in the house grammar', async () => {
    writeFileSync(
      join(tmp, 'bad.json'),
      JSON.stringify([
        { sheet: '999999', contest: 'governor', option: 'ben-carver', decision: 'marked', adjudicator: 'A' },
        { sheet: '000001', contest: 'governor', option: 'nobody', decision: 'marked', adjudicator: 'A' },
        { sheet: '000001', contest: 'governor', option: 'celia-marsh', decision: 'maybe', adjudicator: 'A' },
      ]),
    );
    const io = capture();
    expect(await runAdjudicate(['--ours', ours, '--decisions', join(tmp, 'bad.json')], io)).toBe(2);
    expect(io.err()).toContain(
      'Expected one of "marked", "unmarked" for [2].decision but received "maybe" of type string',
    );
    writeFileSync(
      join(tmp, 'bad2.json'),
      JSON.stringify([
        { sheet: '999999', contest: 'governor', option: 'ben-carver', decision: 'marked', adjudicator: 'A' },
        { sheet: '000001', contest: 'governor', option: 'nobody', decision: 'marked', adjudicator: 'A' },
      ]),
    );
    const io2 = capture();
    expect(await runAdjudicate(['--ours', ours, '--decisions', join(tmp, 'bad2.json')], io2)).toBe(2);
    expect(io2.err()).toContain(
      'Expected a sheet id of the batch for decisions[0].sheet but received "999999"',
    );
    expect(io2.err()).toContain('for decisions[1].option but received "nobody"');
  });
});

describe('audit.html', () => {
  it('shows the same numbers as compare.json, escapes untrusted names, embeds ballot images', async () => {
    // untrusted names in the election: a candidate and a contest title that try to inject markup
    const evil = join(tmp, 'evil');
    cpSync(ours, evil, { recursive: true });
    const t = readJson(join(evil, 'tally.json'));
    t.contests[0].options[0].label = '<script>alert(1)</script>';
    t.contests[0].title = 'Governor "><img src=x onerror=alert(2)>';
    writeFileSync(join(evil, 'tally.json'), JSON.stringify(t));
    const outDir = join(tmp, 'report');
    const io = capture();
    const code = await runCompare(
      ['--ours', evil, '--official', join(tmp, 'perturbed-cvr.json'), '--out', outDir, '--max-images', '4'],
      io,
    );
    expect(code, io.err()).toBe(1);
    const html = readFileSync(join(outDir, 'audit.html'), 'utf8');
    const report: CompareReport = readJson(join(outDir, 'compare.json'));
    expect(html).not.toContain('<script');
    expect(html).not.toContain('<img src=x');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    // every number of the per-contest table
    const rows = [
      ...html.matchAll(
        /<tr data-contest="([^"]*)" data-option="([^"]*)"><td>[^<]*<\/td><td class="n">([^<]*)<\/td><td class="n">([^<]*)<\/td><td class="n[^"]*">([^<]*)<\/td>/g,
      ),
    ];
    const expected = report.contests.flatMap((c) =>
      c.options.map((o) => [
        c.contestId,
        o.optionId,
        String(o.ours),
        String(o.official ?? '–'),
        o.difference === null ? '–' : o.difference > 0 ? `+${o.difference}` : String(o.difference),
      ]),
    );
    expect(rows.map((m) => m.slice(1, 6))).toEqual(expected);
    // the discrepancy list and the review queue
    const kinds = [...html.matchAll(/<li class="discrepancy" data-kind="([^"]*)"/g)].map((m) => m[1]);
    expect(kinds).toEqual(report.ballots?.discrepancies.map((d) => d.kind));
    const queue = [...html.matchAll(/<li class="review" data-sheet="([^"]*)"/g)].map((m) => m[1]);
    expect(queue).toEqual(report.reviewQueue.map((r) => r.sheetId));
    expect(html.match(/<img class="ballot" src="data:image\/jpeg;base64,/g)?.length).toBeGreaterThanOrEqual(
      4,
    );
    expect(html).toContain(`<span id="summary-largest">${report.summary.largestDifference}</span>`);
  });
});
