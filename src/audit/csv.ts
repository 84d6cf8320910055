/**
 * A small RFC 4180 CSV reader: quoted fields with doubled quotes, commas and newlines inside quotes,
 * CRLF or LF, a UTF-8 byte order mark. Never throws: an unterminated quote is reported as an error.
 */
import type { Result } from '../election/result.ts';

export function parseCsv(text: string, where = 'CSV'): Result<string[][]> {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let line = 1;
  let quoteLine = 0;
  for (; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else {
        if (c === '\n') line++;
        field += c;
      }
      continue;
    }
    if (c === '"' && field === '') {
      quoted = true;
      quoteLine = line;
    } else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      line++;
    } else field += c;
  }
  if (quoted)
    return {
      ok: false,
      errors: [
        `Expected a closing quote for the field opened on line ${quoteLine} of ${where} but received the end of the file`,
      ],
    };
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  // blank lines carry nothing
  return { ok: true, value: rows.filter((r) => !(r.length === 1 && r[0] === '')) };
}

/** One CSV cell: quoted when it holds a comma, quote or newline. */
export function csvField(value: string | number): string {
  const s = String(value);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}
