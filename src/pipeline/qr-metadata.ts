/**
 * QR-code sheet metadata of VotingWorks hand-marked paper ballots ("bubble ballots", VXF v4.x).
 *
 * The QR code (page bottom-left, inside the timing-mark frame) holds the base64 text of a bit-packed
 * record, most significant bit first, padded with zero bits to a whole byte:
 *
 * | bits | field | v4.1 (`VB\x01`) | v4.0 (`VP\x02`) |
 * | --- | --- | --- | --- |
 * | 24 | prelude | `V` `B` 1 | `V` `P` 2 |
 * | 80 | ballot hash: first 10 bytes of the SHA-256 of election.json (20 hex digits) | | |
 * | 13 | precinct index into `election.precincts` (max 4096) | | |
 * | 16 / 13 | ballot style index into `election.ballotStyles` (max 65535 / 4096) | 16 | 13 |
 * | 5 | page number, 1..30 (odd = front, sheet = ceil(page / 2)) | | |
 * | 1 | test mode | | |
 * | 4 | ballot type: 0 precinct, 1 absentee, 2 provisional | | |
 * | 1 | ballot audit id present; if so 8 bits length (1..255) then that many UTF-8 bytes | | |
 *
 * Source: VxSuite `libs/types-rs/src/bubble_ballot.rs` (`Metadata`, `SoftwareVersion`, `PRELUDE`,
 * `PRELUDE_V4P0`) and `ballot_card.rs` (`PrecinctIndex`, `BallotStyleIndex`, `PageNumber`, `BallotType`),
 * whose tests pin the bytes of the TypeScript encoder `encodeHmpbBallotPageMetadata`. Written here from
 * that description, and checked against the vx-qa v4.1 fixture ballots. The older `VP\x01` layout (indices
 * sized by the election's counts, with a length-prefixed hash) is recognised but not decoded.
 */
import jsQRModule from 'jsqr';
import type { Election, Side } from '../election/election.ts';
import type { GrayImage } from '../image.ts';
import { gridToPixel, type RegisterOk } from './register.ts';

// jsqr is a CommonJS/UMD bundle: its function is `module.exports` or `.default` depending on the loader.
type JsQr = typeof jsQRModule.default;
const jsQR: JsQr = (jsQRModule as unknown as { default?: JsQr }).default ?? (jsQRModule as unknown as JsQr);

export type VxBallotType = 'precinct' | 'absentee' | 'provisional';
const BALLOT_TYPES: readonly VxBallotType[] = ['precinct', 'absentee', 'provisional'];

export type VxQrEncodingVersion = 'v4.0' | 'v4.1';

export const BALLOT_HASH_PREFIX_BYTES = 10;
const PRECINCT_INDEX_BITS = 13;
const BALLOT_STYLE_INDEX_BITS: Readonly<Record<VxQrEncodingVersion, number>> = { 'v4.0': 13, 'v4.1': 16 };
const PAGE_NUMBER_BITS = 5;
const MAX_PAGE_NUMBER = 30;
const BALLOT_TYPE_BITS = 4;
const AUDIT_ID_LENGTH_BITS = 8;

export interface VxQrMetadata {
  readonly ok: true;
  readonly version: VxQrEncodingVersion;
  /** the 20 hex digits the ballot carries of its election's hash */
  readonly ballotHashPrefix: string;
  readonly precinctId: string;
  readonly ballotStyleId: string;
  /** 1-based page of the ballot style: 1 and 2 are sheet 1, 3 and 4 sheet 2 ... */
  readonly pageNumber: number;
  readonly sheetNumber: number;
  readonly side: Side;
  readonly isTestMode: boolean;
  readonly ballotType: VxBallotType;
  readonly ballotAuditId?: string;
}

export type VxQrProblem =
  /** no QR code could be decoded where VxSuite prints it */
  | 'qr-not-found'
  /** a QR code was read but it holds something else */
  | 'not-vx-metadata'
  | 'unsupported-encoding'
  | 'truncated'
  | 'wrong-election'
  | 'invalid-precinct-index'
  | 'invalid-ballot-style-index'
  | 'invalid-page-number'
  | 'invalid-ballot-type'
  | 'invalid-ballot-audit-id';

export interface VxQrFailure {
  readonly ok: false;
  readonly reason: VxQrProblem;
  readonly detail: string;
}

/** Reads unsigned big-endian fields of any width from a byte array, most significant bit first. */
class BitReader {
  private bit = 0;
  constructor(private readonly bytes: Uint8Array) {}

  get remainingBits(): number {
    return this.bytes.length * 8 - this.bit;
  }

  /** `undefined` when fewer than `width` bits are left */
  read(width: number): number | undefined {
    if (width > this.remainingBits) return undefined;
    let value = 0;
    for (let i = 0; i < width; i++, this.bit++) {
      const byte = this.bytes[this.bit >> 3] ?? 0;
      value = value * 2 + ((byte >> (7 - (this.bit & 7))) & 1);
    }
    return value;
  }
}

const hex = (bytes: Uint8Array): string => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');

function fail(reason: VxQrProblem, detail: string): VxQrFailure {
  return { ok: false, reason, detail };
}

function versionOf(bytes: Uint8Array): VxQrEncodingVersion | 'v4.0-legacy' | undefined {
  if (bytes[0] !== 0x56) return undefined; // 'V'
  if (bytes[1] === 0x42 && bytes[2] === 1) return 'v4.1'; // 'B' 1
  if (bytes[1] === 0x50 && bytes[2] === 2) return 'v4.0'; // 'P' 2
  if (bytes[1] === 0x50 && bytes[2] === 1) return 'v4.0-legacy'; // 'P' 1
  return undefined;
}

/**
 * Decode the metadata bytes of a VotingWorks bubble ballot page against an election. The ballot hash
 * prefix must match the election's SHA-256 (`wrong-election` otherwise). Never throws.
 */
export function decodeVxQrMetadata(bytes: Uint8Array, election: Election): VxQrMetadata | VxQrFailure {
  const version = versionOf(bytes);
  if (version === undefined) {
    const head = hex(bytes.subarray(0, 3));
    return fail('not-vx-metadata', `expected the prelude 'VB' 1 or 'VP' 2 but received 0x${head}`);
  }
  if (version === 'v4.0-legacy')
    return fail('unsupported-encoding', `the prelude 'VP' 1 (VxSuite before v4.0) is not supported`);
  const prefixBytes = bytes.subarray(3, 3 + BALLOT_HASH_PREFIX_BYTES);
  if (prefixBytes.length < BALLOT_HASH_PREFIX_BYTES)
    return fail(
      'truncated',
      `expected ${3 + BALLOT_HASH_PREFIX_BYTES} bytes at least but received ${bytes.length}`,
    );
  const ballotHashPrefix = hex(prefixBytes);
  const expected = election.source.sha256.slice(0, BALLOT_HASH_PREFIX_BYTES * 2);
  if (ballotHashPrefix !== expected)
    return fail(
      'wrong-election',
      `the ballot is for the election with hash ${ballotHashPrefix}…, not ${expected}… (this election definition)`,
    );

  const bits = new BitReader(bytes.subarray(3 + BALLOT_HASH_PREFIX_BYTES));
  const precinctIndex = bits.read(PRECINCT_INDEX_BITS);
  const ballotStyleIndex = bits.read(BALLOT_STYLE_INDEX_BITS[version]);
  const pageNumber = bits.read(PAGE_NUMBER_BITS);
  const testBit = bits.read(1);
  const ballotTypeIndex = bits.read(BALLOT_TYPE_BITS);
  const auditFlag = bits.read(1);
  if (auditFlag === undefined || ballotTypeIndex === undefined || testBit === undefined)
    return fail('truncated', `the metadata ends after ${bytes.length} bytes, before its last field`);
  if (precinctIndex === undefined || ballotStyleIndex === undefined || pageNumber === undefined)
    return fail('truncated', `the metadata ends after ${bytes.length} bytes`);

  const precinct = election.precincts[precinctIndex];
  if (!precinct)
    return fail(
      'invalid-precinct-index',
      `expected a precinct index below ${election.precincts.length} but received ${precinctIndex}`,
    );
  const style = election.ballotStyles[ballotStyleIndex];
  if (!style)
    return fail(
      'invalid-ballot-style-index',
      `expected a ballot style index below ${election.ballotStyles.length} but received ${ballotStyleIndex}`,
    );
  if (pageNumber < 1 || pageNumber > MAX_PAGE_NUMBER)
    return fail(
      'invalid-page-number',
      `expected a page number between 1 and ${MAX_PAGE_NUMBER} but received ${pageNumber}`,
    );
  const ballotType = BALLOT_TYPES[ballotTypeIndex];
  if (!ballotType)
    return fail(
      'invalid-ballot-type',
      `expected a ballot type between 0 and 2 but received ${ballotTypeIndex}`,
    );

  let ballotAuditId: string | undefined;
  if (auditFlag === 1) {
    const length = bits.read(AUDIT_ID_LENGTH_BITS);
    if (!length) return fail('invalid-ballot-audit-id', 'the ballot audit id has no length');
    const chars: number[] = [];
    for (let i = 0; i < length; i++) {
      const byte = bits.read(8);
      if (byte === undefined)
        return fail('truncated', `the ballot audit id ends after ${i} of ${length} bytes`);
      chars.push(byte);
    }
    try {
      ballotAuditId = new TextDecoder('utf-8', { fatal: true }).decode(Uint8Array.from(chars));
    } catch {
      return fail('invalid-ballot-audit-id', 'the ballot audit id is not UTF-8');
    }
  }

  return {
    ok: true,
    version,
    ballotHashPrefix,
    precinctId: precinct.id,
    ballotStyleId: style.id,
    pageNumber,
    sheetNumber: Math.ceil(pageNumber / 2),
    side: pageNumber % 2 === 1 ? 'front' : 'back',
    isTestMode: testBit === 1,
    ballotType,
    ...(ballotAuditId !== undefined ? { ballotAuditId } : {}),
  };
}

/**
 * The metadata bytes from a QR code's content: VxSuite prints the base64 text of the bytes; raw bytes
 * (a binary-mode QR code starting with the prelude) are accepted as they are.
 */
export function metadataBytesFromQr(binaryData: readonly number[], text: string): Uint8Array | undefined {
  const raw = Uint8Array.from(binaryData);
  if (versionOf(raw) !== undefined) return raw;
  const trimmed = text.trim();
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(trimmed) || trimmed.length % 4 === 1) return undefined;
  const bytes = Buffer.from(trimmed, 'base64');
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length);
}

/** Where the QR code is searched, in page grid units (columns from the left, rows up from the last row). */
const SEARCH_AREAS = [
  // VxDesign: the code sits between columns ~0.9 and ~3.4, rows ~0.9 to ~4.2 above the bottom row
  { columnFrom: 0.45, columnTo: 4.8, rowsUpFrom: 5.6, rowsUpTo: 0.45 },
  // a wider look in case the layout moves it a little
  { columnFrom: 0.45, columnTo: 9, rowsUpFrom: 10, rowsUpTo: 0.45 },
] as const;

export type QrReadResult =
  | { readonly ok: true; readonly bytes: Uint8Array; readonly text: string }
  | VxQrFailure;

/**
 * Find and decode the QR code of a registered page. Only a small area near the page's bottom-left corner
 * (image top-right when the page is upside down) is handed to jsQR, turned upright.
 */
export function readQrCode(image: GrayImage, reg: RegisterOk): QrReadResult {
  const lastRow = reg.grid.rows - 1;
  let lastText: string | undefined;
  for (const area of SEARCH_AREAS) {
    const corners = [
      { column: area.columnFrom, row: lastRow - area.rowsUpFrom },
      { column: area.columnTo, row: lastRow - area.rowsUpFrom },
      { column: area.columnFrom, row: lastRow - area.rowsUpTo },
      { column: area.columnTo, row: lastRow - area.rowsUpTo },
    ].map((p) => gridToPixel(reg.grid, p));
    const x0 = Math.max(0, Math.floor(Math.min(...corners.map((p) => p.xPx))));
    const x1 = Math.min(image.widthPx, Math.ceil(Math.max(...corners.map((p) => p.xPx))));
    const y0 = Math.max(0, Math.floor(Math.min(...corners.map((p) => p.yPx))));
    const y1 = Math.min(image.heightPx, Math.ceil(Math.max(...corners.map((p) => p.yPx))));
    const w = x1 - x0;
    const h = y1 - y0;
    if (!(w >= 21 && h >= 21)) continue;
    const rgba = new Uint8ClampedArray(w * h * 4);
    const { data, widthPx } = image;
    for (let y = 0; y < h; y++) {
      // an upside-down page: read the rows and columns backwards so the code comes out upright
      const srcRow = (reg.rotated180 ? y1 - 1 - y : y0 + y) * widthPx;
      let o = y * w * 4;
      for (let x = 0; x < w; x++, o += 4) {
        const v = data[srcRow + (reg.rotated180 ? x1 - 1 - x : x0 + x)] ?? 255;
        rgba[o] = v;
        rgba[o + 1] = v;
        rgba[o + 2] = v;
        rgba[o + 3] = 255;
      }
    }
    const code = jsQR(rgba, w, h, { inversionAttempts: 'dontInvert' });
    if (!code) continue;
    const bytes = metadataBytesFromQr(code.binaryData, code.data);
    if (bytes) return { ok: true, bytes, text: code.data };
    lastText = code.data;
  }
  return lastText === undefined
    ? fail('qr-not-found', 'no QR code was found near the bottom-left corner')
    : fail(
        'not-vx-metadata',
        `the QR code holds "${lastText.slice(0, 40)}", not VotingWorks ballot metadata`,
      );
}

/** Find, decode and check the QR metadata of a registered page. */
export function readVxQrMetadata(
  image: GrayImage,
  reg: RegisterOk,
  election: Election,
): VxQrMetadata | VxQrFailure {
  const qr = readQrCode(image, reg);
  if (!qr.ok) return qr;
  return decodeVxQrMetadata(qr.bytes, election);
}
