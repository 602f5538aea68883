import { describe, expect, it } from 'vitest';
import { act, render, screen } from '@testing-library/react';
import { en, zh } from './messages';
import { I18nProvider, lookup, useI18n } from './i18n';
import { releaseEn, releaseZh } from './release-messages';
import { signingEn, signingZh } from './signing-messages';
import { autopilotEn, autopilotZh } from './autopilot-messages';
import { releaseKeysEn, releaseKeysZh } from './release-key-messages';
import { openPlatformPagesEn, openPlatformPagesZh } from './open-platform-pages-messages';
import { patchEn, patchZh } from './patch-messages';
import { trustedDeliveryEn, trustedDeliveryZh } from './trusted-delivery-messages';
import { reviewEn, reviewZh } from './review-messages';

const vars = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

/** Every source file of the console (not tests), by path, with its text. */
const sources = Object.entries(
  import.meta.glob<string>(['../**/*.ts', '../**/*.tsx', '!../**/*.test.tsx'], { query: '?raw', import: 'default', eager: true }),
);

/** A word of the release section, and a button that switches to Chinese. */
function SectionProbe() {
  const { t, setLang } = useI18n();
  return (
    <button type="button" onClick={() => setLang('zh')}>
      {t('raiseTitle', { version: '1.0.0.2' })}
    </button>
  );
}

describe('the message catalogue', () => {
  it('fills the same {placeholders} in Chinese as in English, and leaves no Chinese string empty (every section)', () => {
    for (const [enWords, zhWords] of [
      [en, zh],
      [releaseEn, releaseZh],
      [signingEn, signingZh],
      [autopilotEn, autopilotZh],
      [releaseKeysEn, releaseKeysZh],
      [openPlatformPagesEn, openPlatformPagesZh],
      [patchEn, patchZh],
      [trustedDeliveryEn, trustedDeliveryZh],
      [reviewEn, reviewZh],
    ] as [Record<string, string>, Record<string, string>][]) {
      for (const key of Object.keys(enWords)) {
        expect({ key, vars: vars(zhWords[key]) }).toEqual({ key, vars: vars(enWords[key]) });
        expect(zhWords[key].trim(), key).not.toBe('');
      }
    }
  });

  it('says the words of a loaded section through the one t, in the language picked', async () => {
    render(
      <I18nProvider lang="en">
        <SectionProbe />
      </I18nProvider>,
    );
    expect(screen.getByRole('button').textContent).toBe('Raise the rollout of 1.0.0.2');
    await act(async () => screen.getByRole('button').click());
    expect(screen.getByRole('button').textContent).toBe('提高 1.0.0.2 的灰度比例');
    expect(lookup('zh', 'appTitle')).toBe('小程序开放平台');
  });

  it('has no key in two places: a section never hides a core word', () => {
    const keys = [en, releaseEn, signingEn, autopilotEn, releaseKeysEn, openPlatformPagesEn, patchEn, trustedDeliveryEn, reviewEn].flatMap(
      (words) => Object.keys(words),
    );
    expect(keys.filter((k, i) => keys.indexOf(k) !== i)).toEqual([]);
  });

  it.each([
    ['release-messages', releaseEn],
    ['signing-messages', signingEn],
    ['autopilot-messages', autopilotEn],
    ['release-key-messages', releaseKeysEn],
    ['open-platform-pages-messages', openPlatformPagesEn],
    ['patch-messages', patchEn],
    ['trusted-delivery-messages', trustedDeliveryEn],
    ['review-messages', reviewEn],
  ])('is loaded wherever its words are said: a module that says a word of %s imports it', (section, words) => {
    const keys = new Set(Object.keys(words));
    const prefixes = [...keys].filter((k) => k.includes('.')).map((k) => k.slice(0, k.indexOf('.') + 1));
    const missing = sources
      .filter(([file, text]) => {
        const said = [...text.matchAll(/\bt\(\s*['`]([\w.-]+)/g)].map((m) => m[1]);
        const saysSection = said.some((k) => keys.has(k) || prefixes.includes(k));
        return saysSection && !text.includes(`i18n/${section}'`) && !file.endsWith(`${section}.ts`);
      })
      .map(([file]) => file);
    expect(sources.length).toBeGreaterThan(50);
    expect(missing).toEqual([]);
  });
});
