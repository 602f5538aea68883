import { describe, expect, it } from 'vitest';
import { parseStep } from '../src/cli/commands/mini-programs.js';
import { bytes, displayWidth, table } from '../src/cli/output.js';

describe('the CLI output helpers', () => {
  it('lines up columns after names in Chinese (two terminal columns per character)', () => {
    expect(displayWidth('零售超级应用')).toBe(12);
    expect(displayWidth('Retail')).toBe(6);
    const lines = table([
      ['NAME', 'APPID'],
      ['零售超级应用', 'A1'],
      ['Retail', 'B2'],
    ]).split('\n');
    // The second column starts at the same terminal column on every line.
    const column = (line: string) => displayWidth(line.slice(0, line.search(/(A1|B2|APPID)$/)));
    expect(new Set(lines.map(column)).size).toBe(1);
  });

  it('says sizes in the unit that fits, never "0.0 of 0.0 MiB"', () => {
    expect(bytes(0)).toBe('0 B');
    expect(bytes(900)).toBe('900 B');
    expect(bytes(3 * 1024 + 512)).toBe('3.5 KiB');
    expect(bytes(12 * 1024 * 1024)).toBe('12.0 MiB');
  });

  it('reads ramp steps as PERCENT@TIME, relative or ISO 8601, and refuses anything else', () => {
    const now = Date.parse('2026-12-06T10:00:00Z');
    expect(parseStep('50@+2h', now)).toEqual({ percent: 50, at: '2026-12-06T12:00:00.000Z' });
    expect(parseStep('100@+1d', now)).toEqual({ percent: 100, at: '2026-12-07T10:00:00.000Z' });
    expect(parseStep('25@2026-12-08T00:00:00Z', now)).toEqual({ percent: 25, at: '2026-12-08T00:00:00.000Z' });
    for (const bad of ['50', '150@+1h', '50@tomorrow', '@+1h']) expect(() => parseStep(bad, now)).toThrow(/--step/);
  });
});
