import { describe, expect, it } from 'vitest';
import { cleanName, nameKey, sanitizeName } from '../src/lib/names.js';

const rules = { field: 'name', label: 'The App name', max: 64 };

describe('invisible format characters (Unicode Cf) in names', () => {
  it.each(['\u200b', '\u200c', '\u200d', '\u200e', '\u200f', '\u2060', '\u2061', '\u2064', '\ufeff', '\u00ad', '\u180e', '\u{e0041}'])(
    'cleanName refuses U+%s between Latin letters',
    (c) => {
      expect(() => cleanName(`Ac${c}me`, rules)).toThrow(/The App name must not contain/);
    },
  );

  it('sanitizeName (names from mPaaS) drops them instead, keeping what is visible and the joiners that shape', () => {
    expect(sanitizeName('Ac\u200bme\u2060 Pay\ufeff', 64, 'fallback')).toBe('Acme Pay');
    expect(sanitizeName('\u200b\u2060', 64, 'fallback')).toBe('fallback');
    expect(sanitizeName('Family 👨\u200d👩\u200d👧', 64, 'fallback')).toBe('Family 👨\u200d👩\u200d👧');
    expect(sanitizeName('\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645', 64, 'fallback')).toBe(
      '\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645',
    );
  });

  it('still compares a stored name that holds one (from before) with the clean spelling', () => {
    expect(nameKey('Ac\u200bme')).toBe(nameKey('Acme'));
  });
});
