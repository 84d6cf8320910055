/**
 * Another interpreter's results for the real scans in ../shared/fixtures (`expected.json`: per image, every
 * target's status and fill score, and the votes), and how our reading is judged against them: definite
 * marks and clear blanks are truth; marks it calls marginal, or scores near its thresholds, must be
 * flagged or agree, never counted against it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { InterpretedSheet } from '../src/pipeline/outcome.ts';

export interface ExpectedMark {
  contestId: string;
  optionId?: string;
  writeInIndex?: number;
  side: 'front' | 'back';
  column: number;
  row: number;
  score?: number;
  fillScore?: number;
  status: 'marked' | 'marginal' | 'unmarked';
}
export interface ExpectedImage {
  marks?: ExpectedMark[];
  votes?: Record<string, string[]>;
}

export function expectedImages(set: string): Record<string, ExpectedImage> {
  return (
    JSON.parse(readFileSync(join(set, 'expected.json'), 'utf8')) as { images: Record<string, ExpectedImage> }
  ).images;
}

/** Marked options per contest on one side, as sets for comparison. */
export function markedBySide(sheet: InterpretedSheet, side: 'front' | 'back'): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const t of sheet.targets) {
    if (t.side !== side || t.status !== 'marked') continue;
    const list = out[t.contestId] ?? [];
    if (!list.includes(t.optionId)) list.push(t.optionId);
    out[t.contestId] = list;
  }
  for (const k of Object.keys(out)) out[k]?.sort();
  return out;
}

export const sorted = (v: Record<string, string[]>) =>
  Object.fromEntries(Object.entries(v).map(([k, l]) => [k, [...l].sort()]));

/** Options whose reference score sits between the reference thresholds ±25%: either answer is acceptable. */
export function nearThreshold(expected: ExpectedImage, vxMarginal: number, vxDefinite: number): Set<string> {
  const out = new Set<string>();
  for (const m of expected.marks ?? []) {
    const score = m.score ?? m.fillScore ?? 0;
    if (score >= vxMarginal * 0.75 && score < vxDefinite * 1.25)
      out.add(`${m.contestId}/${m.optionId ?? `write-in-${m.writeInIndex}`}`);
  }
  return out;
}

export function withoutNear(votes: Record<string, string[]>, near: Set<string>): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [contestId, list] of Object.entries(votes)) {
    const kept = list.filter((o) => !near.has(`${contestId}/${o}`)).sort();
    if (kept.length) out[contestId] = kept;
  }
  return out;
}

export function checkMarks(
  sheet: InterpretedSheet,
  expected: ExpectedImage,
  side: 'front' | 'back',
  vxMarginal: number,
  vxDefinite: number,
  options: {
    /**
     * Grey, resampled or rotated versions of a black-and-white scan: a thin stroke the other interpreter
     * scores under its marginal threshold (but not clearly blank) may read marked here, because grey
     * edges widen it (see README, Accuracy). Only its definite marks and clear blanks are held then.
     */
    thinStrokeDrift?: boolean;
  } = {},
) {
  const marks = expected.marks ?? [];
  const ours: number[] = [];
  const theirs: number[] = [];
  for (const m of marks) {
    const optionId = m.optionId ?? `write-in-${m.writeInIndex}`;
    const t = sheet.targets.find(
      (x) =>
        x.side === side &&
        x.contestId === m.contestId &&
        x.optionId === optionId &&
        x.column === m.column &&
        x.row === m.row,
    );
    expect(t, `${m.contestId}/${optionId}`).toBeDefined();
    if (!t) continue;
    const score = m.score ?? m.fillScore ?? 0;
    ours.push(t.fill01);
    theirs.push(score);
    const label = `${side} ${m.contestId}/${optionId} theirs ${score.toFixed(3)} ${m.status}, ours ${t.fill01.toFixed(3)} ${t.status}`;
    // A mark the other interpreter calls marked by less than 25% over its threshold is near its line,
    // not a definite mark: it must be marked or flagged here.
    if (m.status === 'marked' && score >= vxDefinite * 1.25) expect(t.status, label).toBe('marked');
    else if (m.status === 'marked') expect(['marked', 'marginal'], label).toContain(t.status);
    else if (m.status === 'marginal') expect(['marked', 'marginal'], label).toContain(t.status);
    else if (score < vxMarginal / 2) expect(t.status, label).toBe('unmarked');
    else if (!options.thinStrokeDrift) expect(t.status, label).not.toBe('marked');
  }
  return { ours, theirs };
}
