/** A one-line progress bar on stderr (only on a terminal, never under --json). */
import type { BatchProgress } from './run.ts';

export function progressLine(p: BatchProgress, width = 30): string {
  const frac = p.total ? p.done / p.total : 1;
  const filled = Math.round(frac * width);
  const rate = p.elapsedMs > 0 ? (p.doneThisRun * 1000) / p.elapsedMs : 0;
  const left = p.total - p.done;
  const eta = rate > 0 ? left / rate : 0;
  const etaText =
    rate > 0 ? `${Math.floor(eta / 60)}m${String(Math.round(eta % 60)).padStart(2, '0')}s` : '--';
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${p.done}/${p.total} sheets  ${rate.toFixed(1)} sheets/s  ETA ${etaText}`;
}

export function terminalProgress(stream: { write(s: string): unknown; isTTY?: boolean }, enabled: boolean) {
  let last = 0;
  return {
    update(p: BatchProgress) {
      if (!enabled || !stream.isTTY) return;
      const now = Date.now();
      if (now - last < 100 && p.done < p.total) return;
      last = now;
      stream.write(`\r${progressLine(p)}`);
    },
    end() {
      if (enabled && stream.isTTY) stream.write('\n');
    },
  };
}
