/**
 * Walking inputs into sheets: files, directories (recursively, sorted) and manifest files.
 *
 * Pairing rules, in order, within one directory:
 * 1. names that differ only by a side word: `-front`/`-back`, `_front`/`_back`, `_side0`/`_side1`,
 *    `-A`/`-B`, `-p-1`/`-p-2` (case-insensitive) make one sheet; `front`/`back`/`side0`/`side1` may also
 *    stand inside the name before a shared suffix (`scan-front-300dpi`, `scan-back-300dpi`);
 * 2. a multi-page TIFF (`.tif`/`.tiff` without a side word) is one sheet by itself (pages 1 and 2);
 * 3. the remaining images pair up in name order (1+2, 3+4, …), unless `pairing: 'single'`, where each
 *    image is a one-page sheet.
 * Manifest (`*.txt` or `*.csv`): one sheet per line, `front[,back]` paths relative to the manifest.
 *
 * A TIFF of more than two pages given alone holds a whole batch, as document scanners save one: it is
 * split into sheets of two pages (1–2, 3–4, …; with `pairing: 'single'`, every page of a TIFF of two
 * or more is a sheet of its own), each shown as
 * `file.tif#page=3-4` in the outputs, so that no page of it is left out.
 */
import { closeSync, openSync, readdirSync, readFileSync, readSync, statSync } from 'node:fs';
import { basename, dirname, extname, join, relative, resolve } from 'node:path';

export const IMAGE_EXTENSIONS = new Set(['.jpg', '.jpeg', '.png', '.tif', '.tiff']);

export interface SheetInput {
  /** stable id in input order: 000001, 000002, … */
  sheetId: string;
  /** batch the sheet belongs to: its directory relative to the input root, or the manifest name */
  batchId: string;
  /** absolute paths */
  paths: string[];
  /** paths as shown in outputs: relative to the working directory (with `#page=…` for a batch TIFF) */
  displayPaths: string[];
  /** for a sheet inside a batch TIFF: its first page (0-based) and how many pages it has (1 or 2) */
  pages?: { first: number; count: number };
}

export interface InputListing {
  sheets: SheetInput[];
  /** files seen but not images (listed in the manifest so nothing is silently dropped) */
  ignored: { path: string; reason: string }[];
  /** inputs that do not exist or cannot be read */
  missing: string[];
}

export type Pairing = 'auto' | 'single';

const SIDE_PATTERN = /^(.*?)([-_. ]?)(front|back|side0|side1|a|b|p-1|p-2)$/i;

/** A side word inside the name, before a suffix the two sides share: `scan-front-300dpi`, `b7_back_2`. */
const INNER_SIDE_PATTERN = /^(.*?[-_. ])(front|back|side0|side1)([-_. ].*)$/i;

function sideOf(stem: string): { key: string; side: 0 | 1 } | undefined {
  const inner = SIDE_PATTERN.test(stem) ? undefined : INNER_SIDE_PATTERN.exec(stem);
  if (inner?.[2]) {
    const word = inner[2].toLowerCase();
    const side = word === 'front' || word === 'side0' ? 0 : 1;
    return { key: `${inner[1]}\u0000${inner[3]}\u0000${word.startsWith('side') ? 'side' : 'fb'}`, side };
  }
  const m = SIDE_PATTERN.exec(stem);
  if (!m?.[3]) return undefined;
  const word = m[3].toLowerCase();
  // a bare trailing "a"/"b" only counts with a separator (`ballot-a`), not inside a word
  if ((word === 'a' || word === 'b') && !m[2]) return undefined;
  const side = word === 'front' || word === 'side0' || word === 'a' || word === 'p-1' ? 0 : 1;
  return {
    key: `${m[1]}\u0000${word === 'a' || word === 'b' ? 'ab' : word.startsWith('side') ? 'side' : word.startsWith('p-') ? 'p' : 'fb'}`,
    side,
  };
}

function groupDirectory(files: string[], pairing: Pairing): string[][] {
  const sheets: { at: number; paths: string[] }[] = [];
  const bySide = new Map<string, { at: number; sides: (string | undefined)[] }>();
  const rest: { at: number; path: string }[] = [];
  files.forEach((path, at) => {
    const ext = extname(path);
    const stem = basename(path, ext);
    const s = pairing === 'auto' ? sideOf(stem) : undefined;
    if (s) {
      const entry = bySide.get(s.key) ?? { at, sides: [undefined, undefined] };
      if (entry.sides[s.side] === undefined) {
        entry.sides[s.side] = path;
        bySide.set(s.key, entry);
        return;
      }
    }
    rest.push({ at, path });
  });
  for (const { at, sides } of bySide.values())
    sheets.push({ at, paths: sides.filter((p): p is string => !!p) });
  const loose: { at: number; path: string }[] = [];
  for (const r of rest) {
    if (pairing === 'single' || /\.tiff?$/i.test(r.path)) sheets.push({ at: r.at, paths: [r.path] });
    else loose.push(r);
  }
  for (let i = 0; i < loose.length; i += 2) {
    const a = loose[i];
    const b = loose[i + 1];
    if (a) sheets.push({ at: a.at, paths: b ? [a.path, b.path] : [a.path] });
  }
  return sheets.sort((x, y) => x.at - y.at).map((s) => s.paths);
}

function walk(dir: string, out: string[]): void {
  for (const name of readdirSync(dir).sort()) {
    if (name.startsWith('.')) continue;
    const full = join(dir, name);
    const st = statSync(full);
    if (st.isDirectory()) walk(full, out);
    else out.push(full);
  }
}

function readManifest(path: string): string[][] {
  const base = dirname(path);
  return readFileSync(path, 'utf8')
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) =>
      l
        .split(',')
        .map((p) => p.trim())
        .filter(Boolean)
        .map((p) => resolve(base, p)),
    );
}

/** List every input as sheets; nothing given is dropped without a trace. */
export function listInputs(inputs: readonly string[], cwd: string, pairing: Pairing = 'auto'): InputListing {
  const sheets: SheetInput[] = [];
  const ignored: InputListing['ignored'] = [];
  const missing: string[] = [];
  const add = (paths: string[], batchId: string) => {
    sheets.push({
      sheetId: String(sheets.length + 1).padStart(6, '0'),
      batchId,
      paths,
      displayPaths: paths.map((p) => relative(cwd, p) || p),
    });
  };
  for (const input of inputs) {
    const full = resolve(cwd, input);
    let st: ReturnType<typeof statSync>;
    try {
      st = statSync(full);
    } catch {
      missing.push(input);
      continue;
    }
    if (st.isDirectory()) {
      const files: string[] = [];
      walk(full, files);
      const byDir = new Map<string, string[]>();
      for (const f of files) {
        if (!IMAGE_EXTENSIONS.has(extname(f).toLowerCase())) {
          ignored.push({
            path: relative(cwd, f),
            reason: 'not an image file name (.jpg .jpeg .png .tif .tiff)',
          });
          continue;
        }
        const d = dirname(f);
        const list = byDir.get(d);
        if (list) list.push(f);
        else byDir.set(d, [f]);
      }
      for (const [d, list] of byDir) {
        const batchId = relative(resolve(full, '..'), d) || basename(d);
        for (const paths of groupDirectory(list, pairing)) add(paths, batchId);
      }
    } else if (/\.(txt|csv)$/i.test(full)) {
      for (const paths of readManifest(full)) add(paths, basename(full));
    } else if (IMAGE_EXTENSIONS.has(extname(full).toLowerCase())) {
      // Loose files given one by one group like a directory's.
      const batchId = basename(dirname(full));
      const last = sheets[sheets.length - 1];
      const pending = last && last.batchId === `\u0000${batchId}` ? last : undefined;
      if (pending) pending.paths.push(full);
      else add([full], `\u0000${batchId}`);
    } else {
      ignored.push({ path: input, reason: 'not an image file name or a manifest (.txt, .csv)' });
    }
  }
  // Re-group runs of loose files by the same rules as a directory.
  const out: SheetInput[] = [];
  for (const s of sheets) {
    if (!s.batchId.startsWith('\u0000')) {
      out.push(s);
      continue;
    }
    for (const paths of groupDirectory(s.paths, pairing)) {
      out.push({
        sheetId: '',
        batchId: s.batchId.slice(1),
        paths,
        displayPaths: paths.map((p) => relative(cwd, p) || p),
      });
    }
  }
  const split = out.flatMap((s) => splitBatchTiff(s, pairing === 'single' ? 1 : 2));
  split.forEach((s, i) => {
    s.sheetId = String(i + 1).padStart(6, '0');
  });
  return { sheets: split, ignored, missing };
}

/** `box.tif` + pages 3–4 → `box.tif#page=3-4`: how a sheet inside a batch TIFF is named in the outputs. */
export function withPages(path: string, first: number, count: number): string {
  return `${path}#page=${count === 1 ? `${first + 1}` : `${first + 1}-${first + count}`}`;
}

/** `box.tif#page=3-4` → the file and the `#page=…` part ('' for a path without one). */
export function splitPages(shown: string): { file: string; pages: string } {
  const m = /#page=\d+(-\d+)?$/.exec(shown);
  return m ? { file: shown.slice(0, m.index), pages: m[0] } : { file: shown, pages: '' };
}

/** A sheet that is one TIFF of more pages than a sheet has → one sheet per `perSheet` pages of it. */
function splitBatchTiff(sheet: SheetInput, perSheet: 1 | 2): SheetInput[] {
  const [path] = sheet.paths;
  if (sheet.paths.length !== 1 || !path || !/\.tiff?$/i.test(path)) return [sheet];
  const count = tiffPageCount(path);
  if (count === undefined || count <= perSheet) return [sheet];
  const out: SheetInput[] = [];
  for (let first = 0; first < count; first += perSheet) {
    const n = Math.min(perSheet, count - first);
    out.push({
      ...sheet,
      displayPaths: sheet.displayPaths.map((d) => withPages(d, first, n)),
      pages: { first, count: n },
    });
  }
  return out;
}

/** The most pages a TIFF is read for (a box of ballots is far fewer; beyond, the file is not a batch). */
const MAX_TIFF_PAGES = 100_000;

/**
 * The number of pages (image file directories) of a TIFF, read from its header chain without reading the
 * images; undefined when the file is not a TIFF we can walk (its decoding then says what is wrong).
 */
export function tiffPageCount(path: string): number | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const size = statSync(path).size;
    const buf = Buffer.alloc(16);
    const read = (at: number, n: number) => at + n <= size && readSync(fd as number, buf, 0, n, at) === n;
    if (!read(0, 16)) return undefined;
    const little = buf.toString('latin1', 0, 2) === 'II';
    if (!little && buf.toString('latin1', 0, 2) !== 'MM') return undefined;
    const u16 = (o: number) => (little ? buf.readUInt16LE(o) : buf.readUInt16BE(o));
    const u32 = (o: number) => (little ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
    const u64 = (o: number) => Number(little ? buf.readBigUInt64LE(o) : buf.readBigUInt64BE(o));
    const big = u16(2) === 43;
    if (!big && u16(2) !== 42) return undefined;
    let offset = big ? u64(8) : u32(4);
    const seen = new Set<number>();
    let pages = 0;
    while (offset !== 0) {
      if (seen.has(offset) || pages >= MAX_TIFF_PAGES) return undefined;
      seen.add(offset);
      if (!read(offset, big ? 8 : 2)) return undefined;
      const entries = big ? u64(0) : u16(0);
      const next = big ? offset + 8 + entries * 20 : offset + 2 + entries * 12;
      if (!read(next, big ? 8 : 4)) return undefined;
      pages++;
      offset = big ? u64(0) : u32(0);
    }
    return pages;
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
