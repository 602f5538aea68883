import { createContext, type ReactNode, useCallback, useContext, useEffect, useMemo, useState } from 'react';
import { en, zh, type MessageKey } from './messages';

export type Lang = 'en' | 'zh';
const STORAGE_KEY = 'mpop.lang';

/** The browser's language at first (Chinese for zh-*), then whatever the user picked. */
export function initialLang(): Lang {
  const saved = typeof localStorage !== 'undefined' ? localStorage.getItem(STORAGE_KEY) : null;
  if (saved === 'en' || saved === 'zh') return saved;
  return typeof navigator !== 'undefined' && navigator.language?.toLowerCase().startsWith('zh') ? 'zh' : 'en';
}

type T = (key: MessageKey, vars?: Record<string, string | number>) => string;

type Words = Record<string, string>;
/** The sections of the catalogue loaded so far (see addMessages), after the core words of messages.ts. */
const sections: { en: Words; zh: Words }[] = [];

/**
 * Adds a section of the catalogue (the words of some screens, typed in MessageKey) when its module loads, so the
 * words stay out of the first download of the other pages. The same `t` says them.
 */
export function addMessages(sectionEn: Words, sectionZh: Words) {
  sections.push({ en: sectionEn, zh: sectionZh });
}

/** A key's words in one language: the core words, then the sections; the key itself if its section never loaded. */
export function lookup(lang: Lang, key: MessageKey): string {
  const core: Words = lang === 'zh' ? zh : en;
  if (core[key] !== undefined) return core[key];
  for (const section of sections) if (section[lang][key] !== undefined) return section[lang][key];
  return key;
}
interface I18n {
  lang: Lang;
  setLang: (lang: Lang) => void;
  t: T;
}

const I18nContext = createContext<I18n | null>(null);

export function I18nProvider({ children, lang: fixed }: { children: ReactNode; lang?: Lang }) {
  const [lang, setLangState] = useState<Lang>(fixed ?? initialLang());
  const setLang = useCallback((l: Lang) => {
    localStorage.setItem(STORAGE_KEY, l);
    setLangState(l);
  }, []);
  // Screen readers and the browser's own widgets (date inputs, hyphenation) follow the page's language.
  useEffect(() => {
    document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
  }, [lang]);
  const t = useCallback<T>(
    (key, vars) => {
      const text = lookup(lang, key);
      return vars ? text.replace(/\{(\w+)\}/g, (_, k: string) => String(vars[k] ?? '')) : text;
    },
    [lang],
  );
  const value = useMemo(() => ({ lang, setLang, t }), [lang, setLang, t]);
  return <I18nContext.Provider value={value}>{children}</I18nContext.Provider>;
}

export function useI18n(): I18n {
  const ctx = useContext(I18nContext);
  if (!ctx) throw new Error('useI18n outside I18nProvider');
  return ctx;
}
