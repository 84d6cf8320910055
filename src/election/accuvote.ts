/**
 * AccuVote-style sheet metadata, carried by the bottom row of timing marks (a mark = 1, a gap = 0).
 *
 * The row has `columns` positions; the two corners are always marked. The 32 positions between them are
 * read right to left (bit 0 is the column next to the bottom-right corner) and each field is
 * little-endian within its bits. Layout, checked against the New Hampshire scans in shared/fixtures:
 *
 * front: [0,2) mod-4 checksum of the ones in bits 2..31 · [2,15) batch or precinct number ·
 *        [15,28) card number · [28,31) sequence number · [31] start bit = 1
 * back:  [0,5) election day · [5,9) month · [9,16) year − 2000 · [16,21) election type letter − 'A' ·
 *        [21,32) ender code 01111011110
 *
 * ballot-tally's generator writes the same code, so its sheets and AccuVote ones are read one way.
 */
import type { Election } from './election.ts';

export const ACCUVOTE_BITS = 32;
export const BACK_ENDER_CODE = [0, 1, 1, 1, 1, 0, 1, 1, 1, 1, 0] as const;

export interface AccuvoteFront {
  side: 'front';
  batchOrPrecinctNumber: number;
  cardNumber: number;
  sequenceNumber: number;
}

export interface AccuvoteBack {
  side: 'back';
  electionDay: number;
  electionMonth: number;
  electionYear: number;
  electionType: string;
}

export type AccuvoteMetadata = AccuvoteFront | AccuvoteBack;

export type Bit = 0 | 1;

function readField(bits: readonly Bit[], start: number, length: number): number {
  let v = 0;
  for (let i = 0; i < length; i++) v += (bits[start + i] ?? 0) * 2 ** i;
  return v;
}

function writeField(bits: Bit[], start: number, length: number, value: number): void {
  for (let i = 0; i < length; i++) bits[start + i] = ((value >> i) & 1) as Bit;
}

function ones(bits: readonly Bit[], from: number): number {
  let n = 0;
  for (let i = from; i < bits.length; i++) n += bits[i] ?? 0;
  return n;
}

/** Decode the 32 interior bits, read right to left. Returns a reason when they are neither a front nor a back. */
export function decodeAccuvote(
  bitsRightToLeft: readonly Bit[],
): AccuvoteMetadata | { side: 'unknown'; reason: string } {
  if (bitsRightToLeft.length !== ACCUVOTE_BITS)
    return {
      side: 'unknown',
      reason: `expected ${ACCUVOTE_BITS} metadata bits but found ${bitsRightToLeft.length}`,
    };
  const ender = bitsRightToLeft.slice(21, 32);
  if (ender.every((b, i) => b === BACK_ENDER_CODE[i])) {
    const typeCode = readField(bitsRightToLeft, 16, 5);
    return {
      side: 'back',
      electionDay: readField(bitsRightToLeft, 0, 5),
      electionMonth: readField(bitsRightToLeft, 5, 4),
      electionYear: readField(bitsRightToLeft, 9, 7),
      electionType: String.fromCharCode(65 + typeCode),
    };
  }
  if (bitsRightToLeft[31] !== 1)
    return { side: 'unknown', reason: 'start bit missing and no back-side ender code' };
  const checksum = readField(bitsRightToLeft, 0, 2);
  if (checksum !== ones(bitsRightToLeft, 2) % 4)
    return {
      side: 'unknown',
      reason: `checksum ${checksum} does not match the bits (${ones(bitsRightToLeft, 2) % 4})`,
    };
  return {
    side: 'front',
    batchOrPrecinctNumber: readField(bitsRightToLeft, 2, 13),
    cardNumber: readField(bitsRightToLeft, 15, 13),
    sequenceNumber: readField(bitsRightToLeft, 28, 3),
  };
}

export function encodeAccuvote(m: AccuvoteMetadata): Bit[] {
  const bits: Bit[] = new Array<Bit>(ACCUVOTE_BITS).fill(0);
  if (m.side === 'back') {
    writeField(bits, 0, 5, m.electionDay);
    writeField(bits, 5, 4, m.electionMonth);
    writeField(bits, 9, 7, m.electionYear);
    writeField(bits, 16, 5, m.electionType.charCodeAt(0) - 65);
    BACK_ENDER_CODE.forEach((b, i) => {
      bits[21 + i] = b;
    });
    return bits;
  }
  writeField(bits, 2, 13, m.batchOrPrecinctNumber);
  writeField(bits, 15, 13, m.cardNumber);
  writeField(bits, 28, 3, m.sequenceNumber);
  bits[31] = 1;
  writeField(bits, 0, 2, ones(bits, 2) % 4);
  return bits;
}

/**
 * The bottom row as marks left to right across the page (length = columns), corners included.
 * Interior column c (1..columns-2) carries bit (columns - 2 - c).
 */
export function bottomRowFromBits(bitsRightToLeft: readonly Bit[], columns: number): Bit[] {
  const row: Bit[] = new Array<Bit>(columns).fill(0);
  row[0] = 1;
  row[columns - 1] = 1;
  for (let c = 1; c < columns - 1; c++) row[c] = bitsRightToLeft[columns - 2 - c] ?? 0;
  return row;
}

export function bitsFromBottomRow(row: readonly Bit[]): Bit[] {
  const columns = row.length;
  const bits: Bit[] = [];
  for (let i = 0; i < columns - 2; i++) bits.push(row[columns - 2 - i] ?? 0);
  return bits;
}

/**
 * AccuVote identifies a sheet by its card number. VotingWorks names the ballot styles of converted
 * AccuVote elections `card-number-N`; other elections number their (ballot style, sheet) pairs 1, 2, …
 * in the order of the election's layouts.
 */
export function cardNumberFor(election: Election, ballotStyleId: string, sheetNumber: number): number {
  const named = /^card-number-(\d+)$/.exec(ballotStyleId);
  const maxSheet = Math.max(
    1,
    ...election.layouts.filter((l) => l.ballotStyleId === ballotStyleId).map((l) => l.sheetNumber),
  );
  if (named?.[1] && maxSheet === 1) return Number(named[1]);
  const pairs = sheetsInOrder(election);
  const i = pairs.findIndex((p) => p.ballotStyleId === ballotStyleId && p.sheetNumber === sheetNumber);
  return i < 0 ? 0 : i + 1;
}

export function sheetForCardNumber(
  election: Election,
  cardNumber: number,
): { ballotStyleId: string; sheetNumber: number } | undefined {
  return sheetsInOrder(election).find(
    (p) => cardNumberFor(election, p.ballotStyleId, p.sheetNumber) === cardNumber,
  );
}

function sheetsInOrder(election: Election): { ballotStyleId: string; sheetNumber: number }[] {
  const seen = new Set<string>();
  const out: { ballotStyleId: string; sheetNumber: number }[] = [];
  for (const l of election.layouts) {
    const key = `${l.ballotStyleId}/${l.sheetNumber}`;
    if (!seen.has(key)) {
      seen.add(key);
      out.push({ ballotStyleId: l.ballotStyleId, sheetNumber: l.sheetNumber });
    }
  }
  return out;
}

/** Election date and type as the back of a sheet carries them. */
export function accuvoteBackFor(election: Election): AccuvoteBack {
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(election.date);
  const year = m ? Number(m[1]) : 2000;
  return {
    side: 'back',
    electionDay: m ? Number(m[3]) : 0,
    electionMonth: m ? Number(m[2]) : 0,
    electionYear: year - 2000,
    electionType: /primary/i.test(election.title) ? 'P' : 'G',
  };
}
