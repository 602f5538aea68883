import { describe, expect, it } from 'vitest';
import { en, zh } from './messages';

const vars = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

describe('the message catalogue', () => {
  it('fills the same {placeholders} in Chinese as in English, and leaves no Chinese string empty', () => {
    for (const key of Object.keys(en) as (keyof typeof en)[]) {
      expect({ key, vars: vars(zh[key]) }).toEqual({ key, vars: vars(en[key]) });
      expect(zh[key].trim(), key).not.toBe('');
    }
  });
});
