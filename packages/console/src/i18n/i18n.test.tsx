import { afterEach, describe, expect, it, vi } from 'vitest';
import { initialLang } from './i18n';

describe('initialLang', () => {
  afterEach(() => {
    localStorage.clear();
    vi.unstubAllGlobals();
  });

  it('follows the browser: Chinese for zh-*, English otherwise', () => {
    vi.stubGlobal('navigator', { language: 'zh-CN' });
    expect(initialLang()).toBe('zh');
    vi.stubGlobal('navigator', { language: 'en-GB' });
    expect(initialLang()).toBe('en');
  });

  it('keeps what the user picked over the browser', () => {
    vi.stubGlobal('navigator', { language: 'zh-CN' });
    localStorage.setItem('mpop.lang', 'en');
    expect(initialLang()).toBe('en');
  });
});
