import { afterEach, describe, expect, it, vi } from 'vitest';
import { formatters } from './format';

describe('formatters', () => {
  afterEach(() => vi.unstubAllGlobals());
  const at = '2026-11-25T14:36:42.000Z';

  it('formats dates in the UI language, whatever the browser language is', () => {
    vi.stubGlobal('navigator', { language: 'de-DE' });
    const zh = formatters('zh').dateTime(at);
    const en = formatters('en').dateTime(at);
    expect(zh).toMatch(/^2026年11月2[56]日 \d{2}:36:42$/);
    expect(en).toMatch(/^Nov 2[56], 2026, \d{1,2}:36:42\s?[AP]M$/);
  });

  it('formats numbers, sizes and relative times in the UI language', () => {
    expect(formatters('en').number(1234567)).toBe('1,234,567');
    expect(formatters('en').bytes(1536)).toBe('1.5 KiB');
    expect(formatters('zh').bytes(3 * 1024 * 1024)).toBe('3 MiB');
    const now = Date.parse(at);
    expect(formatters('en').relative('2026-11-25T14:33:42.000Z', now)).toBe('3 minutes ago');
    expect(formatters('zh').relative('2026-11-25T14:33:42.000Z', now)).toBe('3分钟前');
    expect(formatters('en').relative('2026-11-27T14:36:42.000Z', now)).toBe('in 2 days');
  });
});
