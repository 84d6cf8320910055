/**
 * Adjudication: people's decisions on targets (sheet, contest, option → marked or unmarked, who, why)
 * applied to our records. Each decided sheet gets a `modified` CVR snapshot next to its `original` one
 * (which is kept as it was), with an Annotation naming the adjudicator; the tallies are computed again
 * with `tally()` from the modified records.
 *
 * A decision sets the status of every target of that option in that contest on that sheet (a
 * cross-endorsed candidate has several). The contest is then counted again with the interpreter's rules
 * (more marked options than seats is an overvote). A review reason is resolved when a person decided
 * something in its contest on that sheet (a blank ballot: anything on the sheet); a sheet still needs
 * review while one of its review reasons is unresolved.
 */
import { z } from 'zod';
import { contestOptions, type Election } from '../election/election.ts';
import { parseWith, type Result } from '../election/result.ts';
import {
  type AdjudicationReason,
  type ContestResult,
  DEFAULT_REVIEW_REASONS,
  type InterpretedSheet,
  type MarkStatus,
} from '../pipeline/outcome.ts';
import { buildCvr, describeReason, formatDateTime } from '../report/cvr-nist.ts';
import type { SheetRecord } from '../tally/records.ts';
import { parseCsv } from './csv.ts';
import type { OurBatch } from './ours.ts';

export const DecisionSchema = z.object({
  sheet: z.string().min(1),
  contest: z.string().min(1),
  option: z.string().min(1),
  decision: z.enum(['marked', 'unmarked']),
  adjudicator: z.string().min(1),
  reason: z.string().default(''),
});
export type Decision = z.infer<typeof DecisionSchema>;

const DecisionListSchema = z.array(DecisionSchema);

/** Decisions from CSV (header `sheet,contest,option,decision,adjudicator,reason`) or JSON. Never throws. */
export function parseDecisions(text: string, kind: 'csv' | 'json', where: string): Result<Decision[]> {
  if (kind === 'json') {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      return { ok: false, errors: [`${where}: Expected JSON but ${(error as Error).message}`] };
    }
    // an array of decisions, or {"decisions": [...]}
    const list =
      value !== null && typeof value === 'object' && !Array.isArray(value) && 'decisions' in value
        ? (value as { decisions: unknown }).decisions
        : value;
    const r = parseWith(DecisionListSchema, list);
    if (!r.ok) return { ok: false, errors: r.errors.map((e) => `${where}: ${e}`) };
    return r;
  }
  const rows = parseCsv(text, where);
  if (!rows.ok) return rows;
  const [header, ...body] = rows.value;
  const names = (header ?? []).map((h) => h.trim().toLowerCase());
  const required = ['sheet', 'contest', 'option', 'decision', 'adjudicator'];
  const missing = required.filter((n) => !names.includes(n));
  if (missing.length)
    return {
      ok: false,
      errors: [
        `${where}: Expected columns ${[...required, 'reason'].join(', ')} but received ${names.join(', ') || 'no header'}`,
      ],
    };
  const errors: string[] = [];
  const decisions: Decision[] = [];
  body.forEach((row, i) => {
    const obj: Record<string, string> = {};
    names.forEach((n, j) => {
      obj[n] = (row[j] ?? '').trim();
    });
    const r = parseWith(DecisionSchema, obj);
    if (r.ok) decisions.push(r.value);
    else errors.push(...r.errors.map((e) => `${where} row ${i + 2}: ${e}`));
  });
  return errors.length ? { ok: false, errors } : { ok: true, value: decisions };
}

/** Every decision checked against the batch: the sheet, the contest on it, a target of the option. */
export function checkDecisions(decisions: readonly Decision[], batch: OurBatch): string[] {
  const errors: string[] = [];
  const sheets = new Map(batch.sheets.map((s) => [s.record.sheetId, s.record.outcome]));
  const seen = new Map<string, Decision>();
  for (const [i, d] of decisions.entries()) {
    const at = `decisions[${i}]`;
    const outcome = sheets.get(d.sheet);
    if (!outcome) {
      errors.push(`Expected a sheet id of the batch for ${at}.sheet but received "${d.sheet}"`);
      continue;
    }
    if (outcome.type !== 'interpreted') {
      errors.push(
        `Expected an interpreted sheet for ${at}.sheet but received "${d.sheet}" (rejected: ${outcome.reason})`,
      );
      continue;
    }
    const targets = outcome.targets.filter((t) => t.contestId === d.contest);
    if (targets.length === 0) {
      errors.push(`Expected a contest on sheet ${d.sheet} for ${at}.contest but received "${d.contest}"`);
      continue;
    }
    if (!targets.some((t) => t.optionId === d.option)) {
      errors.push(
        `Expected an option of contest "${d.contest}" on sheet ${d.sheet} (${[...new Set(targets.map((t) => t.optionId))].join(', ')}) for ${at}.option but received "${d.option}"`,
      );
      continue;
    }
    const key = `${d.sheet}\n${d.contest}\n${d.option}`;
    const prior = seen.get(key);
    if (prior && prior.decision !== d.decision)
      errors.push(
        `Expected one decision per target for ${at} but received "${d.decision}" after "${prior.decision}" for ${d.sheet} ${d.contest} ${d.option}`,
      );
    seen.set(key, d);
  }
  return errors;
}

function seatsOf(election: Election, contestId: string): number {
  const c = election.contests.find((x) => x.id === contestId);
  return c?.type === 'candidate' ? c.seats : 1;
}

/** One sheet with decisions applied: target statuses, the decided contests counted again, reasons. */
export function applyToSheet(
  election: Election,
  sheet: InterpretedSheet,
  decisions: readonly Decision[],
): InterpretedSheet {
  const status = new Map(decisions.map((d) => [`${d.contest}\n${d.option}`, d.decision as MarkStatus]));
  const decidedContests = new Set(decisions.map((d) => d.contest));
  const targets = sheet.targets.map((t) => {
    const s = status.get(`${t.contestId}\n${t.optionId}`);
    return s ? { ...t, status: s } : t;
  });
  const contests: ContestResult[] = sheet.contests.map((c) => {
    if (!decidedContests.has(c.contestId)) return c;
    const seats = seatsOf(election, c.contestId);
    const marked = [
      ...new Set(
        targets.filter((t) => t.contestId === c.contestId && t.status === 'marked').map((t) => t.optionId),
      ),
    ];
    const overvote = marked.length > seats;
    return {
      contestId: c.contestId,
      votes: overvote ? [] : marked,
      marked,
      overvote,
      undervotes: overvote ? 0 : seats - marked.length,
    };
  });
  const reasons: AdjudicationReason[] = [];
  for (const r of sheet.reasons) {
    if (r.type === 'blank-ballot') continue;
    if (!decidedContests.has(r.contestId)) {
      reasons.push(r);
      continue;
    }
    // counted again below
    if (r.type === 'overvote' || r.type === 'undervote' || r.type === 'write-in') continue;
    if (r.type === 'marginal-mark' && status.has(`${r.contestId}\n${r.optionId}`)) continue;
    reasons.push(r);
  }
  for (const c of contests) {
    if (!decidedContests.has(c.contestId)) continue;
    const seats = seatsOf(election, c.contestId);
    if (c.overvote) reasons.push({ type: 'overvote', contestId: c.contestId, optionIds: c.marked, seats });
    else if (c.marked.length < seats)
      reasons.push({ type: 'undervote', contestId: c.contestId, votes: c.marked.length, seats });
    for (const t of targets)
      if (t.contestId === c.contestId && t.type === 'write-in' && t.status === 'marked')
        reasons.push({ type: 'write-in', contestId: c.contestId, optionId: t.optionId });
  }
  const order = new Map(election.contests.map((c, i) => [c.id, i]));
  reasons.sort(
    (a, b) =>
      ('contestId' in a ? (order.get(a.contestId) ?? 0) : -1) -
      ('contestId' in b ? (order.get(b.contestId) ?? 0) : -1),
  );
  if (targets.length > 0 && targets.every((t) => t.status === 'unmarked'))
    reasons.unshift({ type: 'blank-ballot' });
  const needsReview = reasons.some(
    (r) =>
      DEFAULT_REVIEW_REASONS.includes(r.type) &&
      (r.type === 'blank-ballot' ? decisions.length === 0 : !decidedContests.has(r.contestId)),
  );
  return { ...sheet, targets, contests, reasons, needsReview };
}

export interface AdjudicationResult {
  /** every record, decided ones modified */
  records: SheetRecord[];
  /** sheet id → the modified CVR (original snapshot kept, modified snapshot current) */
  cvrs: Map<string, Record<string, unknown>>;
  changes: {
    sheetId: string;
    contestId: string;
    optionId: string;
    decision: 'marked' | 'unmarked';
    adjudicator: string;
    reason: string;
    before: { status: MarkStatus; fill01: number }[];
    votesBefore: string[];
    votesAfter: string[];
    overvoteBefore: boolean;
    overvoteAfter: boolean;
  }[];
  stillNeedsReview: string[];
}

/**
 * Apply checked decisions. `originalCvr(sheetId)` gives the sheet's CVR as first written (its snapshots are
 * kept); `generatedDate` stamps the annotations.
 */
export function adjudicate(
  batch: OurBatch,
  election: Election,
  decisions: readonly Decision[],
  originalCvr: (sheetId: string) => Record<string, unknown> | undefined,
  generatedDate: Date,
): AdjudicationResult {
  const bySheet = new Map<string, Decision[]>();
  for (const d of decisions) bySheet.set(d.sheet, [...(bySheet.get(d.sheet) ?? []), d]);
  const records: SheetRecord[] = [];
  const cvrs = new Map<string, Record<string, unknown>>();
  const changes: AdjudicationResult['changes'] = [];
  const stillNeedsReview: string[] = [];
  for (const { record } of batch.sheets) {
    const mine = bySheet.get(record.sheetId);
    const outcome = record.outcome;
    if (!mine || outcome.type !== 'interpreted') {
      records.push(record);
      if (outcome.type === 'interpreted' && outcome.needsReview) stillNeedsReview.push(record.sheetId);
      continue;
    }
    // the last decision per target wins (duplicates that agree are allowed)
    const last = new Map(mine.map((d) => [`${d.contest}\n${d.option}`, d]));
    const applied = [...last.values()];
    const modified = applyToSheet(election, outcome, applied);
    const newRecord: SheetRecord = { ...record, outcome: modified };
    records.push(newRecord);
    if (modified.needsReview) stillNeedsReview.push(record.sheetId);
    for (const d of applied) {
      const before = outcome.contests.find((c) => c.contestId === d.contest);
      const after = modified.contests.find((c) => c.contestId === d.contest);
      changes.push({
        sheetId: record.sheetId,
        contestId: d.contest,
        optionId: d.option,
        decision: d.decision,
        adjudicator: d.adjudicator,
        reason: d.reason,
        before: outcome.targets
          .filter((t) => t.contestId === d.contest && t.optionId === d.option)
          .map((t) => ({ status: t.status, fill01: t.fill01 })),
        votesBefore: before?.votes ?? [],
        votesAfter: after?.votes ?? [],
        overvoteBefore: before?.overvote ?? false,
        overvoteAfter: after?.overvote ?? false,
      });
    }
    const original = originalCvr(record.sheetId) ?? buildCvr(election, { ...record, outcome });
    const rebuilt = buildCvr(election, { ...newRecord, outcome: modified });
    const snapshot = { ...((rebuilt.CVRSnapshot as Record<string, unknown>[])[0] ?? {}) };
    const modifiedId = `${record.sheetId}-modified`;
    const labels = new Map(
      election.contests.map((c) => [c.id, new Map(contestOptions(c).map((o) => [o.id, o.label]))]),
    );
    const annotations: Record<string, unknown>[] = [];
    const adjudicators = [...new Set(applied.map((d) => d.adjudicator))];
    for (const name of adjudicators)
      annotations.push({
        '@type': 'CVR.Annotation',
        AdjudicatorName: [name],
        Message: applied
          .filter((d) => d.adjudicator === name)
          .map(
            (d) =>
              `${d.contest} / ${labels.get(d.contest)?.get(d.option) ?? d.option}: ${d.decision}${d.reason ? ` (${d.reason})` : ''}`,
          ),
        TimeStamp: formatDateTime(generatedDate),
      });
    if (modified.reasons.length)
      annotations.push({ '@type': 'CVR.Annotation', Message: modified.reasons.map(describeReason) });
    const { CVRContest, ...head } = snapshot;
    const modifiedSnapshot: Record<string, unknown> = {
      ...head,
      '@id': modifiedId,
      Type: 'modified',
      Annotation: annotations,
    };
    if (modified.needsReview) modifiedSnapshot.Status = ['needs-adjudication'];
    else delete modifiedSnapshot.Status;
    modifiedSnapshot.CVRContest = CVRContest;
    const priorSnapshots = (original.CVRSnapshot as Record<string, unknown>[]).filter(
      (s) => s.Type !== 'modified',
    );
    cvrs.set(record.sheetId, {
      ...original,
      CurrentSnapshotId: modifiedId,
      CVRSnapshot: [...priorSnapshots, modifiedSnapshot],
    });
  }
  return { records, cvrs, changes, stillNeedsReview };
}
