import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { contestOptions, type Election } from '../src/election/election.ts';
import { importVxf } from '../src/election/vxf.ts';
import { csvCell, csvLine, cvrCsvChunks, tallyCsv } from '../src/report/csv.ts';
import {
  buildCvr,
  cvrReportChunks,
  cvrReportHeader,
  fileUri,
  formatDateTime,
  markMetric,
  writeCvrReport,
} from '../src/report/cvr-nist.ts';
import { buildElectionResults, electionDay } from '../src/report/results-nist.ts';
import { summaryText } from '../src/report/summary.ts';
import type { SheetRecord } from '../src/tally/records.ts';
import { sampleElection, sampleRecords, syntheticRecord, syntheticSheet } from '../src/tally/synthetic.ts';
import { tally } from '../src/tally/tally.ts';
import { HAVE_SCHEMAS, REFERENCE, validator } from './nist.ts';

const AMHERST_ELECTION = join(
  import.meta.dirname,
  '..',
  '..',
  'shared',
  'fixtures',
  'vxsuite',
  'nh-amherst-2023-01',
  'election.json',
);
const WHEN = new Date(Date.UTC(2024, 10, 6, 2, 15, 0, 123));
const OPTIONS = { version: '0.1.0', generatedDate: WHEN };
const cvrReportHeaderFor = (e: Election) => cvrReportHeader(e, OPTIONS);

async function collect(chunks: AsyncIterable<string>): Promise<string> {
  let out = '';
  for await (const c of chunks) out += c;
  return out;
}

function amherst(): Election | undefined {
  if (!existsSync(AMHERST_ELECTION)) return undefined;
  const r = importVxf(readFileSync(AMHERST_ELECTION));
  if (!r.ok) throw new Error(r.errors.join('\n'));
  return r.value.election;
}

/** Four sheets of a real election: first option everywhere, an overvote, a blank one, a rejected one. */
function amherstRecords(e: Election): SheetRecord[] {
  const style = e.ballotStyles[0]?.id ?? '';
  const first: Record<string, string[]> = {};
  const over: Record<string, string[]> = {};
  for (const c of e.contests) {
    const ids = contestOptions(c).map((o) => o.id);
    first[c.id] = ids.slice(0, 1);
    over[c.id] = ids.slice(0, (c.type === 'candidate' ? c.seats : 1) + 1);
  }
  return [
    syntheticRecord('000001', syntheticSheet(e, style, { marked: first })),
    syntheticRecord('000002', syntheticSheet(e, style, { marked: over })),
    syntheticRecord('000003', syntheticSheet(e, style, {})),
    syntheticRecord('000004', {
      type: 'rejected',
      reason: 'wrong-paper-size',
      detail: 'legal, expected letter',
    }),
  ];
}

const cases: [string, () => { e: Election; records: SheetRecord[] } | undefined][] = [
  [
    'hand-made election',
    () => {
      const e = sampleElection();
      return { e, records: sampleRecords(e) };
    },
  ],
  [
    'imported NH Amherst election',
    () => {
      const e = amherst();
      return e && { e, records: amherstRecords(e) };
    },
  ],
];

describe.skipIf(!HAVE_SCHEMAS)('NIST SP 1500-103 cast vote records', () => {
  const validate = HAVE_SCHEMAS ? validator('nist-1500-103-cvr-schema.json') : () => [];

  it('accepts the reference example (the validator works)', () => {
    expect(validate(JSON.parse(readFileSync(join(REFERENCE, 'cvr-minimal-example.json'), 'utf8')))).toEqual(
      [],
    );
    expect(validate({ '@type': 'CVR.CastVoteRecordReport' })).not.toEqual([]);
  });

  for (const [name, make] of cases)
    it(`validates the streamed report of the ${name}`, async () => {
      const made = make();
      if (!made) return;
      const { e, records } = made;
      const text = await collect(cvrReportChunks(e, records, OPTIONS));
      const report = JSON.parse(text);
      expect(validate(report)).toEqual([]);
      const interpreted = records.filter((r) => r.outcome.type === 'interpreted');
      expect(report.CVR.map((c: { UniqueId: string }) => c.UniqueId)).toEqual(
        interpreted.map((r) => r.sheetId),
      );
      expect(report.GeneratedDate).toBe('2024-11-06T02:15:00Z');
      expect(report.ReportingDevice[0].Application).toBe('ballot-tally 0.1.0');
      // every selection id is an option id of its contest, in both the definitions and the CVRs
      const optionIds = new Map(e.contests.map((c) => [c.id, contestOptions(c).map((o) => o.id)]));
      for (const c of report.Election[0].Contest)
        expect(c.ContestSelection.map((s: { '@id': string }) => s['@id'])).toEqual(optionIds.get(c['@id']));
      for (const cvr of report.CVR)
        for (const cc of cvr.CVRSnapshot[0].CVRContest)
          for (const s of cc.CVRContestSelection) {
            expect(optionIds.get(cc.ContestId)).toContain(s.ContestSelectionId);
            for (const p of s.SelectionPosition) expect(p.MarkMetricValue[0]).toMatch(/^[01]\.\d{3}$/);
          }
    });

  it('writes every target with its indication, allocability and votes', () => {
    const e = sampleElection();
    const [, , crossEndorsed, overvoted, marginal] = sampleRecords(e) as SheetRecord[] & { length: 10 };
    const cvrOf = (r: SheetRecord | undefined) => {
      if (r?.outcome.type !== 'interpreted') throw new Error('expected an interpreted record');
      return buildCvr(e, { ...r, outcome: r.outcome }) as {
        CVRSnapshot: { Status?: string[]; Annotation?: { Message: string[] }[]; CVRContest: Contest[] }[];
        BallotImage: unknown[];
        UniqueId: string;
      };
    };
    interface Position {
      Position: number;
      HasIndication: string;
      IsAllocable: string;
      NumberVotes: number;
      MarkMetricValue: string[];
      CVRWriteIn?: unknown;
    }
    interface Selection {
      ContestSelectionId: string;
      TotalNumberVotes: number;
      Status?: string[];
      SelectionPosition: Position[];
    }
    interface Contest {
      ContestId: string;
      Overvotes: number;
      Undervotes: number;
      Selections: number;
      Status?: string[];
      CVRContestSelection: Selection[];
    }
    const contest = (r: SheetRecord | undefined, id: string) =>
      cvrOf(r).CVRSnapshot[0]?.CVRContest.find((c) => c.ContestId === id);

    // Carol marked in both party columns: two positions, one vote
    const carol = contest(crossEndorsed, 'mayor')?.CVRContestSelection.find(
      (s) => s.ContestSelectionId === 'carol',
    );
    expect(carol?.TotalNumberVotes).toBe(1);
    expect(carol?.SelectionPosition.map((p) => [p.Position, p.HasIndication, p.IsAllocable])).toEqual([
      [0, 'yes', 'yes'],
      [1, 'yes', 'yes'],
    ]);
    const council = contest(crossEndorsed, 'council');
    expect(council).toMatchObject({ Overvotes: 0, Undervotes: 0, Selections: 2 });
    const wi = council?.CVRContestSelection.find((s) => s.ContestSelectionId === 'write-in-1');
    expect(wi?.SelectionPosition[0]?.CVRWriteIn).toEqual({ '@type': 'CVR.CVRWriteIn' });

    // overvote: marks shown, nothing allocable, no votes, the sheet flagged with its reasons
    const mayor = contest(overvoted, 'mayor');
    expect(mayor).toMatchObject({ Overvotes: 1, Undervotes: 0, Selections: 2, Status: ['overvoted'] });
    const alice = mayor?.CVRContestSelection.find((s) => s.ContestSelectionId === 'alice');
    expect(alice).toMatchObject({ TotalNumberVotes: 0, Status: ['invalidated-rules'] });
    expect(alice?.SelectionPosition[0]).toMatchObject({
      HasIndication: 'yes',
      IsAllocable: 'no',
      NumberVotes: 1,
      MarkMetricValue: ['0.620'],
    });
    const snapshot = cvrOf(overvoted).CVRSnapshot[0];
    expect(snapshot?.Status).toEqual(['needs-adjudication']);
    expect(snapshot?.Annotation?.[0]?.Message).toContain(
      'overvote in mayor: 2 marks for 1 seat (alice, bob)',
    );

    // marginal mark: unknown indication and allocability, selection needs adjudication
    const fay = contest(marginal, 'council')?.CVRContestSelection.find((s) => s.ContestSelectionId === 'fay');
    expect(fay?.Status).toEqual(['needs-adjudication']);
    expect(fay?.SelectionPosition[0]).toMatchObject({
      HasIndication: 'unknown',
      IsAllocable: 'unknown',
      MarkMetricValue: ['0.210'],
    });
    expect(contest(marginal, 'council')).toMatchObject({ Undervotes: 1, Status: ['undervoted', 'other'] });

    expect(cvrOf(overvoted).BallotImage[0]).toEqual({
      '@type': 'CVR.ImageData',
      Location: 'file:batch-b/000004-front.jpeg',
      Hash: { '@type': 'CVR.Hash', Type: 'sha-256', Value: 'c'.repeat(64) },
    });
  });

  it('flags a mark outside the target as a non-standard status needing adjudication', () => {
    const e = sampleElection();
    const sheet = syntheticSheet(e, 'bs1', { marked: { mayor: ['alice'] }, needsReview: true });
    sheet.reasons.push({
      type: 'mark-outside-target',
      contestId: 'mayor',
      optionId: 'bob',
      outsideInk01: 0.3,
    });
    const cvr = buildCvr(e, { ...syntheticRecord('000042', sheet), outcome: sheet });
    const report = { ...cvrReportHeaderFor(e), CVR: [cvr] };
    expect(validate(report)).toEqual([]);
    const text = JSON.stringify(cvr);
    expect(text).toContain('"OtherStatus":"mark-outside-target"');
    expect(text).toContain('mark outside the target in mayor for bob (ink 0.300)');
  });

  it('streams to a Writable with backpressure and skips rejected sheets', async () => {
    const e = sampleElection();
    const out = new PassThrough({ highWaterMark: 64 });
    let text = '';
    out.on('data', (c: Buffer) => {
      text += c.toString('utf8');
    });
    const { cvrs } = await writeCvrReport(out, e, sampleRecords(e), OPTIONS);
    out.end();
    expect(cvrs).toBe(7);
    const report = JSON.parse(text);
    expect(report.CVR).toHaveLength(7);
    expect(validate(report)).toEqual([]);
  });

  it('is valid with no CVRs at all', async () => {
    const e = sampleElection();
    const report = JSON.parse(await collect(cvrReportChunks(e, [], OPTIONS)));
    expect(report.CVR).toEqual([]);
    expect(validate(report)).toEqual([]);
  });
});

describe.skipIf(!HAVE_SCHEMAS)('NIST SP 1500-100 v2 election results', () => {
  const validate = HAVE_SCHEMAS ? validator('nist-1500-100-err-v2-schema.json') : () => [];

  it('accepts the reference example (the validator works)', () => {
    expect(validate(JSON.parse(readFileSync(join(REFERENCE, 'err-minimal-example.json'), 'utf8')))).toEqual(
      [],
    );
  });

  for (const [name, make] of cases)
    it(`validates the results of the ${name}`, () => {
      const made = make();
      if (!made) return;
      const { e, records } = made;
      for (const writeIns of ['separate', 'combined'] as const) {
        const report = buildElectionResults(e, tally(e, records, { writeIns }), OPTIONS);
        expect(validate(report)).toEqual([]);
      }
    });

  it('carries totals and precinct counts', () => {
    const e = sampleElection();
    const report = buildElectionResults(e, tally(e, sampleRecords(e)), OPTIONS) as {
      Election: {
        Contest: {
          '@id': string;
          OtherCounts: unknown[];
          ContestSelection: { '@id': string; VoteCounts: unknown[] }[];
        }[];
        BallotCounts: unknown[];
        StartDate: string;
      }[];
    };
    const election = report.Election[0];
    expect(election?.StartDate).toBe('2024-11-05');
    const mayor = election?.Contest.find((c) => c['@id'] === 'mayor');
    expect(mayor?.ContestSelection.find((s) => s['@id'] === 'alice')?.VoteCounts).toEqual([
      { '@type': 'ElectionResults.VoteCounts', GpUnitId: 'ru-jurisdiction', Type: 'total', Count: 2 },
      { '@type': 'ElectionResults.VoteCounts', GpUnitId: 'precinct-p1', Type: 'total', Count: 1 },
      { '@type': 'ElectionResults.VoteCounts', GpUnitId: 'precinct-p2', Type: 'total', Count: 1 },
    ]);
    expect(mayor?.OtherCounts[0]).toEqual({
      '@type': 'ElectionResults.OtherCounts',
      GpUnitId: 'ru-jurisdiction',
      Overvotes: 1,
      Undervotes: 1,
    });
    expect(election?.BallotCounts[0]).toEqual({
      '@type': 'ElectionResults.BallotCounts',
      GpUnitId: 'ru-jurisdiction',
      Type: 'total',
      BallotsCast: 7,
      BallotsRejected: 3,
    });
  });
});

describe('small helpers', () => {
  it('formats dates, metrics and file URIs', () => {
    expect(formatDateTime(WHEN)).toBe('2024-11-06T02:15:00Z');
    expect(electionDay('2022-07-12T12:00:00.000-04:00')).toBe('2022-07-12');
    expect(markMetric(0.12345)).toBe('0.123');
    expect(markMetric(1.2)).toBe('1.000');
    expect(fileUri('batch 1\\sheet#2?.jpeg')).toBe('file:batch%201/sheet%232%3F.jpeg');
  });
});

describe('CSV', () => {
  it('quotes per RFC 4180 and defuses formulas', () => {
    expect(csvCell('plain')).toBe('plain');
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell('two\nlines')).toBe('"two\nlines"');
    expect(csvCell('=SUM(A1:A9)')).toBe("'=SUM(A1:A9)");
    expect(csvCell('+1')).toBe("'+1");
    expect(csvCell('-1')).toBe("'-1");
    expect(csvCell('@cmd')).toBe("'@cmd");
    expect(csvCell('=HYPERLINK("x","y")')).toBe('"\'=HYPERLINK(""x"",""y"")"');
    expect(csvCell(-1)).toBe('-1');
    expect(csvCell(12)).toBe('12');
    expect(csvLine(['a', 1, 'b,c'])).toBe('a,1,"b,c"\r\n');
  });

  it('writes cvr.csv, one row per sheet in input order', async () => {
    const e = sampleElection();
    const text = await collect(cvrCsvChunks(e, sampleRecords(e)));
    const lines = text.split('\r\n');
    expect(lines[0]).toBe(
      'sheet_id,batch,files,status,ballot_style,precinct,sheet_number,reasons,mayor,council,prop1',
    );
    expect(lines[1]).toBe(
      '000001,batch-a,batch-a/000001-front.jpeg|batch-a/000001-back.jpeg,recorded,bs1,p1,1,,alice,dan|eve,prop1-yes',
    );
    expect(lines[4]).toBe(
      '000004,batch-b,batch-b/000004-front.jpeg|batch-b/000004-back.jpeg,needs-review,bs1,p1,1,"overvote in mayor: 2 marks for 1 seat (alice, bob); undervote in council: 1 of 2",overvote:alice|bob,eve,prop1-yes',
    );
    expect(lines[8]).toBe(
      '000008,batch-a,batch-a/000008-front.jpeg|batch-a/000008-back.jpeg,rejected,,,,no-timing-marks: front: no timing marks,,,',
    );
    expect(lines).toHaveLength(12); // header, 10 rows, trailing empty string
    expect(lines[11]).toBe('');
  });

  it('writes tally.csv with totals and breakdowns, quoting labels', () => {
    const e = sampleElection();
    const lines = tallyCsv(tally(e, sampleRecords(e))).split('\r\n');
    expect(lines[0]).toBe('scope,scope_id,contest_id,contest,kind,option_id,option,count');
    expect(lines).toContain('total,,mayor,Mayor,option,alice,Alice Adams,2');
    expect(lines).toContain('total,,mayor,Mayor,overvotes,,,1');
    expect(lines).toContain('total,,council,City Council,undervotes,,,7');
    expect(lines).toContain('total,,council,City Council,option,eve,"\'=Eve ""E"" Evans",2');
    expect(lines).toContain('total,,council,City Council,option,fay,"Fay Fox, Jr.",1');
    expect(lines).toContain('precinct,p2,mayor,Mayor,option,alice,Alice Adams,1');
    expect(lines).toContain('batch,batch-b,prop1,Proposition 1,ballots,,,3');
  });
});

describe('summary', () => {
  it('states the sheet equation, rejections and per-contest results', () => {
    const e = sampleElection();
    const text = summaryText(e, tally(e, sampleRecords(e)));
    expect(text).toContain('Sheets: inputs 10 = recorded 4 + needing review 3 + rejected 3\n');
    expect(text).toContain('Rejected: blank-page 1, no-timing-marks 2\n');
    expect(text).toContain('Mayor (vote for 1)\n');
    expect(text).toMatch(/ {2}Alice Adams +2 +40\.0%\n/);
    expect(text).toContain('  overvotes 1, undervotes 1, blank 1, ballots 7\n');
    expect(text).toContain('Proposition 1 (yes/no)\n');
    expect(text).toMatch(/ {2}Yes +4 +66\.7%\n/);
  });
});
