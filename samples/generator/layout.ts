/**
 * The printed face of one sheet side, New Hampshire / AccuVote style, derived from the election's layout:
 * timing marks (bottom row = AccuVote metadata), a table with an "Offices" column, one column per
 * party (the party most of that column's candidates belong to) and a write-in column, one band per contest,
 * candidate names right-aligned just left of their ovals, write-in lines with the office as label, yes/no
 * questions across the full width. Output is an SVG string in points (1 grid unit = 18 pt).
 *
 * Bands follow the targets: a contest's band runs from halfway between its first target row and the
 * previous contest's last row to halfway to the next contest. This works for party-column ballots (all
 * NH ballots, the demo); a layout where contests share rows still renders, just without tidy bands.
 */

import {
  accuvoteBackFor,
  bottomRowFromBits,
  cardNumberFor,
  encodeAccuvote,
} from '../../src/election/accuvote.ts';
import {
  type CandidateContest,
  type Contest,
  type Election,
  type GridRect,
  layoutFor,
  type SheetSideLayout,
  type Side,
  type Target,
} from '../../src/election/election.ts';
import {
  OVAL_HEIGHT_IN,
  OVAL_STROKE_IN,
  OVAL_WIDTH_IN,
  pageSizeIn,
  TIMING_LEFT_IN,
  TIMING_MARK_HEIGHT_IN,
  TIMING_MARK_WIDTH_IN,
  TIMING_PITCH_IN,
  TIMING_TOP_IN,
} from './geometry.ts';

const PT = 72;
const x = (column: number) => (TIMING_LEFT_IN + column * TIMING_PITCH_IN) * PT;
const y = (row: number) => (TIMING_TOP_IN + row * TIMING_PITCH_IN) * PT;
const f = (v: number) => (Math.round(v * 100) / 100).toString();

const FONT = 'DejaVu Sans Condensed';
/** NH ballots use a condensed Helvetica; DejaVu Sans Condensed squeezed a little more looks close. */
const SQUEEZE = 0.84;

/** Where a voter writes a name: the definition's area, or left of the oval above the write-in line. */
export function writeInAreaFor(target: Target): GridRect | undefined {
  if (target.type !== 'write-in') return undefined;
  return (
    target.writeInArea ?? { column: target.column - 5.6, row: target.row - 0.85, width: 5.1, height: 1.15 }
  );
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function text(
  s: string,
  xPt: number,
  yPt: number,
  sizePt: number,
  opts: { bold?: boolean; anchor?: 'start' | 'middle' | 'end'; fill?: string } = {},
): string {
  return (
    `<text transform="translate(${f(xPt)} ${f(yPt)}) scale(${SQUEEZE} 1)" font-family="${FONT}" font-size="${f(sizePt)}"` +
    `${opts.bold ? ' font-weight="bold"' : ''} text-anchor="${opts.anchor ?? 'start'}"${opts.fill ? ` fill="${opts.fill}"` : ''}>${esc(s)}</text>`
  );
}

/** Approximate rendered width of a string in points (for wrapping). */
function textWidthPt(s: string, sizePt: number, bold: boolean): number {
  return s.length * sizePt * (bold ? 0.63 : 0.56) * SQUEEZE;
}

function wrap(s: string, maxWidthPt: number, sizePt: number, bold: boolean): string[] {
  const words = s.replace(/\s+/g, ' ').trim().split(' ');
  const lines: string[] = [];
  let line = '';
  for (const w of words) {
    const next = line ? `${line} ${w}` : w;
    if (line && textWidthPt(next, sizePt, bold) > maxWidthPt) {
      lines.push(line);
      line = w;
    } else line = next;
  }
  if (line) lines.push(line);
  return lines;
}

interface Band {
  contest: Contest;
  targets: Target[];
  rowMin: number;
  rowMax: number;
  top: number;
  bottom: number;
}

function bandsOf(election: Election, layout: SheetSideLayout): Band[] {
  const byContest = new Map<string, Target[]>();
  for (const t of layout.targets) {
    const list = byContest.get(t.contestId) ?? [];
    list.push(t);
    byContest.set(t.contestId, list);
  }
  const bands: Band[] = [];
  for (const [contestId, targets] of byContest) {
    const contest = election.contests.find((c) => c.id === contestId);
    if (!contest) continue;
    const rows = targets.map((t) => t.row);
    bands.push({ contest, targets, rowMin: Math.min(...rows), rowMax: Math.max(...rows), top: 0, bottom: 0 });
  }
  bands.sort((a, b) => a.rowMin - b.rowMin);
  bands.forEach((b, i) => {
    const prev = bands[i - 1];
    const next = bands[i + 1];
    const pad = b.contest.type === 'yesno' ? 2.2 : 1.5;
    b.top = prev ? (prev.rowMax + b.rowMin) / 2 : b.rowMin - pad;
    b.bottom = next ? (b.rowMax + next.rowMin) / 2 : b.rowMax + 1.6;
    if (!next && b.contest.type === 'candidate') {
      // Leave room for the office title (about 14 characters per line, 0.75 row per line, plus "For" and "Vote for").
      const titleRows = Math.ceil(b.contest.title.length / 14) * 0.75 + 1.4;
      b.bottom = Math.max(b.bottom, b.top + titleRows);
    }
    if (prev && b.top < prev.rowMax + 0.6) b.top = prev.rowMax + 0.6;
  });
  return bands;
}

function partyName(election: Election, id: string | undefined): string | undefined {
  return election.parties.find((p) => p.id === id)?.name;
}

/** SVG of one sheet side at its real size; rasterize with width/height in pixels of the target dpi. */
export function sheetSideSvg(
  election: Election,
  ballotStyleId: string,
  sheetNumber: number,
  side: Side,
  widthPx: number,
  heightPx: number,
): string {
  const { widthIn, heightIn } = pageSizeIn(election.paper);
  const { columns, rows } = election.grid;
  const layout = layoutFor(election, ballotStyleId, sheetNumber, side) ?? {
    ballotStyleId,
    sheetNumber,
    side,
    targets: [],
  };
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${widthPx}" height="${heightPx}" viewBox="0 0 ${f(widthIn * PT)} ${f(heightIn * PT)}">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
  );

  // Timing marks: complete top row and side columns; the bottom row carries the metadata bits.
  const mw = TIMING_MARK_WIDTH_IN * PT;
  const mh = TIMING_MARK_HEIGHT_IN * PT;
  const mark = (c: number, r: number) =>
    out.push(
      `<rect x="${f(x(c) - mw / 2)}" y="${f(y(r) - mh / 2)}" width="${f(mw)}" height="${f(mh)}" fill="#000"/>`,
    );
  for (let c = 0; c < columns; c++) mark(c, 0);
  for (let r = 1; r < rows - 1; r++) {
    mark(0, r);
    mark(columns - 1, r);
  }
  const bits =
    side === 'front'
      ? encodeAccuvote({
          side: 'front',
          batchOrPrecinctNumber: precinctNumberFor(election, ballotStyleId),
          cardNumber: cardNumberFor(election, ballotStyleId, sheetNumber),
          sequenceNumber: sheetNumber - 1,
        })
      : encodeAccuvote(accuvoteBackFor(election));
  bottomRowFromBits(bits, columns).forEach((b, c) => {
    if (b) mark(c, rows - 1);
  });

  const bands = bandsOf(election, layout);
  const optionCols = [
    ...new Set(
      layout.targets
        .filter(
          (t) =>
            t.type === 'option' && election.contests.find((c) => c.id === t.contestId)?.type === 'candidate',
        )
        .map((t) => t.column),
    ),
  ].sort((a, b) => a - b);
  const writeInCols = [
    ...new Set(layout.targets.filter((t) => t.type === 'write-in').map((t) => t.column)),
  ].sort((a, b) => a - b);
  const allCols = [...new Set([...optionCols, ...writeInCols])].sort((a, b) => a - b);
  const lastCol = Math.max(columns - 2, ...layout.targets.map((t) => t.column));
  const left = 0.45;
  const right = Math.min(columns - 1 - 0.55, lastCol + 0.45);
  const firstCol = allCols[0] ?? 12;
  const officesRight = Math.max(left + 4, firstCol - 6.3);
  const dividers = [officesRight, ...allCols.slice(0, -1).map((c) => c + 0.7)];

  // Column headers: the party most of the column's candidates run for, else "Other".
  const headers = allCols.map((col) => {
    if (writeInCols.includes(col) && !optionCols.includes(col)) return ['Write-in', 'Candidates'];
    const counts = new Map<string, number>();
    for (const t of layout.targets) {
      if (t.column !== col || t.type !== 'option') continue;
      const contest = election.contests.find((c) => c.id === t.contestId);
      if (contest?.type !== 'candidate') continue;
      const cand = contest.candidates.find((o) => o.id === t.optionId);
      const parties = cand?.partyIds ?? [];
      for (const p of parties) counts.set(p, (counts.get(p) ?? 0) + 1 / parties.length);
    }
    const sorted = [...counts.entries()].sort((a, b) => b[1] - a[1]);
    const top = sorted[0];
    const total = [...counts.values()].reduce((s, v) => s + v, 0);
    const name = top && top[1] >= total * 0.75 ? partyName(election, top[0]) : undefined;
    return [name && name.length > 3 ? name : 'Other', 'Candidates'];
  });
  const columnParty = new Map<number, string | undefined>();
  allCols.forEach((col, i) => {
    const h = headers[i]?.[0];
    columnParty.set(col, election.parties.find((p) => p.name === h)?.id);
  });

  const firstTop = bands[0]?.top ?? 6;
  const headerTop = firstTop - 1.55;
  const tableBottom = bands[bands.length - 1]?.bottom ?? firstTop;

  // Instructions and title above the table when there is room (the front of a card).
  if (bands.length && headerTop >= 3.2) {
    const ix = x(left + 0.6);
    let iy = y(headerTop - 3.9 + 0.2);
    if (headerTop >= 4.3) {
      out.push(text('INSTRUCTIONS TO VOTERS', x(6.5), y(0.75), 8.5, { bold: true, anchor: 'middle' }));
      iy = y(1.15);
    }
    const lines = [
      ['1. To Vote.', ' Completely fill in the oval to the right of your choice. For each office vote for'],
      ['', 'not more than the number of candidates stated in the sentence "Vote for not more than'],
      ['', '___." If you vote for more than the stated number of candidates, your vote for that'],
      ['', 'office will not be counted.'],
      ['2. To Vote by Write-In.', ' To vote for a person whose name is not printed on the ballot,'],
      ['', 'write in the name of the person in the "write-in" space. Completely fill in the oval'],
      ['', 'to the right of your choice.'],
    ];
    lines.forEach(([b, r], i) => {
      const yy = iy + i * 9;
      if (yy > y(headerTop) - 4) return;
      out.push(
        `<text transform="translate(${f(ix)} ${f(yy)}) scale(${SQUEEZE} 1)" font-family="${FONT}" font-size="7.6">` +
          (b ? `<tspan font-weight="bold">${esc(b)}</tspan>` : '') +
          `${esc(r ?? '')}</text>`,
      );
    });
    const tx = x(22.5);
    const title = election.title.toUpperCase();
    const titleLines = [
      ['OFFICIAL BALLOT FOR', 8.5],
      [election.jurisdiction.toUpperCase() || title, 14],
      [/primary/i.test(election.title) ? 'PRIMARY ELECTION' : 'GENERAL ELECTION', 10.5],
      [formatDate(election.date), 10.5],
    ] as const;
    let ty = y(Math.max(0.9, headerTop - 3.3)) - 8;
    for (const [s, size] of titleLines) {
      ty += size * 1.2;
      if (ty > y(headerTop) - 3) break;
      out.push(text(s, tx, ty, size, { bold: true, anchor: 'middle' }));
    }
  }

  if (bands.length) {
    // Header bar.
    out.push(
      `<rect x="${f(x(left))}" y="${f(y(headerTop))}" width="${f(x(right) - x(left))}" height="${f(y(firstTop) - y(headerTop))}" fill="#111"/>`,
    );
    const hMid = (y(headerTop) + y(firstTop)) / 2;
    out.push(
      text('Offices', (x(left) + x(officesRight)) / 2, hMid + 5, 13, {
        bold: true,
        anchor: 'middle',
        fill: '#fff',
      }),
    );
    allCols.forEach((_col, i) => {
      const l = dividers[i] ?? left;
      const r = dividers[i + 1] ?? right;
      const [a, b] = headers[i] ?? ['', ''];
      out.push(
        text(a ?? '', (x(l) + x(r)) / 2, hMid - 1.5, 12.5, { bold: true, anchor: 'middle', fill: '#fff' }),
      );
      out.push(
        text(b ?? '', (x(l) + x(r)) / 2, hMid + 11, 12.5, { bold: true, anchor: 'middle', fill: '#fff' }),
      );
    });
    for (const d of dividers)
      out.push(
        `<line x1="${f(x(d))}" y1="${f(y(headerTop))}" x2="${f(x(d))}" y2="${f(y(firstTop))}" stroke="#fff" stroke-width="1"/>`,
      );
  }

  for (const band of bands) {
    const top = y(band.top);
    const bottom = y(band.bottom);
    out.push(hline(x(left), x(right), bottom, 1.6));
    out.push(vline(x(left), top, bottom, 1.2), vline(x(right), top, bottom, 1.2));
    const c = band.contest;
    if (c.type === 'candidate') {
      for (const d of dividers) out.push(vline(x(d), top, bottom, 0.9));
      let size = 12;
      let lines = wrap(c.title, x(officesRight) - x(left) - 8, size, true);
      while (size > 8 && 22 + lines.length * (size + 1) > bottom - top) {
        size -= 1;
        lines = wrap(c.title, x(officesRight) - x(left) - 8, size, true);
      }
      const lead = size + 1;
      const blockH = 9 + lines.length * lead + 10;
      let ty = Math.max(top + 10, (top + bottom) / 2 - blockH / 2 + 8);
      const cx = (x(left) + x(officesRight)) / 2;
      out.push(text('For', cx, ty, 7.5, { anchor: 'middle' }));
      ty += lead;
      for (const l of lines) {
        out.push(text(l, cx, ty, size, { bold: true, anchor: 'middle' }));
        ty += lead;
      }
      out.push(
        `<text transform="translate(${f(cx)} ${f(Math.min(ty, bottom - 3))}) scale(${SQUEEZE} 1)" font-family="${FONT}" font-size="7.6" text-anchor="middle">Vote for not more than <tspan font-weight="bold" font-size="8.5">${c.seats}</tspan></text>`,
      );
      candidateLabels(out, election, c, band, columnParty);
    } else {
      const yes = band.targets.find((t) => t.type === 'option' && t.optionId === c.yesOption.id);
      const no = band.targets.find((t) => t.type === 'option' && t.optionId === c.noOption.id);
      const firstOval = Math.min(...band.targets.map((t) => t.column));
      const textRight = x(firstOval - 3.2);
      let ty = top + 13;
      out.push(text(c.title, x(left + 0.4), ty, 11, { bold: true }));
      ty += 11;
      for (const l of wrap(c.description || c.title, textRight - x(left + 0.4), 8, false)) {
        if (ty > bottom - 4) break;
        out.push(text(l, x(left + 0.4), ty, 8));
        ty += 9.5;
      }
      for (const [t, label] of [
        [yes, c.yesOption.label],
        [no, c.noOption.label],
      ] as const) {
        if (!t) continue;
        out.push(
          text(label.toUpperCase(), x(t.column - 0.55), y(t.row) + 4, 11, { bold: true, anchor: 'end' }),
        );
      }
    }
    for (const t of band.targets) out.push(oval(t.column, t.row));
  }
  if (bands.length) out.push(hline(x(left), x(right), y(tableBottom) + 2.5, 0.8));

  // Footer.
  const footerRow = rows - 3.4;
  if (bands.length && tableBottom < footerRow - 1.2) {
    const msg = side === 'front' ? 'BALLOT CONTINUES ON BACK - TURN OVER' : 'YOU HAVE NOW COMPLETED VOTING';
    out.push(text(msg, x(3), y(footerRow) + 6, 15, { bold: true }));
    if (side === 'front')
      out.push(
        `<path d="M ${f(x(25.5))} ${f(y(footerRow) - 2)} h ${f(x(29.5) - x(25.5))} v -6 l 14 8 l -14 8 v -6 h ${f(x(25.5) - x(29.5))} z" fill="#000"/>`,
      );
  }
  out.push('</svg>');
  return out.join('\n');
}

function candidateLabels(
  out: string[],
  election: Election,
  c: CandidateContest,
  band: Band,
  columnParty: Map<number, string | undefined>,
): void {
  for (const t of band.targets) {
    const nameRight = x(t.column - 0.52);
    const baseline = y(t.row) + 4.3;
    if (t.type === 'write-in') {
      const area = writeInAreaFor(t);
      if (!area) continue;
      out.push(hline(x(area.column), x(t.column - 0.5), y(t.row) + 3.5, 0.5));
      const label = wrap(c.title, x(t.column + 0.4) - x(area.column), 7.2, false).slice(0, 2);
      label.forEach((l, i) => {
        out.push(text(l, x(t.column + 0.4), y(t.row) + 13 + i * 8.5, 7.2, { anchor: 'end' }));
      });
      continue;
    }
    const cand = c.candidates.find((o) => o.id === t.optionId);
    if (!cand) continue;
    const lines = cand.name.includes(' and ') ? cand.name.split(' and ') : [cand.name];
    lines.forEach((l, i) => {
      out.push(
        text(l, nameRight, baseline + (i - (lines.length - 1) / 2) * 13, 12, { bold: true, anchor: 'end' }),
      );
    });
    const colParty = columnParty.get(t.column);
    if (!colParty || !cand.partyIds.includes(colParty)) {
      const p = cand.partyIds.map((id) => partyName(election, id)).filter(Boolean)[0];
      if (p) {
        const w = textWidthPt(lines[0] ?? '', 12, true);
        out.push(
          text(p, nameRight - w / 2, baseline - 13 - ((lines.length - 1) / 2) * 13, 7.5, {
            anchor: 'middle',
          }),
        );
      }
    }
  }
}

function hline(x1: number, x2: number, yy: number, w: number): string {
  return `<line x1="${f(x1)}" y1="${f(yy)}" x2="${f(x2)}" y2="${f(yy)}" stroke="#000" stroke-width="${w}"/>`;
}
function vline(xx: number, y1: number, y2: number, w: number): string {
  return `<line x1="${f(xx)}" y1="${f(y1)}" x2="${f(xx)}" y2="${f(y2)}" stroke="#000" stroke-width="${w}"/>`;
}

function oval(column: number, row: number): string {
  const s = OVAL_STROKE_IN * PT;
  const w = OVAL_WIDTH_IN * PT - s;
  const h = OVAL_HEIGHT_IN * PT - s;
  return `<rect x="${f(x(column) - w / 2)}" y="${f(y(row) - h / 2)}" width="${f(w)}" height="${f(h)}" rx="${f(h * 0.5)}" ry="${f(h * 0.5)}" fill="none" stroke="#000" stroke-width="${f(s)}"/>`;
}

function formatDate(date: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(date);
  if (!m) return date;
  const months = [
    'JANUARY',
    'FEBRUARY',
    'MARCH',
    'APRIL',
    'MAY',
    'JUNE',
    'JULY',
    'AUGUST',
    'SEPTEMBER',
    'OCTOBER',
    'NOVEMBER',
    'DECEMBER',
  ];
  return `${months[Number(m[2]) - 1] ?? ''} ${Number(m[3])}, ${m[1]}`;
}

/** AccuVote's batch/precinct field: 1 + the index of the style's first precinct (the Amherst scan says 56). */
export function precinctNumberFor(election: Election, ballotStyleId: string): number {
  const style = election.ballotStyles.find((b) => b.id === ballotStyleId);
  const i = election.precincts.findIndex((p) => p.id === style?.precinctIds[0]);
  return Math.max(0, i) + 1;
}
