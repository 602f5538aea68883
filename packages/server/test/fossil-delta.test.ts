import { applyDelta, createDelta } from 'fossil-delta';
import { describe, expect, it } from 'vitest';
import { PAIR_KINDS, packagePair } from '../../../bench/mini-program-packages.mjs';
import { encodeBounded, rebuildsExactly } from '../src/modules/patches/fossil-delta.js';

describe('the bounded fossil-delta encoder', () => {
  it.each(PAIR_KINDS)('%s: writes exactly the bytes of the reference library, which rebuilds the package', async (kind) => {
    const { from, to } = await packagePair(kind, 9, 300_000);
    const a = new Uint8Array(from);
    const b = new Uint8Array(to);
    const reference = createDelta(a, b);
    const ours = encodeBounded(a, b, reference.length + 100)!;
    expect(Buffer.from(ours).equals(Buffer.from(reference))).toBe(true);
    expect(Buffer.from(applyDelta(a, ours)).equals(to)).toBe(true);
    expect(rebuildsExactly(a, ours, b)).toBe(true);
  });

  it('stops, giving nothing, as soon as the patch cannot fit its bound', async () => {
    const { from, to } = await packagePair('assets-recompressed', 9, 300_000);
    expect(encodeBounded(new Uint8Array(from), new Uint8Array(to), Math.ceil(to.length / 2) - 1)).toBeUndefined();
    const small = await packagePair('one-file-changed', 9, 300_000);
    const exact = createDelta(new Uint8Array(small.from), new Uint8Array(small.to)).length;
    expect(encodeBounded(new Uint8Array(small.from), new Uint8Array(small.to), exact - 1)).toBeUndefined();
    expect(encodeBounded(new Uint8Array(small.from), new Uint8Array(small.to), exact)?.length).toBe(exact);
  });

  it('handles a tiny source and empty packages like the library', () => {
    for (const [s, t] of [
      [Buffer.from('abc'), Buffer.from('abcdefghijklmnopqrstuvwxyz0123456789')],
      [Buffer.alloc(0), Buffer.alloc(0)],
      [Buffer.alloc(100, 7), Buffer.alloc(0)],
    ]) {
      const ours = encodeBounded(new Uint8Array(s), new Uint8Array(t), 1000)!;
      expect(Buffer.from(ours).equals(Buffer.from(createDelta(new Uint8Array(s), new Uint8Array(t))))).toBe(true);
      expect(rebuildsExactly(new Uint8Array(s), ours, new Uint8Array(t))).toBe(true);
    }
  });

  it('finds a patch that does not rebuild the package: a flipped byte, a cut, another target', async () => {
    const { from, to } = await packagePair('one-file-changed', 9, 300_000);
    const a = new Uint8Array(from);
    const b = new Uint8Array(to);
    const patch = encodeBounded(a, b, to.length)!;
    const flipped = patch.slice();
    flipped[Math.floor(flipped.length / 2)] ^= 1;
    expect(rebuildsExactly(a, flipped, b)).toBe(false);
    expect(rebuildsExactly(a, patch.subarray(0, patch.length - 5), b)).toBe(false);
    const other = b.slice();
    other[1000] ^= 1;
    expect(rebuildsExactly(a, patch, other)).toBe(false);
  });
});
