import { describe, expect, it } from 'vitest';
import { CvError, clipRect, cvErrorMessage, findDarkBlobs, getCv, withMats } from '../src/cv/index.ts';
import type { GrayImage } from '../src/image.ts';

function page(widthPx: number, heightPx: number, rects: [number, number, number, number][]): GrayImage {
  const data = new Uint8Array(widthPx * heightPx).fill(250);
  for (const [x, y, w, h] of rects) {
    for (let yy = y; yy < y + h; yy++) data.fill(10, yy * widthPx + x, yy * widthPx + x + w);
  }
  return { widthPx, heightPx, data };
}

describe('opencv runtime', () => {
  it('loads synchronously and is not a thenable', async () => {
    const cv = getCv();
    expect(typeof cv.Mat).toBe('function');
    expect('then' in cv).toBe(false);
    // awaiting it must not hang
    const same = await Promise.resolve(cv);
    expect(same).toBe(cv);
    expect(getCv()).toBe(cv);
  });

  it('does not leave process-wide abort handlers behind', () => {
    getCv();
    expect(process.listeners('unhandledRejection').some((l) => String(l).includes('abort'))).toBe(false);
  });

  it('withMats deletes every tracked Mat, also when fn throws', () => {
    const cv = getCv();
    let kept: { isDeleted(): boolean }[] = [];
    const rows = withMats((_cv, scope) => {
      const a = scope.mat(10, 20, cv.CV_8UC1);
      const b = scope.mat();
      kept = [a, b];
      return a.rows;
    });
    expect(rows).toBe(10);
    expect(kept.every((m) => m.isDeleted())).toBe(true);
    expect(() =>
      withMats((_cv, scope) => {
        kept = [scope.mat(5, 5, cv.CV_8UC1)];
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(kept.every((m) => m.isDeleted())).toBe(true);
  });

  it('translates OpenCV exceptions (numbers) into readable CvError messages', () => {
    const cv = getCv();
    let caught: unknown;
    try {
      withMats((_cv, scope) => {
        const m = scope.mat(10, 10, cv.CV_8UC1);
        scope.track(m.roi(new cv.Rect(5, 5, 20, 20))); // out of range: OpenCV throws a pointer
      });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(CvError);
    expect((caught as Error).message).toMatch(/roi|Exception|OpenCV/i);
    expect(cvErrorMessage(new Error('plain'))).toBe('plain');
  });
});

describe('findDarkBlobs', () => {
  it('returns plain blobs with boxes, areas and centroids in image coordinates', () => {
    const image = page(300, 200, [
      [10, 20, 37, 12],
      [100, 150, 20, 20],
    ]);
    const { blobs, thresholdUsed } = findDarkBlobs(
      image,
      { xPx: 0, yPx: 0, widthPx: 300, heightPx: 200 },
      { threshold: 128 },
    );
    expect(thresholdUsed).toBe(128);
    expect(blobs).toHaveLength(2);
    const mark = blobs.find((b) => b.widthPx === 37);
    expect(mark).toMatchObject({ xPx: 10, yPx: 20, widthPx: 37, heightPx: 12, areaPx: 444 });
    expect(mark?.centerXPx).toBeCloseTo(28, 5);
    expect(mark?.centerYPx).toBeCloseTo(25.5, 5);
    expect(JSON.parse(JSON.stringify(blobs))).toEqual(blobs);
  });

  it('labels only the requested rectangle and offsets results to whole-image coordinates', () => {
    const image = page(300, 200, [
      [10, 20, 37, 12],
      [200, 150, 20, 20],
    ]);
    const { blobs } = findDarkBlobs(
      image,
      { xPx: 150, yPx: 100, widthPx: 150, heightPx: 100 },
      { threshold: 'otsu' },
    );
    expect(blobs).toHaveLength(1);
    expect(blobs[0]).toMatchObject({ xPx: 200, yPx: 150, widthPx: 20, heightPx: 20, areaPx: 400 });
  });

  it('an opening removes thin streaks but keeps marks', () => {
    const image = page(300, 200, [
      [10, 20, 37, 12],
      [100, 0, 2, 200],
    ]);
    const rect = { xPx: 0, yPx: 0, widthPx: 300, heightPx: 200 };
    expect(findDarkBlobs(image, rect, { threshold: 128 }).blobs).toHaveLength(2);
    const opened = findDarkBlobs(image, rect, {
      threshold: 128,
      openKernel: { widthPx: 5, heightPx: 3 },
    }).blobs;
    expect(opened).toHaveLength(1);
    expect(opened[0]).toMatchObject({ widthPx: 37, heightPx: 12 });
  });

  it('clips rectangles to the image and returns nothing for an empty one', () => {
    const image = page(50, 40, [[0, 0, 10, 10]]);
    expect(clipRect(image, { xPx: -5, yPx: 30, widthPx: 100, heightPx: 100 })).toEqual({
      xPx: 0,
      yPx: 30,
      widthPx: 50,
      heightPx: 10,
    });
    expect(
      findDarkBlobs(image, { xPx: 60, yPx: 0, widthPx: 10, heightPx: 10 }, { threshold: 128 }).blobs,
    ).toEqual([]);
  });

  it('does not leak heap across many calls', () => {
    const image = page(1700, 600, [[10, 20, 37, 12]]);
    const rect = { xPx: 0, yPx: 0, widthPx: 1700, heightPx: 600 };
    const heap = () => (getCv() as unknown as { HEAP8: Int8Array }).HEAP8.buffer.byteLength;
    findDarkBlobs(image, rect, { threshold: 'otsu' });
    const before = heap();
    // ~6 MB of Mats per call: a leak would grow the heap by ~1 GB here
    for (let i = 0; i < 150; i++) findDarkBlobs(image, rect, { threshold: 'otsu' });
    expect(heap()).toBe(before);
    expect(findDarkBlobs(image, rect, { threshold: 128 }).blobs).toHaveLength(1);
  });
});
