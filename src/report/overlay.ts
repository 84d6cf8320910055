/**
 * Overlay: the scanned page with the fitted timing marks and every target outlined in a colour by
 * status and labelled with its fill score (and with what was taken out of it before it was read: a scanner
 * streak, a line across the page), and every write-in area dashed with its ink, as PNG, for people to look
 * at.
 */
import sharp from 'sharp';
import type { GrayImage } from '../image.ts';
import type { InterpretedSheet, MarkStatus } from '../pipeline/outcome.ts';

const COLOURS: Record<MarkStatus, string> = { marked: '#00a651', marginal: '#ff8c00', unmarked: '#1e64ff' };

export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** SVG drawing of one side's evidence, in the image's pixel coordinates. */
export function overlaySvg(
  sheet: InterpretedSheet,
  side: 'front' | 'back',
  widthPx: number,
  heightPx: number,
): string {
  const page = sheet.pages.find((p) => p.side === side);
  const parts: string[] = [];
  const font = Math.max(10, Math.round(widthPx / 110));
  if (page) {
    const marks = [
      ...page.timingMarksPx.left,
      ...page.timingMarksPx.right,
      ...page.timingMarksPx.top,
      ...page.timingMarksPx.bottom,
    ];
    for (const m of marks)
      parts.push(
        `<circle cx="${m.xPx}" cy="${m.yPx}" r="${font * 0.35}" fill="none" stroke="#e6007e" stroke-width="2"/>`,
      );
    const rows = page.timingMarksPx.left.map((l, i) => [l, page.timingMarksPx.right[i]] as const);
    for (const [l, r] of rows)
      if (r)
        parts.push(
          `<line x1="${l.xPx}" y1="${l.yPx}" x2="${r.xPx}" y2="${r.yPx}" stroke="#e6007e" stroke-opacity="0.12" stroke-width="1"/>`,
        );
  }
  for (const t of sheet.targets) {
    if (t.side !== side || !t.writeInAreaPx || t.writeInInk01 === undefined) continue;
    // the write-in area, dashed: in the marginal colour when its ink sent the sheet to review
    const a = t.writeInAreaPx;
    const cos = Math.cos(a.angleRad);
    const sin = Math.sin(a.angleRad);
    const corners = [
      [0, 0],
      [a.widthPx, 0],
      [a.widthPx, a.heightPx],
      [0, a.heightPx],
    ].map(([u = 0, v = 0]) => `${a.corner.xPx + u * cos - v * sin},${a.corner.yPx + u * sin + v * cos}`);
    const flagged = sheet.reasons.some(
      (r) => r.type === 'unmarked-write-in' && r.contestId === t.contestId && r.optionId === t.optionId,
    );
    const colour = flagged ? COLOURS.marginal : '#808080';
    parts.push(
      `<polygon points="${corners.join(' ')}" fill="none" stroke="${colour}" stroke-width="2" stroke-dasharray="8 5"/>`,
      `<text x="${a.corner.xPx + 4}" y="${a.corner.yPx + a.heightPx - 4}" font-family="DejaVu Sans, sans-serif" font-size="${Math.round(font * 0.8)}" fill="${colour}">ink ${t.writeInInk01.toFixed(3)}</text>`,
    );
  }
  for (const t of sheet.targets) {
    if (t.side !== side) continue;
    const colour = COLOURS[t.status];
    parts.push(
      `<ellipse cx="${t.centrePx.xPx}" cy="${t.centrePx.yPx}" rx="${t.halfWidthPx + 3}" ry="${t.halfHeightPx + 3}" fill="none" stroke="${colour}" stroke-width="3"/>`,
      `<text x="${t.centrePx.xPx + t.halfWidthPx + 5}" y="${t.centrePx.yPx - t.halfHeightPx - 2}" font-family="DejaVu Sans, sans-serif" font-size="${font}" font-weight="bold" fill="${colour}">${t.fill01.toFixed(2)}</text>`,
    );
    // what was taken out of the oval before it was read, for a person checking the reading against the scan
    const out = [t.streak ? 'streak' : '', t.pageLine ? 'line' : ''].filter((w) => w !== '').join(', ');
    if (out)
      parts.push(
        `<text x="${t.centrePx.xPx}" y="${t.centrePx.yPx + t.halfHeightPx + font}" text-anchor="middle" font-family="DejaVu Sans, sans-serif" font-size="${Math.round(font * 0.7)}" fill="#e6007e">${out} taken out</text>`,
      );
  }
  const label = `${escapeXml(sheet.ballotStyleId)} sheet ${sheet.sheetNumber} ${side}${page?.rotated180 ? ' (scanned upside down)' : ''}`;
  parts.push(
    `<text x="${font}" y="${heightPx - font}" font-family="DejaVu Sans, sans-serif" font-size="${font * 1.4}" fill="#e6007e">${label}</text>`,
  );
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${widthPx}" height="${heightPx}">${parts.join('')}</svg>`;
}

/** PNG bytes of one side's overlay, optionally scaled down to `maxWidthPx`. */
export async function renderOverlay(
  image: GrayImage,
  sheet: InterpretedSheet,
  side: 'front' | 'back',
  maxWidthPx = 1700,
): Promise<Buffer> {
  const svg = overlaySvg(sheet, side, image.widthPx, image.heightPx);
  const composed = await sharp(Buffer.from(image.data), {
    raw: { width: image.widthPx, height: image.heightPx, channels: 1 },
  })
    .toColourspace('srgb')
    .composite([{ input: Buffer.from(svg), top: 0, left: 0 }])
    .png()
    .toBuffer();
  if (image.widthPx <= maxWidthPx) return composed;
  return sharp(composed).resize({ width: maxWidthPx }).png().toBuffer();
}
