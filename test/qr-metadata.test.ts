/**
 * QR-code metadata of VotingWorks v4.x bubble ballots: the bit layout on byte vectors VxSuite pins in its
 * own tests, then every page of the vx-qa v4.1 fixture (upright and upside down) and whole sheets through
 * `interpretSheet`.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import type { Election } from '../src/election/election.ts';
import { interpretSheet, type SheetPage } from '../src/pipeline/interpret.ts';
import type { InterpretedSheet, SheetOutcome } from '../src/pipeline/outcome.ts';
import { decodeImage } from '../src/pipeline/preprocess.ts';
import { decodeVxQrMetadata, metadataBytesFromQr, readVxQrMetadata } from '../src/pipeline/qr-metadata.ts';
import { registerPage } from '../src/pipeline/register.ts';
import { HAVE_SHARED, VXQA } from './fixtures.ts';
import { defaultCalibration, electionAt, pagesOf } from './helpers.ts';

const HASH_PREFIX = [0x2b, 0xad, 0x6b, 0xe9, 0x35, 0xdd, 0x46, 0xb1, 0x0c, 0x5f];

/** Just enough of an election to decode against: 2 precincts, 6 ballot styles, a known hash. */
function smallElection(sha256 = `2bad6be935dd46b10c5f${'0'.repeat(44)}`): Election {
  return {
    id: 'e',
    title: 'test',
    date: '2026-11-03',
    jurisdiction: 'j',
    state: '',
    paper: 'letter',
    grid: { columns: 34, rows: 41 },
    metadataEncoding: 'qr-code',
    parties: [],
    districts: [{ id: 'd', name: 'd' }],
    precincts: [
      { id: 'precinct-1', name: 'one' },
      { id: 'precinct-2', name: 'two' },
    ],
    contests: [],
    ballotStyles: Array.from({ length: 6 }, (_, i) => ({
      id: `style-${i}`,
      precinctIds: ['precinct-1'],
      districtIds: ['d'],
    })),
    layouts: [],
    source: { format: 'vxf-4.1', sha256 },
  };
}

describe('decodeVxQrMetadata', () => {
  // Byte vectors from VxSuite libs/types-rs/src/bubble_ballot.rs (test_encode_metadata_matches_typescript):
  // precinct index 1, ballot style index 5, page 3, test mode, absentee, no audit id.
  it('reads the v4.1 layout (prelude VB 1, 13-bit precinct, 16-bit ballot style)', () => {
    const bytes = Uint8Array.from([0x56, 0x42, 0x01, ...HASH_PREFIX, 0x00, 0x08, 0x00, 0x28, 0xe2]);
    expect(decodeVxQrMetadata(bytes, smallElection())).toEqual({
      ok: true,
      version: 'v4.1',
      ballotHashPrefix: '2bad6be935dd46b10c5f',
      precinctId: 'precinct-2',
      ballotStyleId: 'style-5',
      pageNumber: 3,
      sheetNumber: 2,
      side: 'front',
      isTestMode: true,
      ballotType: 'absentee',
    });
  });

  it('reads the v4.0 layout (prelude VP 2, 13-bit ballot style)', () => {
    const bytes = Uint8Array.from([0x56, 0x50, 0x02, ...HASH_PREFIX, 0x00, 0x08, 0x01, 0x47, 0x10]);
    expect(decodeVxQrMetadata(bytes, smallElection())).toMatchObject({
      ok: true,
      version: 'v4.0',
      precinctId: 'precinct-2',
      ballotStyleId: 'style-5',
      pageNumber: 3,
      isTestMode: true,
      ballotType: 'absentee',
    });
    const first = Uint8Array.from([0x56, 0x50, 0x02, ...HASH_PREFIX, 0x00, 0x00, 0x00, 0x02, 0x00]);
    expect(decodeVxQrMetadata(first, smallElection())).toMatchObject({
      ok: true,
      precinctId: 'precinct-1',
      ballotStyleId: 'style-0',
      pageNumber: 1,
      side: 'front',
      isTestMode: false,
      ballotType: 'precinct',
    });
  });

  it('reads a ballot audit id (8-bit length, then UTF-8)', () => {
    const id = [...new TextEncoder().encode('test-audit-ballot-id')];
    const bytes = Uint8Array.from([
      0x56,
      0x42,
      0x01,
      ...HASH_PREFIX,
      0,
      0,
      0,
      0,
      0b0100_0001,
      id.length,
      ...id,
    ]);
    expect(decodeVxQrMetadata(bytes, smallElection())).toMatchObject({
      ok: true,
      pageNumber: 1,
      ballotType: 'precinct',
      ballotAuditId: 'test-audit-ballot-id',
    });
  });

  it('rejects other elections, other payloads and impossible values with a reason', () => {
    const good = [0x56, 0x42, 0x01, ...HASH_PREFIX, 0x00, 0x08, 0x00, 0x28, 0xe2];
    const other = smallElection(`fc42b2550ca6be89c4cb${'0'.repeat(44)}`);
    expect(decodeVxQrMetadata(Uint8Array.from(good), other)).toMatchObject({
      ok: false,
      reason: 'wrong-election',
    });
    expect(decodeVxQrMetadata(new TextEncoder().encode('https://example.org'), other)).toMatchObject({
      ok: false,
      reason: 'not-vx-metadata',
    });
    expect(decodeVxQrMetadata(Uint8Array.from([0x56, 0x50, 0x01, 0x14]), other)).toMatchObject({
      ok: false,
      reason: 'unsupported-encoding',
    });
    expect(decodeVxQrMetadata(Uint8Array.from(good.slice(0, 15)), smallElection())).toMatchObject({
      ok: false,
      reason: 'truncated',
    });
    // ballot style index 6 of 6 styles
    const style6 = [0x56, 0x42, 0x01, ...HASH_PREFIX, 0x00, 0x00, 0x00, 0x30, 0x40];
    expect(decodeVxQrMetadata(Uint8Array.from(style6), smallElection())).toMatchObject({
      ok: false,
      reason: 'invalid-ballot-style-index',
    });
    // page number 0
    const page0 = [0x56, 0x42, 0x01, ...HASH_PREFIX, 0x00, 0x00, 0x00, 0x00, 0x00];
    expect(decodeVxQrMetadata(Uint8Array.from(page0), smallElection())).toMatchObject({
      ok: false,
      reason: 'invalid-page-number',
    });
  });

  it('takes the payload as VxSuite prints it (base64 text) or as raw bytes', () => {
    const raw = [0x56, 0x42, 0x01, ...HASH_PREFIX, 0x00, 0x08, 0x00, 0x28, 0xe2];
    const text = Buffer.from(raw).toString('base64');
    const fromText = metadataBytesFromQr([...Buffer.from(text)], text);
    expect(fromText && [...fromText]).toEqual(raw);
    expect(metadataBytesFromQr(raw, '')).toEqual(Uint8Array.from(raw));
    expect(metadataBytesFromQr([...Buffer.from('hello world')], 'hello world')).toBeUndefined();
  });
});

interface ExpectedVxImage {
  ballotStyleId: string;
  precinctId: string;
  ballotType: 'precinct' | 'absentee' | 'provisional';
  isTestMode: boolean;
  pageNumber: number;
  sheetNumber: number;
  side: 'front' | 'back';
  bubbleCount: number;
}

describe.skipIf(!HAVE_SHARED)('vx-qa v4.1 blank ballots (QR metadata)', () => {
  const png = join(VXQA, 'png');
  const electionPath = join(VXQA, 'election.json');
  const expected = () =>
    (
      JSON.parse(readFileSync(join(VXQA, 'expected.json'), 'utf8')) as {
        images: Record<string, ExpectedVxImage>;
      }
    ).images;
  const calibration = defaultCalibration();

  async function pageFrom(bytes: Buffer, imageIndex = 0): Promise<SheetPage> {
    const d = await decodeImage(bytes);
    if (d.type !== 'ok') throw new Error(d.detail);
    const page = d.pages[0];
    if (!page) throw new Error('no page');
    return { ...page, imageIndex, page: 0 };
  }

  it('the ballot hash is the SHA-256 of election.json', () => {
    const election = electionAt(electionPath);
    const want = (JSON.parse(readFileSync(join(VXQA, 'expected.json'), 'utf8')) as Record<string, string>)
      .ballotHashSha256OfElectionJsonBytes;
    expect(election.source.sha256).toBe(want);
  });

  it('every page decodes to the expected metadata, upright and upside down, in a few ms', async () => {
    const election = electionAt(electionPath);
    const images = expected();
    const files = readdirSync(png).filter((f) => f.endsWith('.png'));
    expect(files).toHaveLength(24);
    const times: number[] = [];
    for (const file of files) {
      const want = images[file];
      expect(want, file).toBeDefined();
      const upright = readFileSync(join(png, file));
      for (const bytes of [upright, await sharp(upright).rotate(180).png().toBuffer()]) {
        const page = await pageFrom(bytes);
        const reg = registerPage(page, { paper: election.paper });
        if (reg.type !== 'ok') throw new Error(`${file}: ${reg.detail}`);
        expect(reg.rotated180, file).toBe(bytes !== upright);
        const t0 = performance.now();
        const meta = readVxQrMetadata(page, reg, election);
        times.push(performance.now() - t0);
        expect(meta, file).toMatchObject({
          ok: true,
          version: 'v4.1',
          ballotHashPrefix: election.source.sha256.slice(0, 20),
          ballotStyleId: want?.ballotStyleId,
          precinctId: want?.precinctId,
          ballotType: want?.ballotType,
          isTestMode: want?.isTestMode,
          pageNumber: want?.pageNumber,
          sheetNumber: want?.sheetNumber,
          side: want?.side,
        });
      }
    }
    times.sort((a, b) => a - b);
    // median over 48 pages; generous for slow CI machines (about 4 ms here)
    expect(times[times.length >> 1]).toBeLessThan(40);
  });

  function sheetsOf(): { front: string; back: string }[] {
    const files = readdirSync(png).filter((f) => f.endsWith('.png'));
    return files
      .filter((f) => /-p-[13]\.png$/.test(f))
      .map((front) => ({ front, back: front.replace(/-p-(\d)\.png$/, (_, n) => `-p-${Number(n) + 1}.png`) }));
  }

  function expectSheet(out: SheetOutcome, front: string): InterpretedSheet {
    if (out.type !== 'interpreted') throw new Error(`${front}: rejected ${out.reason}: ${out.detail}`);
    return out;
  }

  it('interprets every sheet (front and back in either order): right style, sheet, precinct; all unmarked', async () => {
    const election = electionAt(electionPath);
    const images = expected();
    const sheets = sheetsOf();
    expect(sheets).toHaveLength(12);
    for (const [i, { front, back }] of sheets.entries()) {
      const want = images[front];
      const wantBack = images[back];
      if (!want || !wantBack) throw new Error(`${front}: not in expected.json`);
      const paths = [join(png, front), join(png, back)];
      const out = expectSheet(
        interpretSheet(await pagesOf(i % 2 ? [...paths].reverse() : paths), election, calibration),
        front,
      );
      expect(out.ballotStyleId, front).toBe(want.ballotStyleId);
      expect(out.precinctId, front).toBe(want.precinctId);
      expect(out.sheetNumber, front).toBe(want.sheetNumber);
      expect(out.pages.map((p) => [p.side, p.imageIndex]).sort(), front).toEqual([
        ['back', i % 2 ? 0 : 1],
        ['front', i % 2 ? 1 : 0],
      ]);
      // The v4.1 blank pages: all targets unmarked
      expect(
        out.targets.filter((t) => t.side === 'front'),
        front,
      ).toHaveLength(want.bubbleCount);
      expect(
        out.targets.filter((t) => t.side === 'back'),
        back,
      ).toHaveLength(wantBack.bubbleCount);
      expect(
        out.targets.filter((t) => t.status !== 'unmarked').map((t) => `${t.optionId} ${t.fill01}`),
        front,
      ).toEqual([]);
      for (const c of out.contests) expect(c.votes, `${front} ${c.contestId}`).toEqual([]);
      const testWarnings = out.pages.flatMap((p) =>
        p.warnings.filter((w) => w.startsWith('test-mode ballot')),
      );
      expect(testWarnings, front).toHaveLength(want.isTestMode ? 2 : 0);
    }
  });

  it('reads upside-down pages of a two-sheet style', async () => {
    const election = electionAt(electionPath);
    const front = '2_en-s3y4ua5am2y7-absentee-official-p-3.png';
    const back = '2_en-s3y4ua5am2y7-absentee-official-p-4.png';
    const pages = [
      await pageFrom(
        await sharp(readFileSync(join(png, back)))
          .rotate(180)
          .png()
          .toBuffer(),
        0,
      ),
      await pageFrom(
        await sharp(readFileSync(join(png, front)))
          .rotate(180)
          .png()
          .toBuffer(),
        1,
      ),
    ];
    const out = expectSheet(interpretSheet(pages, election, calibration), front);
    expect(out).toMatchObject({ ballotStyleId: '2_en', sheetNumber: 2, precinctId: 's3y4ua5am2y7' });
    expect(out.pages.map((p) => [p.side, p.imageIndex, p.rotated180])).toEqual([
      ['front', 1, true],
      ['back', 0, true],
    ]);
    expect(out.targets).toHaveLength(4);
    expect(out.targets.every((t) => t.status === 'unmarked')).toBe(true);
  });

  it('rejects a ballot of another election as wrong-election', async () => {
    const election = electionAt(electionPath);
    const other: Election = { ...election, source: { ...election.source, sha256: 'ab'.repeat(32) } };
    const out = interpretSheet(
      await pagesOf([
        join(png, '1_en-s3y4ua5am2y7-precinct-official-p-1.png'),
        join(png, '1_en-s3y4ua5am2y7-precinct-official-p-2.png'),
      ]),
      other,
      calibration,
    );
    expect(out).toMatchObject({ type: 'rejected', reason: 'wrong-election', imageIndex: 0 });
    expect(out.type === 'rejected' && out.detail).toContain('fc42b2550ca6be89c4cb');
  });

  it('rejects two pages that are not one sheet as page-mismatch', async () => {
    const election = electionAt(electionPath);
    const out = interpretSheet(
      await pagesOf([
        join(png, '2_en-s3y4ua5am2y7-precinct-official-p-1.png'),
        join(png, '2_en-s3y4ua5am2y7-precinct-official-p-4.png'),
      ]),
      election,
      calibration,
    );
    expect(out).toMatchObject({ type: 'rejected', reason: 'page-mismatch' });
  });
});
