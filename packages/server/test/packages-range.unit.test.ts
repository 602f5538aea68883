import { describe, expect, it } from 'vitest';
import { parseRange } from '../src/routes/client/packages.js';

/**
 * The `Range` header of a package or patch download (RFC 9110 §14), without a server: gate.test.ts downloads
 * through the API; these pin each rule at its edge.
 */
describe('parseRange', () => {
  const partial = (start: number, end: number) => ({ kind: 'partial', range: { start, end } });

  it('sends the whole file without a header, or with one it does not read', () => {
    for (const header of [undefined, '', 'bytes=', 'bytes=-', 'items=0-1', 'xbytes=0-1', 'bytes=0-1x', 'bytes=0-1,5-6', 'bytes=a-b']) {
      expect(parseRange(header, 100), String(header)).toEqual({ kind: 'full' });
    }
  });

  it('serves a range from a start to an end, both included, cut at the end of the file', () => {
    expect(parseRange('bytes=0-9', 100)).toEqual(partial(0, 9));
    expect(parseRange('bytes=5-5', 100)).toEqual(partial(5, 5));
    expect(parseRange('bytes=90-150', 100)).toEqual(partial(90, 99));
    expect(parseRange('bytes=90-99', 100)).toEqual(partial(90, 99));
    expect(parseRange('bytes=99-', 100)).toEqual(partial(99, 99));
    expect(parseRange('bytes=10-', 100)).toEqual(partial(10, 99));
    expect(parseRange('bytes= 10-19 ', 100)).toEqual(partial(10, 19));
  });

  it('ignores a range whose end is before its start', () => {
    expect(parseRange('bytes=9-2', 100)).toEqual({ kind: 'full' });
    expect(parseRange('bytes=200-2', 100)).toEqual({ kind: 'full' });
  });

  it('cannot satisfy a range starting at or after the end', () => {
    expect(parseRange('bytes=100-', 100)).toEqual({ kind: 'unsatisfiable' });
    expect(parseRange('bytes=100-200', 100)).toEqual({ kind: 'unsatisfiable' });
    expect(parseRange('bytes=0-0', 0)).toEqual({ kind: 'unsatisfiable' });
  });

  it('serves a suffix: the last bytes, the whole file when longer; an empty suffix or file cannot be satisfied', () => {
    expect(parseRange('bytes=-10', 100)).toEqual(partial(90, 99));
    expect(parseRange('bytes=-100', 100)).toEqual(partial(0, 99));
    expect(parseRange('bytes=-1000', 100)).toEqual(partial(0, 99));
    expect(parseRange('bytes=-1', 100)).toEqual(partial(99, 99));
    expect(parseRange('bytes=-0', 100)).toEqual({ kind: 'unsatisfiable' });
    expect(parseRange('bytes=-5', 0)).toEqual({ kind: 'unsatisfiable' });
  });
});
