import { describe, expect, it } from 'vitest';
import { act, render, screen } from '@testing-library/react';
import { en, zh } from './messages';
import { I18nProvider, lookup, useI18n } from './i18n';
import { releaseEn, releaseZh } from './release-messages';

const vars = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

/** Every source file of the console (not tests), by path, with its text. */
const sources = Object.entries(
  import.meta.glob<string>(['../**/*.ts', '../**/*.tsx', '!../**/*.test.tsx'], { query: '?raw', import: 'default', eager: true }),
);

describe('the message catalogue', () => {
  it('fills the same {placeholders} in Chinese as in English, and leaves no Chinese string empty (every section)', () => {
    for (const [enWords, zhWords] of [
      [en, zh],
      [releaseEn, releaseZh],
    ] as [Record<string, string>, Record<string, string>][]) {
      for (const key of Object.keys(enWords)) {
        expect({ key, vars: vars(zhWords[key]) }).toEqual({ key, vars: vars(enWords[key]) });
        expect(zhWords[key].trim(), key).not.toBe('');
      }
    }
  });

  it('says the words of a loaded section through the one t, in the language picked', async () => {
    function Probe() {
      const { t, setLang } = useI18n();
      return (
        <button type="button" onClick={() => setLang('zh')}>
          {t('raiseTitle', { version: '1.0.0.2' })}
        </button>
      );
    }
    render(
      <I18nProvider lang="en">
        <Probe />
      </I18nProvider>,
    );
    expect(screen.getByRole('button').textContent).toBe('Raise the rollout of 1.0.0.2');
    await act(async () => screen.getByRole('button').click());
    expect(screen.getByRole('button').textContent).toBe('提高 1.0.0.2 的灰度比例');
    expect(lookup('zh', 'appTitle')).toBe('小程序开放平台');
  });

  it('has no key in two places: a section never hides a core word', () => {
    expect(Object.keys(releaseEn).filter((k) => k in en)).toEqual([]);
  });

  it('is loaded wherever its words are said: a module that says a release word imports the release section', () => {
    const keys = new Set(Object.keys(releaseEn));
    const missing = sources
      .filter(([file, text]) => {
        const said = [...text.matchAll(/\bt\(\s*['`]([\w.-]+)/g)].map((m) => m[1]);
        const saysRelease = said.some((k) => keys.has(k) || k === 'releaseState.');
        return saysRelease && !text.includes("i18n/release-messages'") && !file.endsWith('release-messages.ts');
      })
      .map(([file]) => file);
    expect(sources.length).toBeGreaterThan(50);
    expect(missing).toEqual([]);
  });
});
