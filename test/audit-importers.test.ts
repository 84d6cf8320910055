/** Importers of official data on hand-made vendor files (test/fixtures/audit), the readers they use, and mapping drafts. */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCsv } from '../src/audit/csv.ts';
import { detectFormat, loadOfficial } from '../src/audit/importers/index.ts';
import { applyMapping, draftMapping, normalizeName } from '../src/audit/mapping.ts';
import type { OfficialData } from '../src/audit/official.ts';
import { parseXml } from '../src/audit/xml.ts';
import { electionAt } from './helpers.ts';
import { REFERENCE } from './nist.ts';

const FIXTURES = join(import.meta.dirname, 'fixtures', 'audit');
const ROOT = join(import.meta.dirname, '..');
const demo = electionAt(join(ROOT, 'samples', 'demo', 'election.json'));

function load(paths: string[], format: Parameters<typeof loadOfficial>[1] = 'auto'): OfficialData {
  const r = loadOfficial(paths, format, FIXTURES);
  if (!r.ok) throw new Error(r.errors.join('\n'));
  return r.value;
}
const totals = (d: OfficialData) =>
  Object.fromEntries(
    d.contests.map((c) => [c.name, Object.fromEntries(c.options.map((o) => [o.name, o.votes]))]),
  );
const counts = (d: OfficialData, name: string) => {
  const c = d.contests.find((x) => x.name === name);
  return { overvotes: c?.overvotes, undervotes: c?.undervotes, ballots: c?.ballots };
};

describe('CSV and XML readers', () => {
  it('reads quoted fields, doubled quotes, newlines in quotes, CRLF and a BOM', () => {
    expect(parseCsv('\uFEFFa,"b,c","d ""e"""\r\n"x\ny",,z\n')).toEqual({
      ok: true,
      value: [
        ['a', 'b,c', 'd "e"'],
        ['x\ny', '', 'z'],
      ],
    });
    expect(parseCsv('a,"b\n')).toEqual({
      ok: false,
      errors: [
        'Expected a closing quote for the field opened on line 1 of CSV but received the end of the file',
      ],
    });
  });

  it('reads elements, drops namespace prefixes, decodes entities and CDATA, refuses entity declarations', () => {
    const r = parseXml(
      '<?xml version="1.0"?><a:Root xmlns:a="u"><a:X k="1&amp;2">t &lt; <![CDATA[<raw>]]></a:X><Y/></a:Root>',
    );
    expect(r.ok && r.value.name).toBe('Root');
    expect(r.ok && r.value.children.map((c) => [c.name, c.text, c.attributes])).toEqual([
      ['X', 't < <raw>', { k: '1&2' }],
      ['Y', '', {}],
    ]);
    expect(parseXml('<!DOCTYPE x [<!ENTITY e "boom">]><x>&e;</x>')).toEqual({
      ok: false,
      errors: ['Expected a DOCTYPE without declarations on line 1 of XML'],
    });
    expect(parseXml('<a><b></a>')).toEqual({
      ok: false,
      errors: ['Expected </b> but received </a> on line 1 of XML'],
    });
  });
});

describe('importers', () => {
  it('Dominion: sessions, cards, adjudicated (Modified) interpretations, overvotes, manifests beside the export', () => {
    const d = load(['dominion/CvrExport_0.json']);
    expect(d.format).toBe('dominion');
    expect(d.ballots?.map((b) => [b.ballotId, b.votes, b.overvoted, b.fileName])).toEqual([
      ['3-1-1', { 1: ['10'], 2: ['20'] }, [], '00003_00001_000001'],
      ['3-1-2', { 1: [], 2: [] }, ['1'], '00003_00001_000002'],
      ['3-1-3', { 1: ['12'], 2: ['21'] }, [], '00003_00001_000003'],
    ]);
    expect(totals(d)).toEqual({
      Governor: { 'Ada Whitcomb': 1, 'Benjamin Carver': 0, 'MARSH, CELIA': 1, 'Write-in': 0 },
      'Constitutional Amendment Question 1': { Yes: 1, No: 1 },
    });
    expect(counts(d, 'Governor')).toEqual({ overvotes: 1, undervotes: 0, ballots: 3 });
    expect(counts(d, 'Constitutional Amendment Question 1')).toEqual({
      overvotes: 0,
      undervotes: 1,
      ballots: 3,
    });
    // the whole folder works too
    expect(totals(load(['dominion']))).toEqual(totals(d));
  });

  it('ES&S: choice names per contest column, overvote/undervote, vote-for-N as repeated columns, empty = not on the ballot', () => {
    const d = load(['ess-cvr.csv']);
    expect(d.format).toBe('ess');
    expect(d.ballots?.map((b) => [b.ballotId, b.imprintedId, b.votes, b.overvoted])).toEqual([
      [
        '1',
        '0001013415',
        {
          Governor: ['Ada Whitcomb'],
          'County Commissioners': ['Wendy Nash', 'Xavier Orr'],
          'Constitutional Amendment Question 1': ['Yes'],
        },
        [],
      ],
      [
        '2',
        '0001013416',
        {
          Governor: [],
          'County Commissioners': ['Wendy Nash'],
          'Constitutional Amendment Question 1': ['No'],
        },
        ['Governor'],
      ],
      ['3', '0002003171', { Governor: ['Benjamin Carver'], 'County Commissioners': [] }, []],
      [
        '4',
        '0002003172',
        {
          Governor: [],
          'County Commissioners': ['Yvonne Pratt', 'Wendy Nash'],
          'Constitutional Amendment Question 1': ['Yes'],
        },
        [],
      ],
    ]);
    expect(totals(d)['County Commissioners']).toEqual({
      'Wendy Nash': 3,
      'Xavier Orr': 1,
      'Yvonne Pratt': 1,
    });
    expect(counts(d, 'County Commissioners')).toEqual({ overvotes: 0, undervotes: 3, ballots: 4 });
    expect(counts(d, 'Constitutional Amendment Question 1')).toEqual({
      overvotes: 0,
      undervotes: 0,
      ballots: 3,
    });
  });

  it('Hart: one XML per ballot with the CVRDesign namespace; write-ins; Value 0 is no vote', () => {
    const d = load(['hart']);
    expect(d.format).toBe('hart');
    expect(d.ballots?.map((b) => [b.ballotId, b.votes])).toEqual([
      [
        '8a0e3c55-7d0c-4f6e-9d6e-000000000001',
        { Governor: ['Celia Marsh'], 'Article 2: Library Bond & Levy': [] },
      ],
      ['8a0e3c55-7d0c-4f6e-9d6e-000000000002', { Governor: ['Write-in'] }],
    ]);
    expect(totals(d).Governor).toEqual({ 'Celia Marsh': 1, 'Write-in': 1 });
  });

  it('Clear Ballot: Choice_ columns with Vote For N; more marks than N is an overvote', () => {
    const d = load(['clearballot.csv']);
    expect(d.format).toBe('clearballot');
    expect(d.ballots?.map((b) => [b.ballotId, b.votes, b.overvoted])).toEqual([
      ['1-1-1', { Governor: ['Ada Whitcomb'], 'County Commissioners': ['Wendy Nash', 'Xavier Orr'] }, []],
      ['1-1-2', { Governor: [], 'County Commissioners': [] }, ['Governor', 'County Commissioners']],
      ['1-1-3', { Governor: ['Benjamin Carver'] }, []],
    ]);
    expect(counts(d, 'Governor')).toEqual({ overvotes: 1, undervotes: 0, ballots: 3 });
  });

  it('plain CSV: totals with thousands separators and overvote/undervote rows', () => {
    const d = load(['totals.csv']);
    expect(d.format).toBe('csv');
    expect(totals(d)).toEqual({
      Governor: { 'Ada Whitcomb': 1204, 'Benjamin Carver': 877, 'Write-in': 12 },
      'Article 2: Library Bond': { Yes: 900, No: 451 },
    });
    expect(counts(d, 'Governor')).toEqual({ overvotes: 3, undervotes: 40, ballots: undefined });
    expect(d.ballots).toBeUndefined();
  });

  it.skipIf(!existsSync(join(REFERENCE, 'err-minimal-example.json')))(
    'NIST results and CVR: the reference examples',
    () => {
      const results = load([join(REFERENCE, 'err-minimal-example.json')]);
      expect(results.format).toBe('nist-results');
      expect(results.contests.length).toBeGreaterThan(0);
      expect(results.contests.every((c) => c.options.every((o) => Number.isInteger(o.votes)))).toBe(true);
      const cvr = load([join(REFERENCE, 'cvr-minimal-example.json')]);
      expect(cvr.format).toBe('nist-cvr');
      expect(cvr.ballots?.length).toBeGreaterThan(0);
      expect(cvr.contests.find((c) => c.name === 'Mayor')?.options.map((o) => o.name)).toContain(
        'Alice Adams',
      );
    },
  );

  it('detects formats by name and content', () => {
    expect(detectFormat('x.csv', 'Cast Vote Record,Precinct,Ballot Style,A\n')).toBe('ess');
    expect(detectFormat('x.csv', 'RowNumber,BoxID,Choice_1_1:A:Vote For 1:B:P\n')).toBe('clearballot');
    expect(detectFormat('x.csv', 'contest,choice,votes\n')).toBe('csv');
    expect(detectFormat('x.json', '', { '@type': 'CVR.CastVoteRecordReport' })).toBe('nist-cvr');
    expect(detectFormat('x.json', '', { '@type': 'ElectionResults.ElectionReport' })).toBe('nist-results');
    expect(detectFormat('CvrExport_3.json', '', { Sessions: [] })).toBe('dominion');
    expect(detectFormat('a/ContestManifest.json', '', { List: [] })).toBe('dominion-manifest');
    expect(detectFormat('x.xml', '<Cvr xmlns="http://tempuri.org/CVRDesign.xsd"></Cvr>')).toBe('hart');
  });

  it('reports bad input in the house grammar, with the file name', () => {
    const tmp = mkdtempSync(join(tmpdir(), 'audit-imp-'));
    try {
      writeFileSync(join(tmp, 'bad.csv'), 'contest,choice,votes\nGovernor,Ada,many\n');
      expect(loadOfficial(['bad.csv'], 'auto', tmp)).toEqual({
        ok: false,
        errors: ['bad.csv: Expected integer at least 0 for row 2.votes but received "many" of type string'],
      });
      const bad = JSON.parse(readFileSync(join(FIXTURES, 'dominion', 'CvrExport_0.json'), 'utf8'));
      delete bad.Sessions[0].Original.Cards[0].Contests[0].Marks[0].IsVote;
      for (const f of ['ContestManifest.json', 'CandidateManifest.json'])
        writeFileSync(join(tmp, f), readFileSync(join(FIXTURES, 'dominion', f)));
      writeFileSync(join(tmp, 'CvrExport_0.json'), JSON.stringify(bad));
      expect(loadOfficial(['CvrExport_0.json'], 'auto', tmp)).toEqual({
        ok: false,
        errors: [
          'CvrExport_0.json: Expected boolean for Sessions[0].Original.Cards[0].Contests[0].Marks[0].IsVote but received undefined',
        ],
      });
      writeFileSync(
        join(tmp, 'cb.csv'),
        readFileSync(join(FIXTURES, 'clearballot.csv'), 'utf8').replace(
          '1-1-3,p1,bs1,North,TABULATOR1,0,0,0,1',
          '1-1-3,p1,bs1,North,TABULATOR1,0,0,0,X',
        ),
      );
      const cb = loadOfficial(['cb.csv'], 'auto', tmp);
      expect(cb.ok).toBe(false);
      expect(!cb.ok && cb.errors[0]).toMatch(
        /^cb\.csv: Expected one of "0", "1", "" for row 4\.Choice_2_1:Governor:Vote For 1:Benjamin Carver:Non-Partisan but received "X"$/,
      );
      writeFileSync(join(tmp, 'x.xml'), '<Cvr><Contests><Contest><Options/></Contest></Contests></Cvr>');
      expect(loadOfficial(['x.xml'], 'auto', tmp)).toEqual({
        ok: false,
        errors: [
          'x.xml: Expected string for CvrGuid but received undefined',
          'x.xml: Expected string for Contests[0].Name but received undefined',
        ],
      });
      expect(loadOfficial(['bad.csv', join(FIXTURES, 'ess-cvr.csv')], 'auto', tmp)).toEqual({
        ok: false,
        errors: ['Expected official files of one format but received "csv", "ess"'],
      });
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});

describe('mapping drafts', () => {
  it('matches vendor names to the demo election by normalized name and word set; the rest is listed', () => {
    const d = load(['dominion']);
    const draft = draftMapping(d, demo);
    const governor = draft.contests.find((c) => c.officialName === 'Governor');
    expect(governor?.ours).toBe('governor');
    expect(governor?.options.map((o) => [o.officialName, o.ours, o.match])).toEqual([
      ['Ada Whitcomb', 'ada-whitcomb', 'name'],
      ['Benjamin Carver', 'ben-carver', 'name'],
      ['MARSH, CELIA', 'celia-marsh', 'words'],
      ['Write-in', 'write-in-0', 'name'],
    ]);
    expect(draft.contests.find((c) => c.official === '2')?.ours).toBe('question-1');
    expect(draft.unmatched?.official).toEqual([]);
    expect(draft.unmatched?.ours.length).toBe(demo.contests.length - 2);
    const mapped = applyMapping(d, draft, demo);
    expect(mapped.ok && mapped.value.ballots?.[2]?.votes).toEqual({
      governor: ['celia-marsh'],
      'question-1': ['question-1-no'],
    });
  });

  it('an unknown id in a mapping file is an error; a name it cannot match stays null', () => {
    const d = load(['hart']);
    const draft = draftMapping(d, demo);
    expect(draft.unmatched?.official).toEqual(['contest "Article 2: Library Bond & Levy"']);
    const broken = structuredClone(draft);
    const first = broken.contests[0];
    if (first) first.ours = 'no-such-contest';
    expect(applyMapping(d, broken, demo)).toEqual({
      ok: false,
      errors: ['Expected a contest id of the election for contests[0].ours but received "no-such-contest"'],
    });
    expect(normalizeName('State Representatives (Vote For=3)')).toBe('state representatives');
  });
});
