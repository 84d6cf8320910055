/**
 * The election model every stage works with: contests, options, ballot styles and the layout of every
 * sheet side in timing-mark grid coordinates. Each part is a zod schema with its type beside it.
 * Mark thresholds are not here: they live in a calibration profile (src/election/calibration.ts).
 */
import { z } from 'zod';
import { parseWith, type Result } from './result.ts';

/**
 * The paper sizes of VotingWorks' hand-marked ballots (VXF `ballotLayout.paperSize`), all 8.5 in wide.
 * Their timing-mark grid has 4 marks per inch: 34 columns, and 4 × length − 3 rows (letter 41, legal 53,
 * 8.5 × 17 in 65, … 8.5 × 22 in 85), as on AccuVote ballots of the same lengths.
 */
export const PAPER_SIZES = [
  'letter',
  'legal',
  'custom-8.5x17',
  'custom-8.5x18',
  'custom-8.5x19',
  'custom-8.5x20',
  'custom-8.5x21',
  'custom-8.5x22',
] as const;
export const PaperSizeSchema = z.enum(PAPER_SIZES);
export type PaperSize = z.infer<typeof PaperSizeSchema>;

export interface PaperGrid {
  readonly columns: number;
  readonly rows: number;
  readonly widthIn: number;
  readonly heightIn: number;
}

const PAPER_HEIGHT_IN: Readonly<Record<PaperSize, number>> = {
  letter: 11,
  legal: 14,
  'custom-8.5x17': 17,
  'custom-8.5x18': 18,
  'custom-8.5x19': 19,
  'custom-8.5x20': 20,
  'custom-8.5x21': 21,
  'custom-8.5x22': 22,
};

export const PAPER_GRIDS: Readonly<Record<PaperSize, PaperGrid>> = Object.fromEntries(
  PAPER_SIZES.map((p) => {
    const heightIn = PAPER_HEIGHT_IN[p];
    return [p, { columns: 34, rows: 4 * heightIn - 3, widthIn: 8.5, heightIn }];
  }),
) as Record<PaperSize, PaperGrid>;

export const SideSchema = z.enum(['front', 'back']);
export type Side = z.infer<typeof SideSchema>;

const Id = z.string().min(1);

/** A rectangle in timing-mark grid units; (column, row) is its top-left corner. */
export const GridRectSchema = z.object({
  column: z.number(),
  row: z.number(),
  width: z.number().positive(),
  height: z.number().positive(),
});
export type GridRect = z.infer<typeof GridRectSchema>;

export const PartySchema = z.object({ id: Id, name: z.string(), abbrev: z.string().optional() });
export type Party = z.infer<typeof PartySchema>;

export const DistrictSchema = z.object({ id: Id, name: z.string() });
export type District = z.infer<typeof DistrictSchema>;

export const PrecinctSchema = z.object({ id: Id, name: z.string() });
export type Precinct = z.infer<typeof PrecinctSchema>;

export const CandidateSchema = z.object({
  id: Id,
  name: z.string(),
  partyIds: z.array(Id).default([]),
});
export type Candidate = z.infer<typeof CandidateSchema>;

export const CandidateContestSchema = z.object({
  type: z.literal('candidate'),
  id: Id,
  title: z.string(),
  districtId: Id,
  /** "Vote for not more than N" */
  seats: z.number().int().min(1),
  candidates: z.array(CandidateSchema),
  allowWriteIns: z.boolean(),
});
export type CandidateContest = z.infer<typeof CandidateContestSchema>;

export const YesNoOptionSchema = z.object({ id: Id, label: z.string() });
export const YesNoContestSchema = z.object({
  type: z.literal('yesno'),
  id: Id,
  title: z.string(),
  districtId: Id,
  description: z.string().default(''),
  yesOption: YesNoOptionSchema,
  noOption: YesNoOptionSchema,
});
export type YesNoContest = z.infer<typeof YesNoContestSchema>;

export const ContestSchema = z.discriminatedUnion('type', [CandidateContestSchema, YesNoContestSchema]);
export type Contest = z.infer<typeof ContestSchema>;

export const BallotStyleSchema = z.object({
  id: Id,
  precinctIds: z.array(Id).min(1),
  districtIds: z.array(Id),
  partyId: Id.optional(),
});
export type BallotStyle = z.infer<typeof BallotStyleSchema>;

/** The id a write-in line gets in cast vote records and tallies. */
export function writeInOptionId(writeInIndex: number): string {
  return `write-in-${writeInIndex}`;
}

export const OptionTargetSchema = z.object({
  type: z.literal('option'),
  contestId: Id,
  optionId: Id,
  /** Bubble centre in timing-mark grid coordinates. */
  column: z.number(),
  row: z.number(),
});
export const WriteInTargetSchema = z.object({
  type: z.literal('write-in'),
  contestId: Id,
  /** `write-in-N`, derived from writeInIndex. */
  optionId: Id,
  writeInIndex: z.number().int().min(0),
  column: z.number(),
  row: z.number(),
  /** Where the voter writes the name, if the definition says. */
  writeInArea: GridRectSchema.optional(),
});
export const TargetSchema = z.discriminatedUnion('type', [OptionTargetSchema, WriteInTargetSchema]);
export type Target = z.infer<typeof TargetSchema>;

/** Everything printed on one side of one sheet of one ballot style that the interpreter reads. */
export const SheetSideLayoutSchema = z.object({
  ballotStyleId: Id,
  sheetNumber: z.number().int().min(1),
  side: SideSchema,
  targets: z.array(TargetSchema),
});
export type SheetSideLayout = z.infer<typeof SheetSideLayoutSchema>;

export const MetadataEncodingSchema = z.enum(['timing-marks', 'qr-code']);

export const ElectionSchema = z.object({
  id: Id,
  title: z.string(),
  date: z.string(),
  jurisdiction: z.string(),
  state: z.string().default(''),
  paper: PaperSizeSchema,
  grid: z.object({ columns: z.number().int().min(2), rows: z.number().int().min(2) }),
  /** How a sheet says which ballot style, sheet and side it is. */
  metadataEncoding: MetadataEncodingSchema,
  parties: z.array(PartySchema),
  districts: z.array(DistrictSchema),
  precincts: z.array(PrecinctSchema),
  contests: z.array(ContestSchema),
  ballotStyles: z.array(BallotStyleSchema).min(1),
  layouts: z.array(SheetSideLayoutSchema),
  source: z.object({
    format: z.enum(['vxf-2022', 'vxf-4.0', 'vxf-4.1']),
    /** SHA-256 of the definition file's bytes, hex. */
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
  }),
});
export type Election = z.infer<typeof ElectionSchema>;

/** Cross-reference checks zod cannot express per field: one message per problem, with its path. */
export function checkElectionReferences(e: Election): string[] {
  const errors: string[] = [];
  const dupes = (kind: string, ids: string[]) => {
    const seen = new Set<string>();
    ids.forEach((id, i) => {
      if (seen.has(id)) errors.push(`Expected unique id for ${kind}[${i}].id but received duplicate "${id}"`);
      seen.add(id);
    });
  };
  dupes(
    'parties',
    e.parties.map((p) => p.id),
  );
  dupes(
    'districts',
    e.districts.map((d) => d.id),
  );
  dupes(
    'precincts',
    e.precincts.map((p) => p.id),
  );
  dupes(
    'contests',
    e.contests.map((c) => c.id),
  );
  dupes(
    'ballotStyles',
    e.ballotStyles.map((b) => b.id),
  );
  const districtIds = new Set(e.districts.map((d) => d.id));
  const precinctIds = new Set(e.precincts.map((p) => p.id));
  const partyIds = new Set(e.parties.map((p) => p.id));
  e.contests.forEach((c, i) => {
    if (!districtIds.has(c.districtId))
      errors.push(
        `Expected a known district id for contests[${i}].districtId but received "${c.districtId}"`,
      );
    if (c.type === 'candidate') {
      dupes(
        `contests[${i}].candidates`,
        c.candidates.map((o) => o.id),
      );
      c.candidates.forEach((o, j) => {
        for (const p of o.partyIds)
          if (!partyIds.has(p))
            errors.push(
              `Expected a known party id for contests[${i}].candidates[${j}].partyIds but received "${p}"`,
            );
      });
    } else if (c.yesOption.id === c.noOption.id) {
      errors.push(
        `Expected different ids for contests[${i}] yes and no options but received "${c.yesOption.id}" twice`,
      );
    }
  });
  e.ballotStyles.forEach((b, i) => {
    b.precinctIds.forEach((p, j) => {
      if (!precinctIds.has(p))
        errors.push(
          `Expected a known precinct id for ballotStyles[${i}].precinctIds[${j}] but received "${p}"`,
        );
    });
    b.districtIds.forEach((d, j) => {
      if (!districtIds.has(d))
        errors.push(
          `Expected a known district id for ballotStyles[${i}].districtIds[${j}] but received "${d}"`,
        );
    });
  });
  const styleIds = new Set(e.ballotStyles.map((b) => b.id));
  const contests = new Map(e.contests.map((c) => [c.id, c]));
  const sides = new Set<string>();
  e.layouts.forEach((layout, i) => {
    const at = `layouts[${i}]`;
    if (!styleIds.has(layout.ballotStyleId))
      errors.push(
        `Expected a known ballot style id for ${at}.ballotStyleId but received "${layout.ballotStyleId}"`,
      );
    const key = `${layout.ballotStyleId}/${layout.sheetNumber}/${layout.side}`;
    if (sides.has(key)) errors.push(`Expected one layout per sheet side for ${at} but received ${key} twice`);
    sides.add(key);
    const taken = new Set<string>();
    layout.targets.forEach((t, j) => {
      const tat = `${at}.targets[${j}]`;
      const contest = contests.get(t.contestId);
      if (!contest) {
        errors.push(`Expected a known contest id for ${tat}.contestId but received "${t.contestId}"`);
      } else if (t.type === 'option') {
        const ok =
          contest.type === 'candidate'
            ? contest.candidates.some((o) => o.id === t.optionId)
            : contest.yesOption.id === t.optionId || contest.noOption.id === t.optionId;
        if (!ok)
          errors.push(
            `Expected an option of contest "${contest.id}" for ${tat}.optionId but received "${t.optionId}"`,
          );
      } else if (contest.type !== 'candidate' || !contest.allowWriteIns) {
        errors.push(
          `Expected a contest that allows write-ins for ${tat} but received contest "${contest.id}"`,
        );
      }
      for (const [name, value, max] of [
        ['column', t.column, e.grid.columns - 1],
        ['row', t.row, e.grid.rows - 1],
      ] as const) {
        if (!(value >= 0 && value <= max))
          errors.push(`Expected number between 0 and ${max} for ${tat}.${name} but received ${value}`);
      }
      // One option may have several targets (a cross-endorsed candidate in two party columns), but two
      // targets may not share a grid position.
      const positionKey = `${t.column},${t.row}`;
      if (taken.has(positionKey))
        errors.push(
          `Expected one target per grid position for ${tat} but received (${positionKey}) twice on ${key}`,
        );
      taken.add(positionKey);
    });
  });
  return errors;
}

/** Validate plain data as an election: zod shape first, then cross references. Never throws. */
export function parseElection(value: unknown): Result<Election> {
  const parsed = parseWith(ElectionSchema, value);
  if (!parsed.ok) return parsed;
  const errors = checkElectionReferences(parsed.value);
  return errors.length ? { ok: false, errors } : parsed;
}

export function contestById(e: Election, id: string): Contest | undefined {
  return e.contests.find((c) => c.id === id);
}

/** The options of a contest in ballot order, write-ins last, as (id, label) pairs. */
export function contestOptions(c: Contest): { id: string; label: string; isWriteIn: boolean }[] {
  if (c.type === 'yesno')
    return [
      { id: c.yesOption.id, label: c.yesOption.label, isWriteIn: false },
      { id: c.noOption.id, label: c.noOption.label, isWriteIn: false },
    ];
  const out = c.candidates.map((o) => ({ id: o.id, label: o.name, isWriteIn: false }));
  if (c.allowWriteIns)
    for (let i = 0; i < c.seats; i++)
      out.push({ id: writeInOptionId(i), label: `Write-in ${i + 1}`, isWriteIn: true });
  return out;
}

export function layoutFor(
  e: Election,
  ballotStyleId: string,
  sheetNumber: number,
  side: Side,
): SheetSideLayout | undefined {
  return e.layouts.find(
    (l) => l.ballotStyleId === ballotStyleId && l.sheetNumber === sheetNumber && l.side === side,
  );
}

/** Number of sheets of a ballot style (1 for a single two-sided card). */
export function sheetCount(e: Election, ballotStyleId: string): number {
  let n = 0;
  for (const l of e.layouts) if (l.ballotStyleId === ballotStyleId) n = Math.max(n, l.sheetNumber);
  return n;
}
