/**
 * The analysis as text for people, and as a calibration profile (pure).
 */
import type { Calibration } from '../election/calibration.ts';
import type { AccuracyCounts, CalibrationAnalysis, Margin } from './analyze.ts';

const f3 = (x: number) => (Number.isFinite(x) ? x.toFixed(3) : String(x));
const signed = (x: number) => (x >= 0 ? `+${f3(x)}` : f3(x));
const pct = (x: number) => `${(x * 100).toFixed(2)} %`;

/** Distance from a threshold to both populations: positive = the population is clear of it. */
function marginText(m: Margin): string {
  return `empties ${signed(m.fromEmptyEdge)} (p99.9) / ${signed(m.fromEmptyMax)} (max) below it; marks ${signed(m.toMarkedEdge)} (p0.1) / ${signed(m.toMarkedMin)} (min) above it`;
}

function accuracyText(name: string, a: AccuracyCounts): string {
  return [
    `  ${name}: accuracy ${pct(a.accuracy01)} of clear targets, ${pct(a.flagged01)} flagged for review`,
    `    clear marks   ${a.clearMarks.n}: marked ${a.clearMarks.marked}, marginal ${a.clearMarks.marginal}, lost ${a.clearMarks.lost}`,
    `    clear empties ${a.clearEmpties.n}: unmarked ${a.clearEmpties.unmarked}, marginal ${a.clearEmpties.marginal}, marked ${a.clearEmpties.falseMarks}`,
    `    ambiguous     ${a.ambiguous.n}: marked ${a.ambiguous.marked}, marginal ${a.ambiguous.marginal}, unmarked ${a.ambiguous.unmarked}`,
    `    write-ins: ${a.writeIns.nameFlaggedOrMarked} of ${a.writeIns.withName} names seen; ${a.writeIns.falselyFlagged} of ${a.writeIns.withoutName} empty unmarked areas flagged`,
  ].join('\n');
}

export function analysisText(a: CalibrationAnalysis): string {
  const { fill, writeInInk: ink } = a;
  const s = fill.separation;
  const lines = [
    `${a.targets} targets on ${a.sheets} sheets; populations by ${fill.split.method === 'truth' ? 'truth (test deck)' : `${fill.split.method} split at ${f3(fill.split.at ?? Number.NaN)}`}`,
    `  empty:  n ${fill.empty.n}, mean ${f3(fill.empty.mean)}, sd ${f3(fill.empty.sd)}, p99 ${f3(fill.empty.p99)}, p99.9 ${f3(fill.empty.p999)}, max ${f3(fill.empty.max)}`,
    `  marked: n ${fill.marked.n}, mean ${f3(fill.marked.mean)}, sd ${f3(fill.marked.sd)}, min ${f3(fill.marked.min)}, p0.1 ${f3(fill.marked.p001)}, p1 ${f3(fill.marked.p01)}`,
    `  left out (${fill.split.method === 'truth' ? 'ambiguous' : 'in the valley'}): ${fill.split.between}`,
    `  separation: gap ${signed(s.gap)} (smallest mark − largest empty), bulk gap ${signed(s.bulkGap)} (p0.1 of marks − p99.9 of empties), overlap ${pct(s.overlap01)}, d′ ${f3(s.dPrime)}`,
    fill.ok ? '' : `  NOTE: ${fill.reason}`,
    'Recommended thresholds:',
    `  marginal   ${f3(a.recommended.marginal)} (was ${f3(a.current.marginal)}): ${marginText(fill.margins.marginal)}`,
    `  definite   ${f3(a.recommended.definite)} (was ${f3(a.current.definite)}): ${marginText(fill.margins.definite)}`,
    `  review band [marginal, definite) holds ${fill.inReviewBand.empty} ${a.supervised ? 'clear ' : ''}empties and ${fill.inReviewBand.marked} ${a.supervised ? 'clear ' : ''}marks`,
    fill.buriedMarks
      ? `  ${fill.buriedMarks} marks score no higher than the empties' p99.9 (${f3(s.emptyEdge)}): no threshold catches them without flagging the empties`
      : '',
    `  writeInInk ${f3(a.recommended.writeInInk)} (was ${f3(a.current.writeInInk)}): ${ink.ok ? `no ink n ${ink.noInk.n} (p99.9 ${f3(ink.separation.emptyEdge)}), ink n ${ink.ink.n} (p0.1 ${f3(ink.separation.markedEdge)}); ${marginText(ink.margin)}` : (ink.reason ?? '')}`,
    `  outsideInk ${f3(a.recommended.outsideInk)} (kept from the starting profile)`,
  ].filter((l) => l !== '');
  if (a.accuracy) {
    lines.push('Per-target accuracy on the test deck:');
    lines.push(accuracyText('recommended', a.accuracy.recommended));
    lines.push(accuracyText('current    ', a.accuracy.current));
  }
  return `${lines.join('\n')}\n`;
}

/** One paragraph of numbers for a profile's description. */
export function analysisSummary(a: CalibrationAnalysis): string {
  const { fill } = a;
  const m = fill.margins;
  return (
    `${a.targets} targets on ${a.sheets} sheets (${fill.split.method === 'truth' ? 'populations by truth' : `${fill.split.method} split`}): ` +
    `empty n ${fill.empty.n} p99.9 ${f3(fill.separation.emptyEdge)} max ${f3(fill.separation.emptyMax)}; ` +
    `marked n ${fill.marked.n} p0.1 ${f3(fill.separation.markedEdge)} min ${f3(fill.separation.markedMin)}; ` +
    `gap ${signed(fill.separation.gap)}, bulk gap ${signed(fill.separation.bulkGap)}, d′ ${f3(fill.separation.dPrime)}; ` +
    `margins: marginal ${signed(m.marginal.fromEmptyEdge)} above the empties' p99.9 and ${signed(m.marginal.toMarkedMin)} below the smallest mark; definite ${signed(m.definite.fromEmptyMax)} above the largest empty and ${signed(m.definite.toMarkedEdge)} below the marks' p0.1.`
  );
}

export function profileFrom(
  a: CalibrationAnalysis,
  meta: { name: string; description?: string; command: string; data: string; date: string },
): Calibration {
  return {
    schemaVersion: 1,
    name: meta.name,
    description:
      meta.description ??
      `Thresholds fitted by \`ballot-tally calibrate\` on ${a.sheets} sheets (${a.targets} targets); data and numbers in the provenance.`,
    thresholds: { ...a.recommended },
    provenance: `${meta.date}: ${meta.command} — data: ${meta.data}. ${analysisSummary(a)}`,
  };
}
