import { describe, expect, it } from 'vitest';
import { compareVersions, inRange } from '../src/modules/mini-programs/versions.js';

describe('client versions', () => {
  it.each([
    ['10.2.3', '10.2.3', 0],
    ['10.2', '10.2.0', 0],
    ['10.2.0.0', '10.2', 0],
    ['10.2.3', '10.2.4', -1],
    ['10.3', '10.2.9', 1],
    ['9.9.9', '10', -1],
    ['10.10', '10.9', 1],
    ['1.0.0.2', '1.0.0.1', 1],
  ])('compareVersions(%s, %s) is %d', (a, b, order) => {
    expect(compareVersions(a, b)).toBe(order);
    expect(compareVersions(b, a)).toBe(-order || 0);
  });

  it.each([
    ['10.2.3', null, null, true],
    ['10.2', '10.2', '10.5.0', true],
    ['10.5.0', '10.2', '10.5.0', true],
    ['10.1.9', '10.2', '10.5.0', false],
    ['10.5.1', '10.2', '10.5.0', false],
    ['1.0', '1.0.0.1', null, false],
    ['99', null, '10', false],
    ['1', null, '10', true],
  ])('inRange(%s, %s, %s) is %s', (version, min, max, inside) => {
    expect(inRange(version, min, max)).toBe(inside);
  });
});
