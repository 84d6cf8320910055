/**
 * Import of VotingWorks election definitions (VXF `election.json`) into our election model.
 *
 * Three generations are read:
 * - 2022: `gridLayouts[].gridPositions[]` without `sheetNumber` (one sheet), yes/no contests with implicit
 *   option ids `yes` / `no`, write-ins as `writeInIndex` only;
 * - v4.0: `gridPositions[]` with `sheetNumber` and `writeInArea {x, y, width, height}`, yes/no contests with
 *   `yesOption` / `noOption`;
 * - v4.1: no `gridLayouts`; `ballotStyles[].ballotPositions[sheet][side][contest].options[]` with
 *   `bubbleCenter {row, column}` and `writeInArea {row, column, width, height}`.
 * All coordinates are timing-mark grid units. The grid size comes from the paper size, not from the
 * file's `rows` (the 2022 letter fixtures say 53 rows where the sheet has 41).
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import {
  type Contest,
  type Election,
  type GridRect,
  PAPER_GRIDS,
  PAPER_SIZES,
  PaperSizeSchema,
  parseElection,
  type SheetSideLayout,
  type Side,
  type Target,
  writeInOptionId,
} from './election.ts';
import { parseWith, type Result } from './result.ts';

const Id = z.string().min(1);
const Num = z.number();

const VxCandidate = z.object({ id: Id, name: z.string(), partyIds: z.array(Id).optional() });
const VxYesNoOption = z.object({ id: Id, label: z.string() });
const VxContest = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('candidate'),
    id: Id,
    districtId: Id,
    title: z.string(),
    seats: z.number().int().min(1),
    candidates: z.array(VxCandidate),
    allowWriteIns: z.boolean(),
    partyId: Id.optional(),
  }),
  z.object({
    type: z.literal('yesno'),
    id: Id,
    districtId: Id,
    title: z.string(),
    description: z.string().optional(),
    yesOption: VxYesNoOption.optional(),
    noOption: VxYesNoOption.optional(),
    options: z.array(VxYesNoOption).optional(),
  }),
]);

const VxGridPosition = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('option'),
    sheetNumber: z.number().int().optional(),
    side: z.enum(['front', 'back']),
    column: Num,
    row: Num,
    contestId: Id,
    optionId: Id,
  }),
  z.object({
    type: z.literal('write-in'),
    sheetNumber: z.number().int().optional(),
    side: z.enum(['front', 'back']),
    column: Num,
    row: Num,
    contestId: Id,
    writeInIndex: z.number().int(),
    writeInArea: z.object({ x: Num, y: Num, width: Num, height: Num }).optional(),
  }),
]);

const VxGridLayout = z.object({
  ballotStyleId: Id,
  precinctId: Id.optional(),
  columns: z.number().int().optional(),
  rows: z.number().int().optional(),
  gridPositions: z.array(VxGridPosition),
});

const VxRect = z.object({ row: Num, column: Num, width: Num, height: Num });
const VxBallotPositionOption = z.discriminatedUnion('type', [
  z.object({ type: z.literal('option'), bubbleCenter: z.object({ row: Num, column: Num }), optionId: Id }),
  z.object({
    type: z.literal('write-in'),
    bubbleCenter: z.object({ row: Num, column: Num }),
    writeInIndex: z.number().int(),
    writeInArea: VxRect.optional(),
  }),
]);
const VxBallotPositionContest = z.object({ contestId: Id, options: z.array(VxBallotPositionOption) });

const VxBallotStyle = z.object({
  id: Id,
  precincts: z.array(Id),
  districts: z.array(Id),
  partyId: Id.optional(),
  ballotPositions: z.array(z.array(z.array(VxBallotPositionContest))).optional(),
});

const VxElection = z.object({
  id: Id.optional(),
  title: z.string(),
  date: z.string(),
  state: z.string().optional(),
  county: z.object({ id: Id, name: z.string() }).optional(),
  jurisdiction: z.object({ id: Id, name: z.string() }).optional(),
  ballotLayout: z.object({ paperSize: z.string(), metadataEncoding: z.string().optional() }),
  parties: z.array(z.object({ id: Id, name: z.string(), abbrev: z.string().optional() })),
  districts: z.array(z.object({ id: Id, name: z.string() })),
  precincts: z.array(z.object({ id: Id, name: z.string() })),
  contests: z.array(VxContest),
  ballotStyles: z.array(VxBallotStyle),
  gridLayouts: z.array(VxGridLayout).optional(),
});
type VxElection = z.infer<typeof VxElection>;

export interface ImportedElection {
  election: Election;
  /** Things that were read but look odd (a stated grid size that disagrees with the paper, for example). */
  warnings: string[];
}

/** Parse the bytes of a VXF `election.json`. Never throws; one message per problem. */
export function importVxf(bytes: Uint8Array | string): Result<ImportedElection> {
  const buffer = typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : Buffer.from(bytes);
  const sha256 = createHash('sha256').update(buffer).digest('hex');
  let json: unknown;
  try {
    json = JSON.parse(buffer.toString('utf8').replace(/^\uFEFF/, ''));
  } catch (error) {
    return {
      ok: false,
      errors: [`Expected JSON for the election definition but it did not parse: ${(error as Error).message}`],
    };
  }
  const parsed = parseWith(VxElection, json);
  if (!parsed.ok) return parsed;
  return convert(parsed.value, sha256);
}

function convert(vx: VxElection, sha256: string): Result<ImportedElection> {
  const warnings: string[] = [];
  const errors: string[] = [];
  const paperParsed = PaperSizeSchema.safeParse(vx.ballotLayout.paperSize);
  if (!paperParsed.success) {
    return {
      ok: false,
      errors: [
        `Expected one of ${PAPER_SIZES.map((p) => `"${p}"`).join(', ')} for ballotLayout.paperSize but received "${vx.ballotLayout.paperSize}" of type string`,
      ],
    };
  }
  const paper = paperParsed.data;
  const grid = { columns: PAPER_GRIDS[paper].columns, rows: PAPER_GRIDS[paper].rows };

  const contests: Contest[] = vx.contests.map((c) => {
    if (c.type === 'candidate') {
      return {
        type: 'candidate',
        id: c.id,
        title: c.title,
        districtId: c.districtId,
        seats: c.seats,
        candidates: c.candidates.map((o) => ({
          id: o.id,
          name: o.name.replace(/\s+/g, ' ').trim(),
          partyIds: o.partyIds ?? [],
        })),
        allowWriteIns: c.allowWriteIns,
      };
    }
    const yes = c.yesOption ?? c.options?.[0] ?? { id: 'yes', label: 'Yes' };
    const no = c.noOption ?? c.options?.[1] ?? { id: 'no', label: 'No' };
    return {
      type: 'yesno',
      id: c.id,
      title: c.title,
      districtId: c.districtId,
      description: c.description ?? '',
      yesOption: yes,
      noOption: no,
    };
  });

  const layouts = new Map<string, SheetSideLayout>();
  const layoutOf = (ballotStyleId: string, sheetNumber: number, side: Side): SheetSideLayout => {
    const key = `${ballotStyleId}/${sheetNumber}/${side}`;
    let l = layouts.get(key);
    if (!l) {
      l = { ballotStyleId, sheetNumber, side, targets: [] };
      layouts.set(key, l);
    }
    return l;
  };

  let format: Election['source']['format'];
  if (vx.gridLayouts) {
    const hasSheetNumbers = vx.gridLayouts.some((g) =>
      g.gridPositions.some((p) => p.sheetNumber !== undefined),
    );
    format = hasSheetNumbers ? 'vxf-4.0' : 'vxf-2022';
    vx.gridLayouts.forEach((g, i) => {
      if (
        (g.columns !== undefined && g.columns !== grid.columns) ||
        (g.rows !== undefined && g.rows !== grid.rows)
      ) {
        warnings.push(
          `gridLayouts[${i}] states a ${g.columns}x${g.rows} grid; ${paper} paper has ${grid.columns}x${grid.rows} timing marks, which is what is used`,
        );
      }
      for (const p of g.gridPositions) {
        const target: Target =
          p.type === 'option'
            ? { type: 'option', contestId: p.contestId, optionId: p.optionId, column: p.column, row: p.row }
            : {
                type: 'write-in',
                contestId: p.contestId,
                optionId: writeInOptionId(p.writeInIndex),
                writeInIndex: p.writeInIndex,
                column: p.column,
                row: p.row,
                ...(p.writeInArea
                  ? {
                      writeInArea: {
                        column: p.writeInArea.x,
                        row: p.writeInArea.y,
                        width: p.writeInArea.width,
                        height: p.writeInArea.height,
                      },
                    }
                  : {}),
              };
        layoutOf(g.ballotStyleId, p.sheetNumber ?? 1, p.side).targets.push(target);
      }
      // A sheet with nothing to read on one side still has that side.
      for (const sheet of new Set(g.gridPositions.map((p) => p.sheetNumber ?? 1))) {
        layoutOf(g.ballotStyleId, sheet, 'front');
        layoutOf(g.ballotStyleId, sheet, 'back');
      }
    });
  } else if (vx.ballotStyles.every((b) => !b.ballotPositions)) {
    // One message for the whole file: it is not one style that lacks its layout.
    return {
      ok: false,
      errors: [
        'Expected the positions of the ballot targets (gridLayouts, or ballotPositions in each ballot style) but received neither: this definition describes no hand-marked paper ballot (it may be for ballot-marking-device ballots only), so there is nothing on a scan to read',
      ],
    };
  } else {
    format = 'vxf-4.1';
    vx.ballotStyles.forEach((b, i) => {
      if (!b.ballotPositions) {
        errors.push(`Expected gridLayouts or ballotStyles[${i}].ballotPositions but received neither`);
        return;
      }
      b.ballotPositions.forEach((sheet, s) => {
        sheet.forEach((sideContests, sideIndex) => {
          if (sideIndex > 1) {
            errors.push(
              `Expected at most 2 sides for ballotStyles[${i}].ballotPositions[${s}] but received ${sheet.length}`,
            );
            return;
          }
          const layout = layoutOf(b.id, s + 1, sideIndex === 0 ? 'front' : 'back');
          for (const c of sideContests) {
            for (const o of c.options) {
              const at = { column: o.bubbleCenter.column, row: o.bubbleCenter.row };
              if (o.type === 'option') {
                layout.targets.push({ type: 'option', contestId: c.contestId, optionId: o.optionId, ...at });
              } else {
                const area: GridRect | undefined = o.writeInArea;
                layout.targets.push({
                  type: 'write-in',
                  contestId: c.contestId,
                  optionId: writeInOptionId(o.writeInIndex),
                  writeInIndex: o.writeInIndex,
                  ...at,
                  ...(area ? { writeInArea: area } : {}),
                });
              }
            }
          }
        });
      });
    });
  }
  if (errors.length) return { ok: false, errors };

  const jurisdiction = vx.jurisdiction ?? vx.county;
  const election = parseElection({
    id: vx.id ?? sha256.slice(0, 12),
    title: vx.title,
    date: vx.date,
    jurisdiction: jurisdiction?.name ?? '',
    state: vx.state ?? '',
    paper,
    grid,
    metadataEncoding:
      vx.ballotLayout.metadataEncoding === 'qr-code' || !vx.gridLayouts ? 'qr-code' : 'timing-marks',
    parties: vx.parties,
    districts: vx.districts,
    precincts: vx.precincts,
    contests,
    ballotStyles: vx.ballotStyles.map((b) => ({
      id: b.id,
      precinctIds: b.precincts,
      districtIds: b.districts,
      ...(b.partyId ? { partyId: b.partyId } : {}),
    })),
    layouts: [...layouts.values()].sort(
      (a, b) =>
        a.ballotStyleId.localeCompare(b.ballotStyleId) ||
        a.sheetNumber - b.sheetNumber ||
        (a.side === b.side ? 0 : a.side === 'front' ? -1 : 1),
    ),
    source: { format, sha256 },
  });
  if (!election.ok) return election;
  return { ok: true, value: { election: election.value, warnings } };
}
