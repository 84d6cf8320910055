/**
 * Walking inputs into sheets: files, directories (recursively, sorted) and manifest files.
 *
 * Pairing rules, in order, within one directory:
 * 1. names that differ only by a side word: `-front`/`-back`, `_front`/`_back`, `_side0`/`_side1`,
 *    `-A`/`-B`, `-p-1`/`-p-2` (case-insensitive) make one sheet;
 * 2. a multi-page TIFF (`.tif`/`.tiff` without a side word) is one sheet by itself (pages 1 and 2);
 * 3. the remaining images pair up in name order (1+2, 3+4, …), unless `pairing: 'single'`, where each
 *    image is a one-page sheet.
 * Manifest (`*.txt` or `*.csv`): one sheet per line, `front[,back]` paths relative to the manifest.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, extname, join, relative, resolve } from 'node:path';

export const IMAGE_EXTENSIONS = new Set(['.jpg', '.jpeg', '.png', '.tif', '.tiff']);

export interface SheetInput {
  /** stable id in input order: 000001, 000002, … */
  sheetId: string;
  /** batch the sheet belongs to: its directory relative to the input root, or the manifest name */
  batchId: string;
  /** absolute paths */
  paths: string[];
  /** paths as shown in outputs: relative to the working directory */
  displayPaths: string[];
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

function sideOf(stem: string): { key: string; side: 0 | 1 } | undefined {
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
  out.forEach((s, i) => {
    s.sheetId = String(i + 1).padStart(6, '0');
  });
  return { sheets: out, ignored, missing };
}
