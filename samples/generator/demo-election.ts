/**
 * The demo election as VotingWorks VXF v4.0 JSON (gridLayouts with sheetNumber and writeInArea,
 * yes/no contests with yesOption/noOption), laid out like a New Hampshire party-column ballot on letter
 * paper: two ballot styles (`card-number-1` North Ward, `card-number-2` South Ward), one sheet each,
 * contests on both sides, a cross-endorsed candidate, multi-seat contests with write-ins, yes/no
 * questions, and contests that appear on one style only. `make-demo.ts` writes it to samples/demo.
 */

interface VxCandidate {
  id: string;
  name: string;
  partyIds: string[];
}
type VxContest =
  | {
      type: 'candidate';
      id: string;
      districtId: string;
      title: string;
      seats: number;
      candidates: VxCandidate[];
      allowWriteIns: boolean;
    }
  | {
      type: 'yesno';
      id: string;
      districtId: string;
      title: string;
      description: string;
      yesOption: { id: string; label: string };
      noOption: { id: string; label: string };
    };

type GridPosition =
  | {
      type: 'option';
      sheetNumber: number;
      side: 'front' | 'back';
      column: number;
      row: number;
      contestId: string;
      optionId: string;
    }
  | {
      type: 'write-in';
      sheetNumber: number;
      side: 'front' | 'back';
      column: number;
      row: number;
      contestId: string;
      writeInIndex: number;
      writeInArea: { x: number; y: number; width: number; height: number };
    };

const PARTY_COLUMNS: Record<string, number> = { dem: 12, rep: 19, lib: 26 };
const WRITE_IN_COLUMN = 32;

const c = (id: string, name: string, ...partyIds: string[]): VxCandidate => ({ id, name, partyIds });

const CONTESTS: VxContest[] = [
  {
    type: 'candidate',
    id: 'governor',
    districtId: 'county',
    title: 'Governor',
    seats: 1,
    candidates: [
      c('ada-whitcomb', 'Ada Whitcomb', 'dem'),
      c('ben-carver', 'Benjamin Carver', 'rep'),
      c('celia-marsh', 'Celia Marsh', 'lib'),
    ],
    allowWriteIns: true,
  },
  {
    type: 'candidate',
    id: 'us-senator',
    districtId: 'county',
    title: 'United States Senator',
    seats: 1,
    candidates: [c('daniel-ortiz', 'Daniel Ortiz', 'dem'), c('eleanor-pike', 'Eleanor Pike', 'rep')],
    allowWriteIns: true,
  },
  {
    type: 'candidate',
    id: 'executive-councilor',
    districtId: 'county',
    title: 'Executive Councilor',
    seats: 1,
    // Cross-endorsed: printed in both the Democratic and the Republican column.
    candidates: [
      c('frank-osgood', 'Frank Osgood', 'dem', 'rep'),
      c('grace-holloway', 'Grace Holloway', 'lib'),
    ],
    allowWriteIns: true,
  },
  {
    type: 'candidate',
    id: 'state-senator-1',
    districtId: 'district-1',
    title: 'State Senator District 1',
    seats: 1,
    candidates: [c('harriet-lowe', 'Harriet Lowe', 'dem'), c('isaac-brandt', 'Isaac Brandt', 'rep')],
    allowWriteIns: true,
  },
  {
    type: 'candidate',
    id: 'state-reps-1',
    districtId: 'district-1',
    title: 'State Representatives District 1',
    seats: 3,
    candidates: [
      c('june-abbott', 'June Abbott', 'dem'),
      c('karl-bemis', 'Karl Bemis', 'dem'),
      c('lena-cho', 'Lena Cho', 'dem'),
      c('marcus-dowd', 'Marcus Dowd', 'rep'),
      c('nora-ellis', 'Nora Ellis', 'rep'),
      c('oscar-fay', 'Oscar Fay', 'rep'),
      c('paula-grant', 'Paula Grant', 'lib'),
    ],
    allowWriteIns: true,
  },
  {
    type: 'candidate',
    id: 'state-reps-2',
    districtId: 'district-2',
    title: 'State Representatives District 2',
    seats: 2,
    candidates: [
      c('quinn-harlow', 'Quinn Harlow', 'dem'),
      c('rosa-ingram', 'Rosa Ingram', 'dem'),
      c('samuel-joy', 'Samuel Joy', 'rep'),
      c('tessa-kane', 'Tessa Kane', 'rep'),
    ],
    allowWriteIns: true,
  },
  {
    type: 'candidate',
    id: 'sheriff',
    districtId: 'county',
    title: 'Sheriff',
    seats: 1,
    candidates: [c('uma-lind', 'Uma Lind', 'dem'), c('victor-moss', 'Victor Moss', 'rep')],
    allowWriteIns: true,
  },
  {
    type: 'candidate',
    id: 'county-commissioners',
    districtId: 'county',
    title: 'County Commissioners',
    seats: 2,
    candidates: [
      c('wendy-nash', 'Wendy Nash', 'dem'),
      c('xavier-orr', 'Xavier Orr', 'dem'),
      c('yvonne-pratt', 'Yvonne Pratt', 'rep'),
      c('zach-quimby', 'Zach Quimby', 'rep'),
      c('alma-reyes', 'Alma Reyes', 'lib'),
    ],
    allowWriteIns: true,
  },
  {
    type: 'candidate',
    id: 'register-of-probate-1',
    districtId: 'district-1',
    title: 'Register of Probate',
    seats: 1,
    candidates: [c('bruce-stark', 'Bruce Stark', 'dem'), c('carla-tuttle', 'Carla Tuttle', 'rep')],
    allowWriteIns: true,
  },
  {
    type: 'yesno',
    id: 'question-1',
    districtId: 'county',
    title: 'Constitutional Amendment Question 1',
    description:
      'Are you in favor of amending the constitution to require that the state publish, within thirty days of each election, a record of every ballot cast, with no information that could identify a voter?',
    yesOption: { id: 'question-1-yes', label: 'Yes' },
    noOption: { id: 'question-1-no', label: 'No' },
  },
  {
    type: 'yesno',
    id: 'article-2',
    districtId: 'district-2',
    title: 'Article 2: Library Bond',
    description:
      'Shall the town raise and appropriate $1,250,000 for the renovation of the South Ward library, to be paid by a bond over twenty years?',
    yesOption: { id: 'article-2-yes', label: 'Yes' },
    noOption: { id: 'article-2-no', label: 'No' },
  },
];

const STYLES = [
  {
    id: 'card-number-1',
    precinct: 'precinct-north',
    districts: ['county', 'district-1'],
    front: ['governor', 'us-senator', 'executive-councilor', 'state-senator-1', 'state-reps-1'],
    back: ['sheriff', 'county-commissioners', 'register-of-probate-1', 'question-1'],
  },
  {
    id: 'card-number-2',
    precinct: 'precinct-south',
    districts: ['county', 'district-2'],
    front: ['governor', 'us-senator', 'executive-councilor', 'state-reps-2'],
    back: ['sheriff', 'county-commissioners', 'question-1', 'article-2'],
  },
];

function positionsFor(contestIds: string[], side: 'front' | 'back', firstRow: number): GridPosition[] {
  const out: GridPosition[] = [];
  let row = firstRow;
  let prevYesNo = false;
  for (const id of contestIds) {
    const contest = CONTESTS.find((x) => x.id === id);
    if (!contest) throw new Error(`unknown contest ${id}`);
    if (contest.type === 'yesno') {
      // Room above the ovals for the title and the question text.
      const r = row + (prevYesNo ? 3 : 2);
      out.push({
        type: 'option',
        sheetNumber: 1,
        side,
        column: 26,
        row: r,
        contestId: id,
        optionId: contest.yesOption.id,
      });
      out.push({
        type: 'option',
        sheetNumber: 1,
        side,
        column: 32,
        row: r,
        contestId: id,
        optionId: contest.noOption.id,
      });
      row = r + 4;
      prevYesNo = true;
      continue;
    }
    prevYesNo = false;
    const perColumn = new Map<number, number>();
    for (const cand of contest.candidates) {
      for (const party of cand.partyIds) {
        const col = PARTY_COLUMNS[party] ?? 26;
        const k = perColumn.get(col) ?? 0;
        perColumn.set(col, k + 1);
        out.push({
          type: 'option',
          sheetNumber: 1,
          side,
          column: col,
          row: row + 2 * k,
          contestId: id,
          optionId: cand.id,
        });
      }
    }
    const lines = contest.allowWriteIns ? contest.seats : 0;
    for (let i = 0; i < lines; i++) {
      const r = row + 2 * i;
      out.push({
        type: 'write-in',
        sheetNumber: 1,
        side,
        column: WRITE_IN_COLUMN,
        row: r,
        contestId: id,
        writeInIndex: i,
        writeInArea: { x: WRITE_IN_COLUMN - 5.6, y: r - 0.85, width: 5.1, height: 1.15 },
      });
    }
    const rowsUsed = Math.max(lines, ...perColumn.values());
    row += 2 * (rowsUsed - 1) + 4;
  }
  return out;
}

export function demoElectionVxf(): Record<string, unknown> {
  return {
    id: 'ballot-tally-demo-2024',
    type: 'general',
    title: 'General Election',
    date: '2024-11-05',
    state: 'New Hampshire',
    county: { id: 'maple-hollow', name: 'Town of Maple Hollow' },
    seal: '',
    ballotLayout: { paperSize: 'letter', metadataEncoding: 'timing-marks' },
    parties: [
      { id: 'dem', name: 'Democratic', fullName: 'Democratic Party', abbrev: 'D' },
      { id: 'rep', name: 'Republican', fullName: 'Republican Party', abbrev: 'R' },
      { id: 'lib', name: 'Libertarian', fullName: 'Libertarian Party', abbrev: 'L' },
    ],
    districts: [
      { id: 'county', name: 'Maple Hollow' },
      { id: 'district-1', name: 'North District' },
      { id: 'district-2', name: 'South District' },
    ],
    precincts: [
      { id: 'precinct-north', name: 'North Ward' },
      { id: 'precinct-south', name: 'South Ward' },
    ],
    contests: CONTESTS,
    ballotStyles: STYLES.map((s) => ({
      id: s.id,
      groupId: s.id,
      precincts: [s.precinct],
      districts: s.districts,
    })),
    gridLayouts: STYLES.map((s) => ({
      ballotStyleId: s.id,
      optionBoundsFromTargetMark: { left: 5, top: 1, right: 1, bottom: 1 },
      gridPositions: [...positionsFor(s.front, 'front', 8), ...positionsFor(s.back, 'back', 4)],
    })),
  };
}
