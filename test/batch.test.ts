/**
 * The batch job end to end through the CLI: bad inputs are reported and nothing is lost, outputs do not
 * depend on the worker count, a killed run resumes to identical outputs, a crashing worker costs a retry.
 */
import { spawn } from 'node:child_process';
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
import { crc32, deflateSync } from 'node:zlib';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { encodeMultipageG4 } from '../samples/generator/encode.ts';
import { generateSheet, type SheetTruth } from '../samples/generator/index.ts';
import { listInputs, tiffPageCount } from '../src/batch/inputs.ts';
import { main } from '../src/cli/main.ts';
import type { GrayImage } from '../src/image.ts';
import { capture, electionAt } from './helpers.ts';
import { HAVE_SCHEMAS, validator } from './nist.ts';

const ROOT = join(import.meta.dirname, '..');
const DEMO = join(ROOT, 'samples', 'demo');
const ELECTION = join(DEMO, 'election.json');
const BIN = join(ROOT, 'bin', 'ballot-tally.js');

/** A decompression bomb: a valid PNG claiming width × height whose first rows deflate from almost nothing. */
function pngHeaderOnly(width: number, height: number): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([len, body, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 0; // grayscale
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(Buffer.alloc((width + 1) * 4))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

const demoPairs = () =>
  readdirSync(DEMO)
    .filter((f) => /-front\.jpeg$/.test(f))
    .sort()
    .map((f) => [f, f.replace('-front', '-back')] as const);

function copyDemo(dir: string, count: number): void {
  mkdirSync(dir, { recursive: true });
  for (const [front, back] of demoPairs().slice(0, count)) {
    copyFileSync(join(DEMO, front), join(dir, front));
    copyFileSync(join(DEMO, back), join(dir, back));
  }
}

const OUTPUTS = [
  'cvr-report.json',
  'cvr.csv',
  'tally.json',
  'tally.csv',
  'summary.txt',
  'results.json',
  'review.json',
  'rejected.json',
  'manifest.json',
];

function outputsOf(dir: string): Record<string, string> {
  return Object.fromEntries(
    OUTPUTS.filter((f) => existsSync(join(dir, f))).map((f) => [f, readFileSync(join(dir, f), 'utf8')]),
  );
}

describe('tally: a bad-input corpus is reported file by file and the batch completes', () => {
  it('reports each bad input with its reason, and the counts add up', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bt-bad-'));
    const inputs = join(dir, 'in');
    copyDemo(inputs, 2);
    const [front] = demoPairs()[0] ?? [];
    if (!front) throw new Error('no demo sheets');
    const good = readFileSync(join(DEMO, front));
    // one-sided sheets: pair every file on its own
    writeFileSync(join(inputs, 'zero-bytes.jpg'), Buffer.alloc(0));
    writeFileSync(join(inputs, 'truncated.jpg'), good.subarray(0, Math.floor(good.length / 3)));
    writeFileSync(join(inputs, 'notes.jpg'), 'this is a text file, not a picture\n');
    writeFileSync(join(inputs, 'bomb.png'), pngHeaderOnly(30000, 30000));
    const noise = Buffer.alloc(1700 * 2200);
    for (let i = 0; i < noise.length; i++) noise[i] = (i * 2654435761) >>> 24;
    await sharp(noise, { raw: { width: 1700, height: 2200, channels: 1 } })
      .jpeg()
      .toFile(join(inputs, 'photo.jpg'));
    await sharp({ create: { width: 1700, height: 2200, channels: 3, background: '#ffffff' } })
      .jpeg()
      .toFile(join(inputs, 'blank.jpg'));
    await sharp(good).rotate(90).toFile(join(inputs, 'turned-90.jpg'));
    copyFileSync(join(DEMO, front), join(inputs, 'zz-duplicate.jpeg'));
    // The same layout printed for another election (another date on the back of the sheet).
    const other = { ...electionAt(ELECTION), date: '2023-03-14' };
    const foreign = await generateSheet(other, { profile: 'clean', format: 'jpeg', sheetId: 'other' }, 11);
    if (!('front' in foreign.images)) throw new Error('expected two images');
    writeFileSync(join(inputs, 'other-election-front.jpeg'), foreign.images.front);
    writeFileSync(join(inputs, 'other-election-back.jpeg'), foreign.images.back);
    const manifest = [
      ...demoPairs()
        .slice(0, 2)
        .map(([f, b]) => `${f},${b}`),
      'zero-bytes.jpg',
      'truncated.jpg',
      'notes.jpg',
      'bomb.png',
      'photo.jpg',
      'blank.jpg',
      'turned-90.jpg',
      `zz-duplicate.jpeg,${demoPairs()[0]?.[1]}`,
      'other-election-front.jpeg,other-election-back.jpeg',
      'missing-file.jpg',
    ].join('\n');
    writeFileSync(join(inputs, 'manifest.txt'), `${manifest}\n`);
    const io = capture();
    const code = await main(
      [
        'tally',
        join(inputs, 'manifest.txt'),
        '--election',
        ELECTION,
        '--out',
        join(dir, 'out'),
        '--json',
        '--workers',
        '2',
      ],
      io,
    );
    expect(code, io.err()).toBe(1);
    const summary = JSON.parse(io.out()) as {
      counts: { inputs: number; recorded: number; needsReview: number; rejected: number };
    };
    const c = summary.counts;
    expect(c.inputs).toBe(12);
    expect(c.inputs).toBe(c.recorded + c.needsReview + c.rejected);
    const rejected = JSON.parse(readFileSync(join(dir, 'out', 'rejected.json'), 'utf8')) as {
      files: string[];
      reason: string;
    }[];
    const byFile = Object.fromEntries(rejected.map((r) => [r.files[0]?.split('/').pop(), r.reason]));
    expect(byFile).toEqual({
      'zero-bytes.jpg': 'empty-file',
      'truncated.jpg': 'corrupt-image',
      'notes.jpg': 'not-an-image',
      'bomb.png': 'too-many-pixels',
      'photo.jpg': 'no-timing-marks',
      'blank.jpg': 'blank-page',
      // a page saved sideways is turned upright and read; on its own it lacks the back of its sheet
      'turned-90.jpg': 'missing-page',
      'zz-duplicate.jpeg': 'duplicate-image',
      'missing-file.jpg': 'unreadable-file',
      'other-election-front.jpeg': 'wrong-election',
    });
  });
});

describe('tally: files that are not ballot images', () => {
  it('are named on stderr (or counted by kind when many), counted in summary.txt and listed in --json and manifest.json', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bt-ignored-'));
    copyDemo(join(dir, 'in'), 1);
    writeFileSync(join(dir, 'in', 'scanner-log.pdf'), '%PDF-1.4\n');
    const io = capture();
    const out = join(dir, 'out');
    await main(['tally', join(dir, 'in'), '--election', ELECTION, '--out', out, '--json'], io);
    expect(io.err()).toMatch(
      /1 file\(s\) among the inputs are not ballot images and are not read \(.*scanner-log\.pdf;/,
    );
    const summary = JSON.parse(io.out()) as { counts: { inputs: number }; ignored: { path: string }[] };
    expect(summary.counts.inputs).toBe(1);
    expect(summary.ignored.map((f) => f.path.split('/').pop())).toEqual(['scanner-log.pdf']);
    expect(readFileSync(join(out, 'summary.txt'), 'utf8')).toContain('Files not read: 1 ');
    expect(readFileSync(join(out, 'manifest.json'), 'utf8')).toContain('scanner-log.pdf');
  });
});

describe('listing inputs: which files make one sheet', () => {
  it('pairs by side words at the end or inside the name, then by name order', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bt-pairs-'));
    const names = [
      'b7_back_2.jpg',
      'b7_front_2.jpg',
      'box1-0001-side0.png',
      'box1-0001-side1.png',
      'scan-back-300dpi.jpeg',
      'scan-front-300dpi.jpeg',
      'sheet-0001-A.jpg',
      'sheet-0001-B.jpg',
      'x0001.jpg',
      'x0002.jpg',
    ];
    for (const n of names) writeFileSync(join(dir, n), 'not read while listing');
    expect(listInputs([dir], dir).sheets.map((s) => s.displayPaths.join('+'))).toEqual([
      'b7_front_2.jpg+b7_back_2.jpg',
      'box1-0001-side0.png+box1-0001-side1.png',
      'scan-front-300dpi.jpeg+scan-back-300dpi.jpeg',
      'sheet-0001-A.jpg+sheet-0001-B.jpg',
      'x0001.jpg+x0002.jpg',
    ]);
  });
});

describe('tally: a batch TIFF (many sheets in one multi-page file)', () => {
  it('is listed as sheets of two pages, or of one page each with single pairing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bt-list-tiff-'));
    const tiff = (pages: number) =>
      sharp(Buffer.alloc(64 * 64 * pages, 255), {
        raw: { width: 64, height: 64 * pages, channels: 1, pageHeight: 64 },
      })
        .tiff()
        .toBuffer();
    writeFileSync(join(dir, 'a-two.tif'), await tiff(2));
    writeFileSync(join(dir, 'b-three.tif'), await tiff(3));
    const listed = (pairing: 'auto' | 'single') =>
      listInputs([dir], dir, pairing).sheets.map((s) => [s.displayPaths.join('+'), s.pages]);
    expect(listed('auto')).toEqual([
      ['a-two.tif', undefined],
      ['b-three.tif#page=1-2', { first: 0, count: 2 }],
      ['b-three.tif#page=3', { first: 2, count: 1 }],
    ]);
    expect(listed('single')).toEqual([
      ['a-two.tif#page=1', { first: 0, count: 1 }],
      ['a-two.tif#page=2', { first: 1, count: 1 }],
      ['b-three.tif#page=1', { first: 0, count: 1 }],
      ['b-three.tif#page=2', { first: 1, count: 1 }],
      ['b-three.tif#page=3', { first: 2, count: 1 }],
    ]);
  });

  it('is split into sheets of two pages, each read, shown with its pages, and none taken for a duplicate', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bt-batch-tiff-'));
    mkdirSync(join(dir, 'in'));
    const election = electionAt(ELECTION);
    const pages: GrayImage[] = [];
    const truths: SheetTruth[] = [];
    for (const seed of [31, 32, 33]) {
      const sheet = await generateSheet(election, { profile: 'clean', dpi: 200, format: 'png' }, seed);
      if (!('front' in sheet.images)) throw new Error('expected two images');
      for (const bytes of [sheet.images.front, sheet.images.back]) {
        const { data, info } = await sharp(bytes)
          .toColourspace('b-w')
          .raw()
          .toBuffer({ resolveWithObject: true });
        pages.push({ widthPx: info.width, heightPx: info.height, data: new Uint8Array(data) });
      }
      truths.push(sheet.truth);
    }
    // seven pages: three sheets and the front of a fourth whose back did not make it into the file
    const file = join(dir, 'in', 'box-7.tif');
    writeFileSync(file, await encodeMultipageG4([...pages, pages[0] as GrayImage], 200, 128));
    expect(tiffPageCount(file)).toBe(7);
    expect(tiffPageCount(ELECTION)).toBeUndefined();
    const io = capture();
    const out = join(dir, 'out');
    const code = await main(['tally', join(dir, 'in'), '--election', ELECTION, '--out', out, '--json'], io);
    expect(code, io.err()).toBe(1); // the lone last page is rejected
    const records = readFileSync(join(out, 'cvr.csv'), 'utf8').trim().split('\n').slice(1);
    const shown = (r: string) => {
      const [id, batch, path = '', status] = r.split(',');
      return [id, batch, path.split('/').slice(-2).join('/'), status];
    };
    expect(records.map(shown)).toEqual([
      ['000001', 'in', 'in/box-7.tif#page=1-2', expect.any(String)],
      ['000002', 'in', 'in/box-7.tif#page=3-4', expect.any(String)],
      ['000003', 'in', 'in/box-7.tif#page=5-6', expect.any(String)],
      ['000004', 'in', 'in/box-7.tif#page=7', 'rejected'],
    ]);
    const rejected = JSON.parse(readFileSync(join(out, 'rejected.json'), 'utf8')) as { reason: string }[];
    expect(rejected.map((r) => r.reason)).toEqual(['missing-page']);
    const report = JSON.parse(readFileSync(join(out, 'cvr-report.json'), 'utf8')) as {
      CVR: { BallotStyleId: string; BallotImage: { Location: string }[] }[];
    };
    expect(report.CVR.map((c) => c.BallotStyleId)).toEqual(truths.map((t) => t.ballotStyleId));
    expect(report.CVR.map((c) => c.BallotImage[0]?.Location.split('/').pop())).toEqual([
      'box-7.tif#page=1-2',
      'box-7.tif#page=3-4',
      'box-7.tif#page=5-6',
    ]);
    // one sheet of the box on its own, as the outputs name it
    const one = capture();
    expect(
      await main(['interpret', file, '--page', '3', '--election', ELECTION, '--json'], one),
    ).toBeLessThan(2);
    const sheet = JSON.parse(one.out()) as { outcome: { pages: { page: number }[]; targets: unknown[] } };
    expect(sheet.outcome.pages.map((p) => p.page)).toEqual([2, 3]);
    // in words: a cross-endorsed candidate's two ovals told apart, each write-in with its area's ink
    const words = capture();
    expect(await main(['interpret', file, '--page', '3', '--election', ELECTION], words)).toBeLessThan(2);
    expect(words.out()).toMatch(
      /frank-osgood {2}\[front, column 12, row 16\]\n.*frank-osgood {2}\[front, column 19, row 16\]/,
    );
    expect(words.out()).toMatch(/write-in-0 {2}write-in area ink \d\.\d{3}\n/);
    const bad = capture();
    expect(await main(['interpret', file, '--page', '0', '--election', ELECTION], bad)).toBe(2);
    expect(bad.err()).toContain('Expected integer between 1 and 100000 for --page but received "0"');
  });
});

describe('tally: deterministic outputs', () => {
  it('1 and 2 workers give byte-identical outputs', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bt-det-'));
    copyDemo(join(dir, 'in'), 6);
    const outs: Record<string, string>[] = [];
    for (const workers of ['1', '2']) {
      const io = capture();
      const out = join(dir, `out-${workers}`);
      const code = await main(
        ['tally', join(dir, 'in'), '--election', ELECTION, '--out', out, '--workers', workers, '--json'],
        io,
      );
      expect(code, io.err()).toBeLessThanOrEqual(1);
      outs.push(outputsOf(out));
    }
    expect(Object.keys(outs[0] ?? {}).length).toBeGreaterThanOrEqual(6);
    expect(outs[1]).toEqual(outs[0]);
  });

  it.skipIf(!HAVE_SCHEMAS)('the CVR report and the results validate against the NIST schemas', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bt-nist-'));
    copyDemo(join(dir, 'in'), 4);
    const io = capture();
    await main(['tally', join(dir, 'in'), '--election', ELECTION, '--out', join(dir, 'out'), '--json'], io);
    const cvr = JSON.parse(readFileSync(join(dir, 'out', 'cvr-report.json'), 'utf8')) as { CVR: unknown[] };
    expect(cvr.CVR).toHaveLength(4);
    expect(validator('nist-1500-103-cvr-schema.json')(cvr)).toEqual([]);
    const results = JSON.parse(readFileSync(join(dir, 'out', 'results.json'), 'utf8'));
    expect(validator('nist-1500-100-err-v2-schema.json')(results)).toEqual([]);
  });
});

function runCli(args: string[], env: Record<string, string>) {
  return spawn(process.execPath, [BIN, ...args], {
    cwd: ROOT,
    env: { ...process.env, SOURCE_DATE_EPOCH: '1730764800', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Processes started by the launcher with this pid (found by the environment it gives its child). */
function childrenOfLauncher(launcherPid: number): string[] {
  const mark = `BALLOT_TALLY_LAUNCHER_PID=${launcherPid}\0`;
  return readdirSync('/proc').filter((pid) => {
    if (!/^\d+$/.test(pid)) return false;
    try {
      return readFileSync(`/proc/${pid}/environ`, 'latin1').includes(mark);
    } catch {
      return false; // gone meanwhile, or not ours to read
    }
  });
}

const exited = (p: ReturnType<typeof spawn>) =>
  new Promise<number | null>((resolve) => p.on('exit', (code) => resolve(code)));

describe('tally: resume after kill -9', () => {
  it('finishes without re-reading finished sheets and equals an uninterrupted run', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bt-resume-'));
    copyDemo(join(dir, 'in'), 14);
    const args = (out: string) => [
      'tally',
      join(dir, 'in'),
      '--election',
      ELECTION,
      '--out',
      out,
      '--workers',
      '1',
      '--json',
    ];
    await exited(runCli(args(join(dir, 'clean')), {}));

    const killed = runCli(args(join(dir, 'killed')), {});
    const journal = join(dir, 'killed', 'journal.jsonl');
    await new Promise<void>((resolve, reject) => {
      const started = Date.now();
      const timer = setInterval(() => {
        const lines = existsSync(journal)
          ? readFileSync(journal, 'utf8').split('\n').filter(Boolean).length
          : 0;
        if (lines >= 4) {
          clearInterval(timer);
          killed.kill('SIGKILL');
          resolve();
        } else if (Date.now() - started > 60_000) {
          clearInterval(timer);
          reject(new Error('the batch never started'));
        }
      }, 20);
    });
    await exited(killed);
    // On Linux the batch runs in a child of the launcher that was killed (bin/ballot-tally.js): it must
    // be gone too, without a line written after its launcher died.
    const journalAtKill = readFileSync(journal, 'utf8');
    if (process.platform === 'linux') {
      const child = () => childrenOfLauncher(killed.pid ?? -1);
      for (let i = 0; i < 100 && child().length > 0; i++) await new Promise((r) => setTimeout(r, 20));
      expect(child()).toEqual([]);
    }
    expect(readFileSync(journal, 'utf8')).toBe(journalAtKill);
    // Complete lines only (a line torn by the kill is not a finished sheet), less the header.
    const before = readFileSync(journal, 'utf8').split('\n').slice(0, -1).length - 1;
    expect(before).toBeGreaterThanOrEqual(3);
    expect(before).toBeLessThan(14);

    const resumed = runCli([...args(join(dir, 'killed')), '--resume'], {});
    let stdout = '';
    resumed.stdout?.on('data', (d) => (stdout += d));
    expect(await exited(resumed)).toBeLessThanOrEqual(1);
    expect((JSON.parse(stdout) as { resumedSheets: number }).resumedSheets).toBe(before);
    expect(outputsOf(join(dir, 'killed'))).toEqual(outputsOf(join(dir, 'clean')));
  });
});

describe('tally: a crashing worker', () => {
  it('costs one retry, then the sheet is an error and the batch goes on', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bt-crash-'));
    copyDemo(join(dir, 'in'), 3);
    const p = runCli(
      [
        'tally',
        join(dir, 'in'),
        '--election',
        ELECTION,
        '--out',
        join(dir, 'out'),
        '--workers',
        '1',
        '--json',
      ],
      {
        BALLOT_TALLY_TEST_CRASH_ON_SHEET: '000002',
      },
    );
    let stdout = '';
    p.stdout?.on('data', (d) => (stdout += d));
    expect(await exited(p)).toBe(1);
    const counts = (JSON.parse(stdout) as { counts: { inputs: number; rejected: number } }).counts;
    expect(counts).toMatchObject({ inputs: 3, rejected: 1 });
    const rejected = JSON.parse(readFileSync(join(dir, 'out', 'rejected.json'), 'utf8')) as {
      sheetId: string;
      reason: string;
    }[];
    expect(rejected).toEqual([expect.objectContaining({ sheetId: '000002', reason: 'processing-error' })]);
  });
});
