/**
 * What one voter does with one sheet: which options they choose in each contest (including blank
 * contests, undervotes, overvotes and write-ins) and what mark ends up at every target. Pure data; the
 * drawing happens in marks.ts.
 */
import { contestOptions, type Election, type Side, type Target } from '../../src/election/election.ts';
import type { MarkKind, Pen } from './marks.ts';
import type { IntendedKind, VoterProfile } from './profiles.ts';
import type { Rng } from './rng.ts';

export interface PlannedTarget {
  target: Target;
  side: Side;
  kind: MarkKind;
  /** Write a name in this write-in target's area. */
  writeInName: boolean;
}

export interface VoterForce {
  blank?: boolean;
  /** Overvote the first contest that has more options than seats. */
  overvote?: boolean;
  /** Fill a write-in (with a name) in the first contest that allows write-ins. */
  writeIn?: boolean;
}

export interface Plan {
  blank: boolean;
  targets: PlannedTarget[];
}

export function pickPen(profile: VoterProfile, rng: Rng): Pen {
  const tool = rng.weighted(profile.tools);
  if (tool === 'pencil')
    return {
      tool,
      radiusIn: rng.range(0.005, 0.009),
      darkness: rng.range(0.6, 0.82),
      texture: rng.range(0.25, 0.45),
    };
  if (tool === 'marker')
    return {
      tool,
      radiusIn: rng.range(0.011, 0.018),
      darkness: rng.range(0.86, 0.95),
      texture: rng.range(0.02, 0.08),
    };
  return {
    tool,
    radiusIn: rng.range(0.004, 0.008),
    darkness: rng.range(0.8, 0.93),
    texture: rng.range(0.03, 0.12),
  };
}

export function planVotes(
  election: Election,
  ballotStyleId: string,
  sheetNumber: number,
  profile: VoterProfile,
  rng: Rng,
  force: VoterForce = {},
): Plan {
  const sides: Side[] = ['front', 'back'];
  const all: PlannedTarget[] = [];
  for (const side of sides) {
    const layout = election.layouts.find(
      (l) => l.ballotStyleId === ballotStyleId && l.sheetNumber === sheetNumber && l.side === side,
    );
    for (const target of layout?.targets ?? []) all.push({ target, side, kind: 'none', writeInName: false });
  }
  const blank = force.blank ?? rng.chance(profile.blankSheet);
  if (blank) return { blank: true, targets: all };

  const habit = rng.weighted(profile.kinds);
  const kindFor = (): IntendedKind => (rng.chance(profile.consistency) ? habit : rng.weighted(profile.kinds));
  const contestIds = [...new Set(all.map((p) => p.target.contestId))];
  let overvoteForced = !force.overvote;
  let writeInForced = !force.writeIn;

  for (const contestId of contestIds) {
    const contest = election.contests.find((c) => c.id === contestId);
    if (!contest) continue;
    const seats = contest.type === 'candidate' ? contest.seats : 1;
    const here = all.filter((p) => p.target.contestId === contestId);
    const options = contestOptions(contest).filter((o) => here.some((p) => p.target.optionId === o.id));
    const candidates = options.filter((o) => !o.isWriteIn);
    const writeIns = options.filter((o) => o.isWriteIn);

    let n: number;
    const canOvervote = options.length > seats;
    if (!overvoteForced && canOvervote) {
      n = seats + 1;
      overvoteForced = true;
    } else if (rng.chance(profile.skipContest)) n = 0;
    else if (canOvervote && rng.chance(profile.overvote)) n = seats + 1;
    else if (seats > 1 && rng.chance(profile.undervote)) n = rng.int(1, seats - 1);
    else n = seats;
    const wantWriteIn = !writeInForced && writeIns.length > 0;
    if (wantWriteIn && n === 0) n = 1;
    n = Math.min(n, options.length);

    const chosen: string[] = [];
    const pool = rng.shuffle(candidates.map((o) => o.id));
    const writeInPool = writeIns.map((o) => o.id);
    for (let i = 0; i < n; i++) {
      const useWriteIn =
        writeInPool.length > 0 &&
        ((wantWriteIn && i === 0) || rng.chance(profile.writeIn) || pool.length === 0);
      const id = useWriteIn ? writeInPool.shift() : pool.shift();
      if (id) chosen.push(id);
    }
    if (wantWriteIn) writeInForced = true;

    for (const optionId of chosen) {
      const targets = here.filter((p) => p.target.optionId === optionId);
      const marks =
        targets.length > 1 && rng.chance(profile.bothEndorsements) ? targets : [rng.pick(targets)];
      const kind = kindFor();
      for (const p of marks) {
        p.kind = kind;
        if (p.target.type === 'write-in') {
          p.writeInName = true;
          if (!force.writeIn && rng.chance(profile.writeInNameOnly)) p.kind = 'none';
        }
      }
    }
    for (const p of here) {
      if (chosen.includes(p.target.optionId)) continue;
      const r = rng.next();
      const t1 = profile.hesitationDot;
      const t2 = t1 + profile.erasure;
      const t3 = t2 + profile.stray;
      p.kind = r < t1 ? 'hesitation-dot' : r < t2 ? 'erasure' : r < t3 ? 'stray' : 'none';
    }
  }
  return { blank: false, targets: all };
}
