import { describe, expect, it } from 'vitest';
import { drawMiniProgramId, isReservedMiniProgramId, type RandomInt } from '../src/modules/mini-programs/mini-program-id.js';

/** A random source that answers the given digits in order, checking that each lies in the range asked for. */
function scripted(...ids: string[]) {
  const digits = ids.join('').split('').map(Number);
  let drawn = 0;
  const random: RandomInt = (min, max) => {
    if (drawn >= digits.length) throw new Error('the script ran out of digits');
    const d = digits[drawn++];
    if (d < min || d >= max) throw new Error(`scripted digit ${d} is outside [${min}, ${max})`);
    return d;
  };
  return { random, drawn: () => drawn };
}

describe('mini program ID generation', () => {
  it.each(['6660000000000001', '6669999999999999', '2000012345678901', '2000000000000000'])(
    'skips the reserved draw %s and takes the next one',
    (reserved) => {
      const source = scripted(reserved, '1234567890123456');
      expect(drawMiniProgramId(source.random)).toBe('1234567890123456');
      expect(source.drawn()).toBe(32);
    },
  );

  it('skips several reserved draws in a row', () => {
    const source = scripted('6661111111111111', '2000022222222222', '6663333333333333', '9876543210987654');
    expect(drawMiniProgramId(source.random)).toBe('9876543210987654');
  });

  it.each(['6650000000000000', '6606660000000000', '2000100000000000', '1666000000000000', '1200000000000000'])(
    'takes %s, which only looks like a reserved one, at the first draw',
    (id) => {
      const source = scripted(id);
      expect(drawMiniProgramId(source.random)).toBe(id);
      expect(source.drawn()).toBe(16);
    },
  );

  it('draws 16 digits, the first of them 1 to 9', () => {
    const ranges: [number, number][] = [];
    const id = drawMiniProgramId((min, max) => {
      ranges.push([min, max]);
      return min;
    });
    expect(id).toBe('1000000000000000');
    expect(ranges).toEqual([[1, 10], ...Array.from({ length: 15 }, () => [0, 10])]);
  });

  it('gives up with an error, not a loop, when the source only draws reserved IDs', () => {
    expect(() => drawMiniProgramId(scripted(...Array.from({ length: 100 }, () => '6660000000000000')).random)).toThrow(/100 reserved/);
  });

  it('draws from the CSPRNG by default: 16 digits, never reserved', () => {
    for (let i = 0; i < 1000; i++) {
      const id = drawMiniProgramId();
      expect(id).toMatch(/^[1-9][0-9]{15}$/);
      expect(isReservedMiniProgramId(id)).toBe(false);
    }
  });

  it.each([
    ['666', true],
    ['6660000000000001', true],
    ['20000', true],
    ['2000012345678901', true],
    ['66', false],
    ['2000', false],
    ['1666000000000000', false],
    ['2000100000000000', false],
  ])('isReservedMiniProgramId(%s) is %s', (id, reserved) => {
    expect(isReservedMiniProgramId(id)).toBe(reserved);
  });
});
