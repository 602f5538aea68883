import fc from 'fast-check';
import { applyDelta, createDelta } from 'fossil-delta';
import { describe, expect, it } from 'vitest';
import { applyPatch, PatchError, readPatchHeader } from '../../client/src/patch.js';
import { PAIR_KINDS, packagePair } from '../../../bench/mini-program-packages.mjs';
import { encodeChunked, rebuildsExactly } from '../src/modules/patches/chunked-delta.js';
import { makeDelta, patchChunkBytes } from '../src/modules/patches/delta-worker.js';

/** A patch as the worker makes it (no bound but the package), trimmed to its length. */
function encode(from: Uint8Array, to: Uint8Array, chunkSize: number, maxBytes = to.length + 64 * (to.length / chunkSize + 2)) {
  const made = encodeChunked(from, to, maxBytes, chunkSize, createDelta);
  return made?.buffer.subarray(0, made.length);
}

/** A hand-made patch: the header fields, then length-prefixed deltas. */
function container(fields: [number, number, number, number], deltas: Uint8Array[] = [], magic = 'mpop-patch-v1\n') {
  const parts = [Buffer.from(magic, 'latin1'), Buffer.alloc(16)];
  for (const [i, v] of fields.entries()) parts[1].writeUInt32BE(v, i * 4);
  for (const d of deltas) {
    const n = Buffer.alloc(4);
    n.writeUInt32BE(d.length);
    parts.push(n, Buffer.from(d));
  }
  return new Uint8Array(Buffer.concat(parts));
}

describe('the mpop-patch-v1 format (fossil deltas of the library, one per chunk)', () => {
  it.each(PAIR_KINDS)(
    '%s: each chunk is the library’s delta against the whole old package; applied, it rebuilds the package',
    async (kind) => {
      const { from, to } = await packagePair(kind, 9, 300_000);
      const a = new Uint8Array(from);
      const b = new Uint8Array(to);
      const chunk = 64 * 1024;
      const patch = encode(a, b, chunk)!;
      expect(readPatchHeader(patch)).toEqual({
        sourceSize: a.length,
        targetSize: b.length,
        chunkSize: chunk,
        chunks: Math.ceil(b.length / chunk),
      });
      // The deltas, as the library makes them.
      let pos = 30;
      for (let at = 0; at < b.length; at += chunk) {
        const length = Buffer.from(patch.buffer, patch.byteOffset).readUInt32BE(pos);
        const delta = patch.subarray(pos + 4, pos + 4 + length);
        expect(Buffer.from(delta).equals(Buffer.from(createDelta(a, b.subarray(at, at + chunk))))).toBe(true);
        pos += 4 + length;
      }
      expect(pos).toBe(patch.length);
      expect(Buffer.from(applyPatch(a, patch, b.length)).equals(to)).toBe(true);
      expect(rebuildsExactly(a, patch, b, applyDelta)).toBe(true);
    },
  );

  it('finds content that moved anywhere in the old package (a one-file change stays small)', async () => {
    const { from, to } = await packagePair('one-file-changed', 9, 300_000);
    const patch = encode(new Uint8Array(from), new Uint8Array(to), 16 * 1024)!;
    expect(patch.length).toBeLessThan(to.length * 0.1);
    // Chunks in the other order: each is found in the old package wherever it is.
    const half = to.length >> 1;
    const swapped = new Uint8Array(Buffer.concat([to.subarray(half), to.subarray(0, half)]));
    expect(encode(new Uint8Array(to), swapped, 16 * 1024)!.length).toBeLessThan(to.length * 0.05);
  });

  it('stops, giving nothing, as soon as the chunks made so far do not fit the bound', async () => {
    const { from, to } = await packagePair('assets-recompressed', 9, 300_000);
    const a = new Uint8Array(from);
    const b = new Uint8Array(to);
    const calls: number[] = [];
    const counting = (s: Uint8Array, t: Uint8Array) => {
      calls.push(t.length);
      return createDelta(s, t);
    };
    const chunk = 16 * 1024;
    expect(encodeChunked(a, b, Math.ceil(b.length / 2) - 1, chunk, counting)).toBeUndefined();
    expect(calls.length, 'stopped at about half the chunks').toBeLessThan(Math.ceil(b.length / chunk) * 0.6);
    const small = await packagePair('one-file-changed', 9, 300_000);
    const exact = encode(new Uint8Array(small.from), new Uint8Array(small.to), chunk)!.length;
    expect(encode(new Uint8Array(small.from), new Uint8Array(small.to), chunk, exact - 1)).toBeUndefined();
    expect(encode(new Uint8Array(small.from), new Uint8Array(small.to), chunk, exact)?.length).toBe(exact);
  });

  it('handles a tiny old package and an empty new one', () => {
    for (const [s, t] of [
      [Buffer.from('abc'), Buffer.from('abcdefghijklmnopqrstuvwxyz0123456789')],
      [Buffer.alloc(0), Buffer.alloc(0)],
      [Buffer.alloc(100, 7), Buffer.alloc(0)],
      [Buffer.alloc(0), Buffer.alloc(5000, 3)],
    ]) {
      const patch = encode(new Uint8Array(s), new Uint8Array(t), 1024)!;
      expect(Buffer.from(applyPatch(new Uint8Array(s), patch, t.length)).equals(t)).toBe(true);
      expect(rebuildsExactly(new Uint8Array(s), patch, new Uint8Array(t), applyDelta)).toBe(true);
    }
  });

  it('property: reconstructs the new bytes exactly, for random old packages and edits of them, at any chunk size', () => {
    const edit = fc.oneof(
      fc.record({ op: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ maxLength: 3000 }) }),
      fc.record({ op: fc.constant('delete' as const), at: fc.nat(), length: fc.nat(5000) }),
      fc.record({ op: fc.constant('move' as const), at: fc.nat(), to: fc.nat(), length: fc.nat(8000) }),
      fc.record({ op: fc.constant('flip' as const), at: fc.nat() }),
    );
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 40_000 }),
        fc.nat(40_000),
        fc.array(edit, { maxLength: 8 }),
        fc.integer({ min: 1024, max: 20_000 }),
        (noise, repeat, edits, chunkSize) => {
          // Packages repeat themselves (zip entries, code): half noise, half copies of it.
          const old = Buffer.concat([Buffer.from(noise), Buffer.from(noise.subarray(0, repeat))]);
          let b = Buffer.from(old);
          for (const e of edits) {
            const at = b.length ? e.at % (b.length + 1) : 0;
            if (e.op === 'insert') b = Buffer.concat([b.subarray(0, at), Buffer.from(e.bytes), b.subarray(at)]);
            else if (e.op === 'delete') b = Buffer.concat([b.subarray(0, at), b.subarray(at + e.length)]);
            else if (e.op === 'flip' && at < b.length) b[at] ^= 0x5a;
            else if (e.op === 'move') {
              const piece = Buffer.from(b.subarray(at, at + e.length));
              const rest = Buffer.concat([b.subarray(0, at), b.subarray(at + e.length)]);
              const to = rest.length ? e.to % (rest.length + 1) : 0;
              b = Buffer.concat([rest.subarray(0, to), piece, rest.subarray(to)]);
            }
          }
          const a = new Uint8Array(old);
          const t = new Uint8Array(b);
          const patch = encode(a, t, chunkSize)!;
          expect(Buffer.from(applyPatch(a, patch, t.length)).equals(b)).toBe(true);
          expect(rebuildsExactly(a, patch, t, applyDelta)).toBe(true);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('property: a hostile header is refused (PatchError) before anything of its sizes is allocated', () => {
    const old = new Uint8Array(Buffer.alloc(5000, 1));
    const size = 3000; // the signed size the caller expects: the only size ever allocated
    const u32 = fc.nat(0xffffffff);
    const fields = fc
      .record({
        source: fc.oneof(fc.constant(old.length), u32),
        target: fc.oneof(fc.constant(size), fc.constant(0xffffffff), u32, fc.nat(64 * 1024 * 1024)),
        chunkSize: fc.oneof(fc.constantFrom(1024, 4096, 16 * 1024 * 1024), u32),
        chunks: u32,
        consistent: fc.boolean(),
      })
      .map((f): [number, number, number, number] => [
        f.source,
        f.target,
        f.chunkSize,
        f.consistent && f.chunkSize > 0 ? Math.ceil(f.target / f.chunkSize) : f.chunks,
      ]);
    const deltas = fc.array(
      fc.oneof(
        fc.uint8Array({ maxLength: 64 }),
        // Deltas of the library (to other bytes, or of other sizes), some cut or flipped.
        fc.tuple(fc.uint8Array({ minLength: 1, maxLength: 4096 }), fc.nat(), fc.boolean()).map(([t, at, cut]) => {
          const d = createDelta(old, t);
          if (cut) return d.subarray(0, at % d.length);
          const copy = d.slice();
          copy[at % copy.length] ^= 1;
          return copy;
        }),
      ),
      { maxLength: 4 },
    );
    fc.assert(
      fc.property(fields, deltas, (header, chunks) => {
        const patch = container(header, chunks);
        const before = process.memoryUsage().arrayBuffers;
        let out: Uint8Array | undefined;
        try {
          out = applyPatch(old, patch, size);
        } catch (err) {
          expect(err).toBeInstanceOf(PatchError);
        }
        // Applied only when it was a patch of these sizes whose every chunk checks out.
        if (out) expect(out.length).toBe(size);
        expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(1024 * 1024);
      }),
      { numRuns: 400 },
    );
  });

  it('refuses a patch that lies, chunk by chunk, about what it makes', async () => {
    const { from, to } = await packagePair('one-file-changed', 9, 100_000);
    const a = new Uint8Array(from);
    const b = new Uint8Array(to);
    const patch = encode(a, b, 16 * 1024)!;
    const header = readPatchHeader(patch);
    const refused = (p: Uint8Array, size = b.length, source = a) => expect(() => applyPatch(source, p, size)).toThrow(PatchError);
    refused(patch, b.length - 1); // another size than the signed one
    refused(patch, b.length, a.subarray(1)); // other bytes than the patch's base
    refused(container([a.length, b.length, 512, Math.ceil(b.length / 512)])); // chunk size below 1 KiB
    refused(container([a.length, b.length, 32 * 1024 * 1024, 1])); // above 16 MiB
    refused(container([a.length, b.length, header.chunkSize, header.chunks + 1])); // a count that does not match
    refused(container([a.length, b.length, header.chunkSize, header.chunks]).subarray(0, 40)); // its lengths cut off
    refused(new Uint8Array(Buffer.concat([Buffer.from(patch), Buffer.from([0])]))); // bytes after the last chunk
    refused(patch.subarray(0, patch.length - 1)); // cut short
    const magic = patch.slice();
    magic[5] ^= 1;
    refused(magic);
    // A chunk whose delta announces a huge output: refused before the library builds it.
    const huge = container([a.length, 4096, 4096, 1], [new TextEncoder().encode('~~~~~\n5:abcde0;')]);
    refused(huge, 4096);
    // A flipped byte inside a delta: its checksum (or its structure) refuses it.
    for (const at of [40, patch.length >> 1, patch.length - 3]) {
      const flipped = patch.slice();
      flipped[at] ^= 0x01;
      refused(flipped);
      expect(rebuildsExactly(a, flipped, b, applyDelta)).toBe(false);
    }
    // A well-formed patch to other bytes is found by the server's own check.
    const other = b.slice();
    other[1000] ^= 1;
    expect(rebuildsExactly(a, patch, other, applyDelta)).toBe(false);
  });
});

describe('the patch worker thread', () => {
  it('makes the same patch with the library it imports, and says when it would not be under the bound', async () => {
    const { from, to } = await packagePair('file-added', 9, 300_000);
    const expected = encode(new Uint8Array(from), new Uint8Array(to), 64 * 1024)!;
    const made = await makeDelta(new Uint8Array(from), new Uint8Array(to), to.length, 60_000, 64 * 1024).result;
    expect(made.over).toBe(false);
    if (made.over) return;
    expect(made.exact).toBe(true);
    expect(made.patch.equals(Buffer.from(expected))).toBe(true);
    expect(await makeDelta(new Uint8Array(from), new Uint8Array(to), expected.length - 1, 60_000, 64 * 1024).result).toEqual({
      over: true,
    });
  });

  it('a thread that outgrows its heap limit fails the job, not the process', async () => {
    const { from, to } = await packagePair('assets-recompressed', 9, 4_000_000);
    // One chunk of the whole package: the library's array for it does not fit 8 MiB.
    const run = makeDelta(new Uint8Array(from), new Uint8Array(to), to.length * 2, 60_000, 16 * 1024 * 1024, 8);
    await expect(run.result).rejects.toThrow(/outgrew its 8 MiB heap/);
  });

  it('chunks: 512 KiB up to 16 MiB packages, then 1/32 of the package up to 2 MiB', () => {
    expect(patchChunkBytes(2_000_000)).toBe(512 * 1024);
    expect(patchChunkBytes(16 * 1024 * 1024)).toBe(512 * 1024);
    expect(patchChunkBytes(50 * 1024 * 1024)).toBe(1600 * 1024);
    expect(patchChunkBytes(256 * 1024 * 1024)).toBe(2 * 1024 * 1024);
  });
});
