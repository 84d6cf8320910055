/**
 * Where the review thresholds come from: every target's measures on a generated corpus, joined with the
 * generator's truth, and for each measure the blanks' largest readings against the marks it is meant to
 * catch. The numbers in calibration/README.md (write-in ink, ink round the oval) are rerun with it.
 *
 *   npx tsx bench/target-measures.ts [--profile realistic|hard] [--sheets N] [--first K] [--out FILE.jsonl]
 *
 * The corpus is bench/accuracy.ts's (`--sheets` names it: 20000 by default, generated once if not cached);
 * the first K sheets (3000 by default) are interpreted on one thread. `--out` writes one line per target.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PROFILE_NAMES, type ProfileName } from '../samples/generator/profiles.ts';
import { loadCalibration, reviewThresholds } from '../src/election/calibration.ts';
import { importVxf } from '../src/election/vxf.ts';
import { interpretSheet, type SheetPage } from '../src/pipeline/interpret.ts';
import { decodeImage } from '../src/pipeline/preprocess.ts';
import { ELECTION_PATH, ensureCorpus } from './accuracy.ts';
import { flaggedByReasons } from './accuracy-lib.ts';

/** One target of the corpus: its truth and what we measured. */
interface Row {
  sheetId: string;
  format: string;
  dpi: number;
  side: string;
  column: number;
  row: number;
  kind: string;
  writeInName: boolean;
  ambiguous: boolean;
  visible: boolean;
  status: string;
  flagged: boolean;
  /** The truth's drawn darkening and coverage of the interior (before the scan). */
  darkness01: number;
  coverage01: number;
  fill01: number;
  inkSpread01?: number;
  writeInInk01?: number;
  surround01?: number;
  edgeInk01?: number;
  edgeInward01?: number;
  residue01?: number;
  spot01?: number;
}

function parseArgs(argv: readonly string[]) {
  const o = {
    profile: 'realistic' as ProfileName,
    sheets: 20000,
    first: 3000,
    out: undefined as string | undefined,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const v = argv[i + 1];
    if (a === '--profile' && (PROFILE_NAMES as readonly string[]).includes(v ?? ''))
      o.profile = v as ProfileName;
    else if (a === '--sheets' && Number(v) > 0) o.sheets = Number(v);
    else if (a === '--first' && Number(v) > 0) o.first = Number(v);
    else if (a === '--out' && v) o.out = v;
    else
      throw new Error(
        `Expected --profile ${PROFILE_NAMES.join('|')}, --sheets N, --first K or --out FILE, but received "${a ?? ''}"`,
      );
    i++;
  }
  return o;
}

/** The largest few readings of a list, and how many are at or above a threshold. */
function tail(values: number[], threshold: number): string {
  const sorted = [...values].sort((a, b) => b - a);
  const p999 = sorted[Math.floor(sorted.length / 1000)] ?? 0;
  return `n ${values.length}, largest ${(sorted[0] ?? 0).toFixed(3)}, p99.9 ${p999.toFixed(3)}, at or above ${threshold}: ${sorted.filter((v) => v >= threshold).length}`;
}

function head(values: number[], threshold: number): string {
  const sorted = [...values].sort((a, b) => a - b);
  return `n ${values.length}, smallest ${(sorted[0] ?? 0).toFixed(3)}, under ${threshold}: ${sorted.filter((v) => v < threshold).length}`;
}

/** The visible ambiguous targets of a kind: how many are flagged, and what the unflagged ones read. */
function missed(rows: readonly Row[], kind: string, measure: (r: Row) => number | undefined): string {
  const all = rows.filter((r) => r.kind === kind && r.ambiguous && r.visible);
  const unflagged = all.filter((r) => !r.flagged);
  const readings = unflagged.map((r) => (measure(r) ?? 0).toFixed(3)).join(', ');
  return `${all.length - unflagged.length} of ${all.length} flagged${unflagged.length ? `; the others read ${readings}` : ''}`;
}

async function main(argv: readonly string[]): Promise<void> {
  const o = parseArgs(argv);
  const imported = importVxf(readFileSync(ELECTION_PATH));
  if (!imported.ok) throw new Error(imported.errors.join('; '));
  const { election } = imported.value;
  const calibration = loadCalibration('default');
  if (!calibration.ok) throw new Error('the default calibration does not load');
  const { thresholds } = calibration.value;
  const { dir, truths } = await ensureCorpus({ profile: o.profile, sheets: o.sheets, seed: 1, workers: 2 });
  const rows: Row[] = [];
  for (const truth of truths.slice(0, o.first)) {
    const pages: SheetPage[] = [];
    const files = [...new Set(truth.images.map((i) => i.file))];
    for (const [imageIndex, file] of files.entries()) {
      const d = await decodeImage(readFileSync(join(dir, file)));
      if (d.type === 'ok') pages.push(...d.pages.map((p, page) => ({ ...p, imageIndex, page })));
    }
    const outcome = interpretSheet(pages, election, calibration.value);
    if (outcome.type !== 'interpreted') continue;
    const flagged = flaggedByReasons(outcome);
    for (const t of truth.targets) {
      const ours = outcome.targets.find(
        (x) =>
          x.side === t.side &&
          x.column === t.column &&
          x.row === t.row &&
          x.contestId === t.contestId &&
          x.optionId === t.optionId,
      );
      if (!ours) continue;
      rows.push({
        sheetId: truth.sheetId,
        format: truth.format,
        dpi: truth.dpi,
        side: t.side,
        column: t.column,
        row: t.row,
        kind: t.kind,
        writeInName: t.writeInName,
        ambiguous: t.ambiguous,
        visible: t.visibleInScan !== false,
        status: ours.status,
        flagged: ours.status === 'marginal' || flagged(t),
        darkness01: t.darkness01,
        coverage01: t.coverage01,
        fill01: ours.fill01,
        inkSpread01: ours.inkSpread01,
        writeInInk01: ours.writeInInk01,
        surround01: ours.surround01,
        edgeInk01: ours.edgeInk01,
        edgeInward01: ours.edgeInward01,
        residue01: ours.residue01,
        spot01: ours.spot01,
      });
    }
  }
  if (o.out) writeFileSync(o.out, `${rows.map((r) => JSON.stringify(r)).join('\n')}\n`);

  const sheets = new Set(rows.map((r) => r.sheetId)).size;
  // unmarked by their fill alone: the review measures below are what may still send them to a person
  // (their final status is marginal then, so it cannot be what picks them)
  const unmarked = rows.filter((r) => r.fill01 < thresholds.marginal && r.visible);
  const clearEmpty = unmarked.filter((r) => !r.ambiguous);
  const writeIns = rows.filter((r) => r.writeInInk01 !== undefined && r.visible);
  const emptyAreas = writeIns
    .filter((r) => !r.writeInName && r.kind === 'none')
    .map((r) => r.writeInInk01 ?? 0);
  const namesBesideEmpty = writeIns
    .filter((r) => r.writeInName && r.kind === 'none')
    .map((r) => r.writeInInk01 ?? 0);
  const surround = (rs: Row[]) => rs.flatMap((r) => (r.surround01 !== undefined ? [r.surround01] : []));
  const edge = (rs: Row[]) => rs.flatMap((r) => (r.edgeInk01 !== undefined ? [r.edgeInk01] : []));
  const { surround: surroundT, edgeInk: edgeT } = reviewThresholds(calibration.value);
  console.log(`${o.profile} corpus ${dir}, first ${sheets} sheets interpreted, ${rows.length} targets`);
  console.log(`write-in ink (threshold ${thresholds.writeInInk}):`);
  console.log(`  empty areas beside an empty oval: ${tail(emptyAreas, thresholds.writeInInk)}`);
  console.log(`  names beside an empty oval:       ${head(namesBesideEmpty, thresholds.writeInInk)}`);
  console.log(`ink round the oval (threshold ${surroundT}), targets unmarked by their fill:`);
  console.log(`  clear (blanks, stray marks, erasures, dots): ${tail(surround(clearEmpty), surroundT)}`);
  console.log(`  circles: ${missed(rows, 'circle', (r) => r.surround01)}`);
  console.log(`ink on the outline (threshold ${edgeT}), targets unmarked by their fill:`);
  console.log(`  clear blanks: ${tail(edge(clearEmpty.filter((r) => r.kind === 'none')), edgeT)}`);
  console.log(`  hesitation dots: ${missed(rows, 'hesitation-dot', (r) => r.edgeInk01)}`);
  const blankEdges = edge(clearEmpty.filter((r) => r.kind === 'none'));
  console.log(
    `  clear blanks at or above ${[0.008, 0.01].map((t) => `${t}: ${blankEdges.filter((v) => v >= t).length}`).join(', ')}`,
  );
  const { edgeInward: inwardT } = reviewThresholds(calibration.value);
  const inward = (rs: Row[]) => rs.flatMap((r) => (r.edgeInward01 !== undefined ? [r.edgeInward01] : []));
  // what else sends a blank to a person: a fill over the marginal one, or the whole strip's ink
  const otherwiseClear = clearEmpty.filter((r) => r.kind === 'none' && (r.edgeInk01 ?? 0) < edgeT);
  console.log(`ink on the outline's inner side (threshold ${inwardT}), targets unmarked by their fill:`);
  console.log(`  clear blanks: ${tail(inward(clearEmpty.filter((r) => r.kind === 'none')), inwardT)}`);
  console.log(`  clear blanks under the whole strip's threshold: ${tail(inward(otherwiseClear), inwardT)}`);
  console.log(`  hesitation dots: ${missed(rows, 'hesitation-dot', (r) => r.edgeInward01)}`);
  const { spot: spotT } = reviewThresholds(calibration.value);
  const spots = (rs: Row[]) => rs.flatMap((r) => (r.spot01 !== undefined ? [r.spot01] : []));
  console.log(`ink spot (threshold ${spotT}), targets unmarked by their fill:`);
  console.log(`  clear blanks: ${tail(spots(clearEmpty.filter((r) => r.kind === 'none')), spotT)}`);
  console.log(`  hesitation dots: ${missed(rows, 'hesitation-dot', (r) => r.spot01)}`);
  const { residue: residueT } = reviewThresholds(calibration.value);
  const residue = (rs: Row[]) => rs.flatMap((r) => (r.residue01 !== undefined ? [r.residue01] : []));
  console.log(`faint residue (threshold ${residueT}), targets unmarked by their fill:`);
  console.log(
    `  clear erasures (too faint to be ambiguous): ${tail(residue(clearEmpty.filter((r) => r.kind === 'erasure')), residueT)}`,
  );
  console.log(`  erasures: ${missed(rows, 'erasure', (r) => r.residue01)}`);
  const { lightFill, lightTone } = reviewThresholds(calibration.value);
  const { definite } = thresholds;
  const inBand = (r: Row) => r.fill01 >= definite && r.fill01 < lightFill;
  console.log(
    `light even shading (marked from fill ${definite}, but marginal under ${lightFill} where residue is ${lightTone} or more):`,
  );
  console.log(
    `  pen marks (check, x, slash, fills) with fill in that band, their residue: ${tail(
      residue(
        rows.filter(
          (r) => inBand(r) && ['check', 'x', 'slash', 'full-fill', 'partial-fill'].includes(r.kind),
        ),
      ),
      lightTone,
    )}`,
  );
  console.log(
    `  clear light pencil with fill in that band, their residue: ${head(
      residue(rows.filter((r) => inBand(r) && r.kind === 'light-pencil' && !r.ambiguous)),
      lightTone,
    )}`,
  );
  const lightAmbiguous = rows.filter((r) => r.kind === 'light-pencil' && r.ambiguous && r.visible);
  console.log(
    `  ambiguous light pencil: largest fill ${Math.max(0, ...lightAmbiguous.map((r) => r.fill01)).toFixed(3)}; ${missed(rows, 'light-pencil', (r) => r.fill01)}`,
  );
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main(process.argv.slice(2));
