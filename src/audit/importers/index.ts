/**
 * Reading official data: which importer a file needs (`--format auto` looks at names and content),
 * and merging several files of one format into one normalized `OfficialData`.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, extname, join, resolve } from 'node:path';
import type { Result } from '../../election/result.ts';
import {
  OFFICIAL_FORMATS,
  type OfficialContest,
  type OfficialData,
  type OfficialFormat,
} from '../official.ts';
import { importClearBallot } from './clearballot.ts';
import { type DominionFiles, importDominion, isDominionManifest } from './dominion.ts';
import { importEss } from './ess.ts';
import { importHart } from './hart.ts';
import { importNistCvr } from './nist-cvr.ts';
import { importNistResults } from './nist-results.ts';
import { importPlainCsv } from './plain-csv.ts';

export type FormatChoice = OfficialFormat | 'auto';
export const FORMAT_CHOICES: readonly FormatChoice[] = ['auto', ...OFFICIAL_FORMATS];

interface Loaded {
  path: string;
  text: string;
  json?: unknown;
  format: OfficialFormat | 'dominion-manifest' | 'ignored';
}

function listFiles(path: string): string[] {
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path, { withFileTypes: true })
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .flatMap((e) => (e.name.startsWith('.') ? [] : listFiles(join(path, e.name))));
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The format of one file by its name and first bytes (JSON `@type`, Dominion `Sessions`, CSV headers). */
export function detectFormat(path: string, text: string, json?: unknown): Loaded['format'] | undefined {
  const ext = extname(path).toLowerCase();
  if (ext === '.xml')
    return /<(\w+:)?Cvr[\s>]/.test(text.slice(0, 4096)) || /<(\w+:)?Cvr[\s>]/.test(text) ? 'hart' : undefined;
  if (ext === '.json') {
    if (isDominionManifest(path)) return 'dominion-manifest';
    if (json === null || typeof json !== 'object') return undefined;
    const o = json as Record<string, unknown>;
    if (o['@type'] === 'ElectionResults.ElectionReport') return 'nist-results';
    if (o['@type'] === 'CVR.CastVoteRecordReport') return 'nist-cvr';
    if (Array.isArray(o.Sessions)) return 'dominion';
    if (/manifest\.json$/i.test(path) && Array.isArray(o.List)) return 'ignored';
    return undefined;
  }
  if (ext === '.csv' || ext === '.txt') {
    const first = text.replace(/^\uFEFF/, '').split(/\r?\n/, 1)[0] ?? '';
    if (/(^|,)"?Cast Vote Record"?(,|$)/.test(first)) return 'ess';
    if (/(^|,)"?RowNumber"?(,|$)/.test(first) && first.includes('Choice_')) return 'clearballot';
    return 'csv';
  }
  return undefined;
}

/** Sum the totals of several files (per-ballot records are concatenated). */
export function mergeOfficial(parts: OfficialData[]): OfficialData {
  const [first, ...rest] = parts;
  if (!first) throw new Error('internal: nothing to merge');
  if (rest.length === 0) return first;
  const contests = new Map<string, OfficialContest>();
  const add = (a: number | undefined, b: number | undefined) =>
    a === undefined || b === undefined ? undefined : a + b;
  for (const part of parts)
    for (const c of part.contests) {
      const prior = contests.get(c.key);
      if (!prior) {
        contests.set(c.key, { ...c, options: c.options.map((o) => ({ ...o })) });
        continue;
      }
      for (const o of c.options) {
        const p = prior.options.find((x) => x.key === o.key);
        if (p) p.votes += o.votes;
        else prior.options.push({ ...o });
      }
      for (const k of ['overvotes', 'undervotes', 'ballots'] as const) {
        const v = add(prior[k], c[k]);
        if (v === undefined) delete prior[k];
        else prior[k] = v;
      }
    }
  const ballots = parts.every((p) => p.ballots) ? parts.flatMap((p) => p.ballots ?? []) : undefined;
  const merged: OfficialData = {
    format: first.format,
    files: parts.flatMap((p) => p.files),
    contests: [...contests.values()],
    warnings: parts.flatMap((p) => p.warnings),
  };
  if (ballots) merged.ballots = ballots;
  return merged;
}

/**
 * Read official files (or directories of them) in one format. Never throws for bad input: unreadable
 * files, unknown formats, mixed formats and invalid content are messages.
 */
export function loadOfficial(
  paths: readonly string[],
  format: FormatChoice,
  cwd: string,
): Result<OfficialData> {
  const errors: string[] = [];
  const loaded: Loaded[] = [];
  for (const p of paths) {
    const abs = resolve(cwd, p);
    if (!existsSync(abs)) {
      errors.push(`Expected an existing file or directory for --official but received "${p}"`);
      continue;
    }
    for (const file of listFiles(abs)) {
      const text = readFileSync(file, 'utf8');
      const json = extname(file).toLowerCase() === '.json' ? safeJson(text) : undefined;
      if (extname(file).toLowerCase() === '.json' && json === undefined) {
        errors.push(`${basename(file)}: Expected JSON but received text that does not parse`);
        continue;
      }
      const detected = detectFormat(file, text, json);
      const isDirEntry = file !== abs;
      let f: Loaded['format'] | undefined = detected;
      if (format !== 'auto' && detected !== 'dominion-manifest' && detected !== 'ignored') {
        // an explicit format wins for files of a plausible kind; stray files in a directory are skipped
        const ext = extname(file).toLowerCase();
        const plausible =
          (format === 'hart' && ext === '.xml') ||
          (['nist-results', 'nist-cvr', 'dominion'].includes(format) && ext === '.json') ||
          (['csv', 'ess', 'clearballot'].includes(format) && (ext === '.csv' || ext === '.txt'));
        f = plausible ? format : isDirEntry ? 'ignored' : format;
      }
      if (f === undefined) {
        if (isDirEntry) continue;
        errors.push(
          `Expected a file in one of the formats ${OFFICIAL_FORMATS.join(', ')} for --official but could not tell the format of "${p}"; give --format`,
        );
        continue;
      }
      if (f === 'ignored') continue;
      const entry: Loaded = { path: file, text, format: f };
      if (json !== undefined) entry.json = json;
      loaded.push(entry);
    }
  }
  if (errors.length) return { ok: false, errors };
  const formats = [...new Set(loaded.map((l) => (l.format === 'dominion-manifest' ? 'dominion' : l.format)))];
  if (formats.length === 0)
    return { ok: false, errors: ['Expected official data for --official but found no readable file'] };
  if (formats.length > 1)
    return {
      ok: false,
      errors: [
        `Expected official files of one format but received ${formats.map((f) => `"${f}"`).join(', ')}`,
      ],
    };
  const fmt = formats[0] as OfficialFormat;
  if (fmt === 'dominion') {
    const files: DominionFiles = { exports: [] };
    for (const l of loaded) {
      const kind = isDominionManifest(l.path);
      if (kind === 'contest') files.contestManifest = { path: l.path, value: l.json };
      else if (kind === 'candidate') files.candidateManifest = { path: l.path, value: l.json };
      else if (l.format === 'dominion') files.exports.push({ path: l.path, value: l.json });
    }
    // manifests beside the exports when only the exports were named
    const dir = loaded[0] ? resolve(loaded[0].path, '..') : cwd;
    for (const [key, name] of [
      ['contestManifest', 'ContestManifest.json'],
      ['candidateManifest', 'CandidateManifest.json'],
    ] as const) {
      const beside = join(dir, name);
      if (!files[key] && existsSync(beside)) {
        const value = safeJson(readFileSync(beside, 'utf8'));
        files[key] = { path: beside, value };
      }
    }
    return importDominion(files);
  }
  if (fmt === 'hart') return importHart(loaded.map((l) => ({ path: l.path, text: l.text })));
  const parts: OfficialData[] = [];
  for (const l of loaded) {
    const r =
      fmt === 'nist-results'
        ? importNistResults(l.json ?? safeJson(l.text), l.path)
        : fmt === 'nist-cvr'
          ? importNistCvr(l.json ?? safeJson(l.text), l.path)
          : fmt === 'ess'
            ? importEss(l.text, l.path)
            : fmt === 'clearballot'
              ? importClearBallot(l.text, l.path)
              : importPlainCsv(l.text, l.path);
    if (r.ok) parts.push(r.value);
    else errors.push(...r.errors);
  }
  if (errors.length) return { ok: false, errors };
  return { ok: true, value: mergeOfficial(parts) };
}
