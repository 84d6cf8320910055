/**
 * The audit report as one self-contained HTML file that works offline: summary, per-contest table,
 * discrepancy list and needs-review queue; every listed sheet is shown with its images, the targets
 * outlined by status and labelled with their fill scores (`renderOverlay`), embedded as downscaled JPEG
 * `data:` URIs. Everything from the data (names in the election definition are untrusted input) is
 * HTML-escaped, and a Content-Security-Policy forbids scripts altogether.
 */
import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import type { InterpretedSheet } from '../pipeline/outcome.ts';
import { decodeImage } from '../pipeline/preprocess.ts';
import { renderOverlay } from '../report/overlay.ts';
import { type CompareReport, type CountComparison, labelsOf } from './compare.ts';
import type { OurBatch, OurSheet } from './ours.ts';

export interface AuditHtmlOptions {
  /** at most this many sheets are drawn (the rest are listed without images) */
  maxImages: number;
  /** width of the embedded images */
  imageWidthPx?: number;
}

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Text or attribute value, escaped for HTML. */
export function esc(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] ?? c);
}

const fmt = (n: number | null) => (n === null ? '–' : String(n));
const fmtDiff = (n: number | null) => (n === null ? '–' : n > 0 ? `+${n}` : String(n));

const STYLE = `
body{font:14px/1.4 system-ui,-apple-system,"DejaVu Sans",sans-serif;margin:1.5em auto;max-width:1200px;padding:0 1em;color:#222}
h1{font-size:1.5em}h2{border-bottom:2px solid #ccc;padding-bottom:.2em;margin-top:2em}h3{margin:1.2em 0 .3em}
table{border-collapse:collapse;margin:.3em 0 1em}td,th{border:1px solid #ccc;padding:.2em .6em}th{background:#f3f3f3;text-align:left}
td.n{text-align:right;font-variant-numeric:tabular-nums}td.bad{background:#fde2e1;font-weight:bold}tr.count td{color:#555}
dl.summary{display:grid;grid-template-columns:max-content 1fr;gap:.2em 1em}dl.summary dt{font-weight:bold}
.ok{color:#0a7a2f;font-weight:bold}.no{color:#b00020;font-weight:bold}
li.discrepancy,li.review{margin:.6em 0;padding:.4em;border-left:4px solid #b00020;background:#fafafa}li.review{border-color:#ff8c00}
.kind{display:inline-block;font-family:monospace;background:#222;color:#fff;padding:0 .4em;border-radius:3px}
figure{display:inline-block;margin:.4em .4em 0 0}figcaption{font-size:.85em;color:#555}
img.ballot{max-width:100%;border:1px solid #999}.legend span{padding:0 .5em;font-weight:bold}
`;

function countRow(name: string, contestId: string, c: CountComparison): string {
  return `<tr class="count" data-contest="${esc(contestId)}" data-count="${esc(name)}"><td>${esc(name)}</td><td class="n">${fmt(c.ours)}</td><td class="n">${fmt(c.official)}</td><td class="n${c.difference ? ' bad' : ''}">${fmtDiff(c.difference)}</td></tr>`;
}

async function sheetFigures(sheet: OurSheet, widthPx: number): Promise<string> {
  const outcome = sheet.record.outcome;
  if (outcome.type !== 'interpreted') return '';
  const figures: string[] = [];
  for (const page of outcome.pages) {
    const path = sheet.paths[page.imageIndex];
    let caption = `${esc(sheet.record.sheetId)} ${esc(page.side)} — ${esc(sheet.record.imagePaths[page.imageIndex] ?? '')}`;
    try {
      if (!path) throw new Error('no image path recorded');
      // `page` counts from the file's first page (a batch TIFF holds many sheets)
      const d = await decodeImage(readFileSync(path), 1, page.page);
      if (d.type !== 'ok') throw new Error(d.detail);
      const image = d.pages[0];
      if (!image) throw new Error(`page ${page.page + 1} missing`);
      const png = await renderOverlay(image, outcome as InterpretedSheet, page.side, widthPx);
      const jpeg = await sharp(png).jpeg({ quality: 72 }).toBuffer();
      if (page.rotated180) caption += ' (scanned upside down)';
      figures.push(
        `<figure><img class="ballot" src="data:image/jpeg;base64,${jpeg.toString('base64')}" alt="${esc(`sheet ${sheet.record.sheetId} ${page.side}`)}" width="${widthPx}"><figcaption>${caption}</figcaption></figure>`,
      );
    } catch (error) {
      figures.push(
        `<p class="no">image of sheet ${esc(sheet.record.sheetId)} ${esc(page.side)} not available: ${esc((error as Error).message)}</p>`,
      );
    }
  }
  return `<div class="sheet" id="sheet-${esc(sheet.record.sheetId)}">${figures.join('')}</div>`;
}

export async function writeAuditHtml(
  r: CompareReport,
  batch: OurBatch,
  options: AuditHtmlOptions,
): Promise<string> {
  const widthPx = options.imageWidthPx ?? 760;
  const labels = labelsOf(batch.election);
  const sheets = new Map(batch.sheets.map((s) => [s.record.sheetId, s]));
  const drawn = new Set<string>();
  const figureFor = async (sheetId: string | undefined): Promise<string> => {
    if (!sheetId) return '';
    const sheet = sheets.get(sheetId);
    if (sheet?.record.outcome.type !== 'interpreted') return '';
    if (drawn.has(sheetId))
      return `<p><a href="#sheet-${esc(sheetId)}">images of sheet ${esc(sheetId)} above</a></p>`;
    if (drawn.size >= options.maxImages)
      return `<p>images of sheet ${esc(sheetId)} not drawn (--max-images ${options.maxImages})</p>`;
    drawn.add(sheetId);
    return sheetFigures(sheet, widthPx);
  };
  const titleOf = new Map(r.contests.map((c) => [c.contestId, c.title]));
  const name = (contestId: string | undefined, ids: readonly string[] | undefined) =>
    ids?.length ? ids.map((id) => labels.get(contestId ?? '')?.get(id) ?? id).join(', ') : 'no vote';
  const s = r.summary;
  const parts: string[] = [];
  parts.push(
    `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'"><meta name="viewport" content="width=device-width,initial-scale=1"><title>ballot-tally audit: ${esc(batch.manifest.election.title)}</title><style>${STYLE}</style></head><body>`,
    `<h1>Audit: ballot-tally against the official count</h1>`,
    `<section id="summary"><h2>Summary</h2><dl class="summary">`,
    `<dt>Election</dt><dd>${esc(batch.manifest.election.title)} (${esc(r.ours.electionId)}, definition sha256 <code>${esc(r.ours.electionSha256)}</code>)</dd>`,
    `<dt>Our count</dt><dd>${esc(r.ours.dir)}: inputs <span id="summary-inputs">${r.ours.sheets.inputs}</span> = recorded ${r.ours.sheets.recorded} + needing review ${r.ours.sheets.needsReview} + rejected ${r.ours.sheets.rejected}</dd>`,
    `<dt>Official</dt><dd>${esc(r.official.format)}: ${r.official.files.map((f) => `<code>${esc(f)}</code>`).join(', ')}${r.official.ballots === null ? '' : ` (${r.official.ballots} records)`}</dd>`,
    `<dt>Contests compared</dt><dd><span id="summary-compared">${s.contestsCompared}</span>, with differences <span id="summary-with-differences">${s.contestsWithDifferences}</span></dd>`,
    `<dt>Largest difference</dt><dd><span id="summary-largest">${s.largestDifference}</span></dd>`,
    `<dt>Ballot discrepancies</dt><dd><span id="summary-ballot-discrepancies">${s.ballotDiscrepancies}</span>${r.ballots ? ` (${r.ballots.matched} records matched by ${esc(r.options.matchBy)})` : ' (no per-ballot records)'}</dd>`,
    `<dt>Unmapped official votes</dt><dd><span id="summary-unmapped">${s.unmappedVotes}</span></dd>`,
    `<dt>Verdict</dt><dd class="${s.withinTolerance ? 'ok' : 'no'}" id="summary-verdict">${s.withinTolerance ? 'within' : 'beyond'} the tolerance of ${r.options.tolerance}</dd>`,
    `</dl></section>`,
  );

  parts.push(`<section id="contests"><h2>Per contest</h2>`);
  for (const c of r.contests) {
    parts.push(
      `<h3 id="contest-${esc(c.contestId)}">${esc(c.title)} <small>(${esc(c.contestId)}, vote for ${c.seats})</small></h3>`,
      c.compared
        ? `<p>Official: ${c.officialNames.map(esc).join(', ')}</p>`
        : '<p class="no">Not in the official data: not compared.</p>',
      `<table class="contest"><thead><tr><th>Choice</th><th>Ours</th><th>Official</th><th>Difference</th></tr></thead><tbody>`,
    );
    for (const o of c.options)
      parts.push(
        `<tr data-contest="${esc(c.contestId)}" data-option="${esc(o.optionId)}"><td>${esc(o.label)}</td><td class="n">${fmt(o.ours)}</td><td class="n">${fmt(o.official)}</td><td class="n${o.difference ? ' bad' : ''}">${fmtDiff(o.difference)}</td></tr>`,
      );
    parts.push(
      countRow('overvotes', c.contestId, c.overvotes),
      countRow('undervotes', c.contestId, c.undervotes),
      countRow('ballots', c.contestId, c.ballots),
      '</tbody></table>',
    );
  }
  parts.push('</section>');

  if (r.unmapped.length) {
    parts.push(
      `<section id="unmapped"><h2>Official choices not mapped to ours</h2><table><thead><tr><th>Contest</th><th>Choice</th><th>Votes</th><th>Why</th></tr></thead><tbody>`,
      ...r.unmapped.map(
        (u) =>
          `<tr><td>${esc(u.contest)}</td><td>${esc(u.option ?? '')}</td><td class="n">${u.votes}</td><td>${u.why === 'skipped' ? 'skipped by the mapping' : 'not in the mapping'}</td></tr>`,
      ),
      '</tbody></table></section>',
    );
  }

  const legend =
    '<p class="legend">Targets: <span style="color:#00a651">marked</span><span style="color:#ff8c00">marginal</span><span style="color:#1e64ff">unmarked</span>, each labelled with its fill score; timing marks circled in magenta.</p>';
  parts.push(`<section id="discrepancies"><h2>Ballot discrepancies</h2>`);
  if (!r.ballots)
    parts.push('<p>The official data has no per-ballot records: only contest totals were compared.</p>');
  else if (r.ballots.discrepancies.length === 0) parts.push('<p class="ok">None: every ballot agrees.</p>');
  else {
    parts.push(legend, '<ol>');
    for (const d of r.ballots.discrepancies) {
      const contest = d.contestId ? ` · ${esc(titleOf.get(d.contestId) ?? d.contestId)}` : '';
      const votes =
        d.ours || d.official
          ? `<br>ours: ${d.ours?.overvote ? `overvote (${esc(name(d.contestId, d.ours.marked))})` : esc(name(d.contestId, d.ours?.votes))} · official: ${d.official?.overvote ? 'overvote' : esc(name(d.contestId, d.official?.votes))}${d.marginal.length ? ` · marginal: ${d.marginal.map((m) => `${esc(name(d.contestId, [m.optionId]))} ${m.fill01.toFixed(3)}`).join(', ')}` : ''}`
          : '';
      parts.push(
        `<li class="discrepancy" data-kind="${esc(d.kind)}" data-sheet="${esc(d.sheetId ?? '')}" data-official="${esc(d.officialBallotId ?? '')}"><span class="kind">${esc(d.kind)}</span> sheet ${esc(d.sheetId ?? '–')} · official ${esc(d.officialBallotId ?? '–')}${d.officialSource ? ` (<code>${esc(d.officialSource)}</code>)` : ''}${contest}<br>${esc(d.detail)}${votes}${await figureFor(d.sheetId)}</li>`,
      );
    }
    parts.push('</ol>');
  }
  parts.push('</section>');

  parts.push(`<section id="review"><h2>Needs review (${r.reviewQueue.length})</h2>`);
  if (r.reviewQueue.length === 0) parts.push('<p class="ok">No sheet needs review.</p>');
  else {
    parts.push(legend, '<ol>');
    for (const q of r.reviewQueue)
      parts.push(
        `<li class="review" data-sheet="${esc(q.sheetId)}">sheet ${esc(q.sheetId)}<ul>${q.reasons.map((x) => `<li>${esc(x)}</li>`).join('')}</ul>${await figureFor(q.sheetId)}</li>`,
      );
    parts.push('</ol>');
  }
  parts.push('</section>');
  if (r.warnings.length)
    parts.push(
      `<section id="warnings"><h2>Warnings</h2><ul>${r.warnings.map((w) => `<li>${esc(w)}</li>`).join('')}</ul></section>`,
    );
  parts.push(
    `<footer><p>Written by ballot-tally from <code>${esc(r.ours.dir)}</code>.</p></footer></body></html>\n`,
  );
  return parts.join('\n');
}
