/**
 * Our side of an audit: a `ballot-tally tally --out DIR` directory read back. `manifest.json` is the
 * authority for which sheets there are, their batch and their status (it already holds the duplicate-image
 * rejections); `journal.jsonl` holds each sheet's full outcome (targets, scores, pixel positions) and the
 * absolute image paths; `tally.json` the totals; `review.json` the queue for people.
 *
 * The election definition is not in DIR, only its hash. What the audit needs of it (contests, options,
 * seats, write-in lines; precinct and ballot style ids) is rebuilt from `tally.json`, which lists every
 * contest of the election with every option; `electionFromTally` documents the rest.
 */

import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { splitPages } from '../batch/inputs.ts';
import type { Election } from '../election/election.ts';
import { parseWith, type Result } from '../election/result.ts';
import { RejectReasonSchema, type SheetOutcome } from '../pipeline/outcome.ts';
import type { SheetRecord } from '../tally/records.ts';
import type { Tally } from '../tally/tally.ts';
import { ScanResultSchema } from '../worker/job.ts';

const ManifestSchema = z.object({
  generatedDate: z.string(),
  election: z.object({
    id: z.string(),
    title: z.string(),
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
    format: z.enum(['vxf-2022', 'vxf-4.0', 'vxf-4.1']),
  }),
  inputs: z.array(
    z.object({
      sheetId: z.string().min(1),
      batchId: z.string(),
      files: z.array(z.object({ path: z.string(), sha256: z.string() })),
      status: z.enum(['recorded', 'needs-review', 'rejected']),
      reason: RejectReasonSchema.optional(),
      detail: z.string().optional(),
    }),
  ),
});
export type OurManifest = z.infer<typeof ManifestSchema>;

const OptionTallySchema = z.object({
  optionId: z.string(),
  label: z.string(),
  isWriteIn: z.boolean(),
  votes: z.number().int(),
});
const ContestTallySchema = z.object({
  contestId: z.string(),
  title: z.string(),
  type: z.enum(['candidate', 'yesno']),
  seats: z.number().int().min(1),
  ballots: z.number().int(),
  overvotes: z.number().int(),
  undervotes: z.number().int(),
  blank: z.number().int(),
  options: z.array(OptionTallySchema),
});
const GroupSchema = z.object({ id: z.string() });
/** What the audit reads of tally.json (the rest is carried through untouched). */
const TallySchema = z.looseObject({
  electionId: z.string(),
  electionSha256: z.string(),
  writeIns: z.literal('separate'),
  contests: z.array(ContestTallySchema),
  byPrecinct: z.array(GroupSchema),
  byBallotStyle: z.array(GroupSchema),
});

const ReviewSchema = z.array(
  z.object({ sheetId: z.string(), reasons: z.array(z.looseObject({ type: z.string() })) }),
);

export interface OurSheet {
  record: SheetRecord;
  /** absolute image paths, front or first image first (from the journal) */
  paths: string[];
}

export interface OurBatch {
  dir: string;
  manifest: OurManifest;
  tally: Tally;
  /** in input order */
  sheets: OurSheet[];
  review: z.infer<typeof ReviewSchema>;
  /** rebuilt from tally.json + manifest.json (see `electionFromTally`) */
  election: Election;
}

function readJson(path: string): Result<unknown> {
  if (!existsSync(path))
    return {
      ok: false,
      errors: [`Expected a file ${path} (a ballot-tally output directory) but it does not exist`],
    };
  try {
    return { ok: true, value: JSON.parse(readFileSync(path, 'utf8')) };
  } catch (error) {
    return { ok: false, errors: [`Expected JSON in ${path} but ${(error as Error).message}`] };
  }
}

const prefix = (file: string, r: Result<unknown>): string[] =>
  r.ok ? [] : r.errors.map((e) => `${file}: ${e}`);

/**
 * An election model good enough to tally and to write CVRs with: every contest with its options in ballot
 * order (write-in lines included), seats, precinct and ballot style ids. Names of parties, districts and
 * precincts are not in the tally and are left empty; layouts are empty (nothing is interpreted again).
 */
export function electionFromTally(tally: Tally, manifest: OurManifest): Election {
  const precinctIds = tally.byPrecinct.map((g) => g.id);
  return {
    id: manifest.election.id,
    title: manifest.election.title,
    date: '',
    jurisdiction: '',
    state: '',
    paper: 'letter',
    grid: { columns: 34, rows: 41 },
    metadataEncoding: 'timing-marks',
    parties: [],
    districts: [{ id: 'unknown', name: '' }],
    precincts: precinctIds.map((id) => ({ id, name: id })),
    contests: tally.contests.map((c) => {
      if (c.type === 'yesno') {
        const [yes, no] = c.options;
        return {
          type: 'yesno' as const,
          id: c.contestId,
          title: c.title,
          districtId: 'unknown',
          description: '',
          yesOption: { id: yes?.optionId ?? 'yes', label: yes?.label ?? 'Yes' },
          noOption: { id: no?.optionId ?? 'no', label: no?.label ?? 'No' },
        };
      }
      return {
        type: 'candidate' as const,
        id: c.contestId,
        title: c.title,
        districtId: 'unknown',
        seats: c.seats,
        candidates: c.options
          .filter((o) => !o.isWriteIn)
          .map((o) => ({ id: o.optionId, name: o.label, partyIds: [] })),
        allowWriteIns: c.options.some((o) => o.isWriteIn),
      };
    }),
    ballotStyles: tally.byBallotStyle.map((g) => ({
      id: g.id,
      precinctIds: [precinctIds[0] ?? 'unknown'],
      districtIds: ['unknown'],
    })),
    layouts: [],
    source: { format: manifest.election.format, sha256: manifest.election.sha256 },
  };
}

/** Read DIR. Never throws for bad input. */
export function loadOurBatch(dirArg: string, cwd: string): Result<OurBatch> {
  const dir = resolve(cwd, dirArg);
  const files = {
    manifest: readJson(join(dir, 'manifest.json')),
    tally: readJson(join(dir, 'tally.json')),
    review: readJson(join(dir, 'review.json')),
  };
  const errors = [
    ...prefix('manifest.json', files.manifest),
    ...prefix('tally.json', files.tally),
    ...prefix('review.json', files.review),
  ];
  if (!files.manifest.ok || !files.tally.ok || !files.review.ok) return { ok: false, errors };
  const manifest = parseWith(ManifestSchema, files.manifest.value);
  const tally = parseWith(TallySchema, files.tally.value);
  const review = parseWith(ReviewSchema, files.review.value);
  errors.push(
    ...prefix('manifest.json', manifest),
    ...prefix('tally.json', tally),
    ...prefix('review.json', review),
  );
  if (!manifest.ok || !tally.ok || !review.ok) return { ok: false, errors };
  if (tally.value.electionSha256 !== manifest.value.election.sha256)
    return {
      ok: false,
      errors: [
        `Expected tally.json and manifest.json of one election but received election hashes ${tally.value.electionSha256} and ${manifest.value.election.sha256}`,
      ],
    };

  const journalPath = join(dir, 'journal.jsonl');
  if (!existsSync(journalPath))
    return { ok: false, errors: [`Expected a file ${journalPath} but it does not exist`] };
  const results = new Map<string, { paths: string[]; result: z.infer<typeof ScanResultSchema> }>();
  const lines = readFileSync(journalPath, 'utf8').split('\n');
  lines.forEach((line, i) => {
    if (!line.trim()) return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      // a torn last line of an interrupted run
      if (i < lines.length - 2)
        errors.push(`journal.jsonl: Expected JSON on line ${i + 1} but received text that does not parse`);
      return;
    }
    if ((value as { type?: unknown }).type !== 'sheet') return;
    const entry = parseWith(z.object({ paths: z.array(z.string()), result: ScanResultSchema }), value);
    if (!entry.ok) errors.push(...entry.errors.map((e) => `journal.jsonl line ${i + 1}: ${e}`));
    else results.set(entry.value.result.sheetId, entry.value);
  });
  const sheets: OurSheet[] = [];
  for (const input of manifest.value.inputs) {
    const entry = results.get(input.sheetId);
    let outcome: SheetOutcome;
    if (input.status === 'rejected')
      outcome = { type: 'rejected', reason: input.reason ?? 'processing-error', detail: input.detail ?? '' };
    else if (entry?.result.outcome.type === 'interpreted') outcome = entry.result.outcome;
    else {
      errors.push(
        `journal.jsonl: Expected the interpreted outcome of sheet ${input.sheetId} but received ${entry ? 'a rejection' : 'nothing'}`,
      );
      continue;
    }
    sheets.push({
      record: {
        sheetId: input.sheetId,
        batchId: input.batchId,
        imagePaths: input.files.map((f) => f.path),
        imageSha256: input.files.map((f) => f.sha256),
        outcome,
      },
      paths: entry?.paths ?? input.files.map((f) => resolve(cwd, splitPages(f.path).file)),
    });
  }
  if (errors.length) return { ok: false, errors };
  const t = tally.value as unknown as Tally;
  return {
    ok: true,
    value: {
      dir,
      manifest: manifest.value,
      tally: t,
      sheets,
      review: review.value,
      election: electionFromTally(t, manifest.value),
    },
  };
}
